"""Statistics over seeded runs: final values, curves and their mean, the settled epoch, the best
cell of a grid.

A run is a record (dict) whose per-epoch histories are lists under keys such as "val_acc";
`runs` is a list of such records, one per seed. NumPy only, so figures and report modules can
import it without paying for SymPy (`model.diagnostics` has the seed spread with its ddof).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def curves(runs: Sequence[dict], key: str) -> np.ndarray:
    """The history `key` of every run, stacked: (runs, epochs)."""
    return np.array([run[key] for run in runs], dtype=np.float64)


def phase_panels(runs: Sequence[dict], phases: Sequence[tuple[str, str]],
                 measures: Sequence[tuple[str, str]]) -> dict[str, dict[str, np.ndarray]]:
    """The learning curves of one setting's runs as `figures.common.curves_figure` panels: one
    panel per (title, measure) of `measures`, in it one curve per (label, phase) of `phases`,
    the history f"{phase}_{measure}" (e.g. "val_loss") of every run, (runs, epochs)."""
    return {title: {label: curves(runs, f"{phase}_{measure}") for label, phase in phases}
            for title, measure in measures}


def setting_panels(settings: Mapping[str, Sequence[dict]], keys: Sequence[tuple[str, str]]
                   ) -> dict[str, dict[str, np.ndarray]]:
    """The learning curves of several settings ({label: runs}, e.g. one per architecture) as
    `figures.common.curves_figure` panels: one panel per (title, history key) of `keys`, in it
    one curve per setting, that history of every one of its runs, (runs, epochs)."""
    return {title: {label: curves(runs, key) for label, runs in settings.items()}
            for title, key in keys}


def finals(runs: Sequence[dict], key: str) -> np.ndarray:
    """The final value `key` of every run: the last entry of a history, or the number itself
    where a run recorded one number (a loss after training, say); (runs,)."""
    return np.array([run[key][-1] if np.ndim(run[key]) else run[key] for run in runs],
                    dtype=np.float64)


def mean_curve(runs: Sequence[dict], key: str) -> np.ndarray:
    """The history `key` averaged over the runs, epoch by epoch: (epochs,)."""
    return curves(runs, key).mean(axis=0)


def settled_epoch(curve: Sequence[float], within: float = 0.005) -> int:
    """The first epoch (counting from 1) from which `curve` stays within `within` of its final
    value; 1 when it never leaves that band."""
    c = np.asarray(curve, dtype=np.float64)
    off = np.flatnonzero(np.abs(c - c[-1]) >= within)
    return int(off[-1]) + 2 if off.size else 1


def best_point(values: np.ndarray, largest: bool = True) -> tuple[int, ...]:
    """The index of the best cell of a grid of results (largest, or smallest with
    largest=False), NaNs ignored: e.g. (i, j) of the best (learning rate, minibatch size)."""
    values = np.asarray(values, dtype=np.float64)
    flat = np.nanargmax(values) if largest else np.nanargmin(values)
    return tuple(int(i) for i in np.unravel_index(flat, values.shape))


# --- a learning-rate x minibatch-size sweep as the answers read it -----------------------------

def sweep_summary(sweep: dict, key: str, chosen: tuple[float, int], fail_below: float,
                  measures: Sequence[str] = ()) -> dict:
    """A sweep's arrays (learning rates, minibatch sizes, seeds) of final results, `sweep[key]`
    an accuracy, beside its `lrs` and `mbs`: `mean` over the seeds, the `best` cell (its lr, mb
    and acc), the mean at the `chosen` (lr, mb), `mb_spread` (the largest spread over minibatch
    sizes at any rate but the largest), and `fast`, the largest rate's runs: `n_runs`,
    `n_failed` (accuracy below `fail_below`) and their `failed_mbs`, the mean accuracy per
    minibatch size `mb_acc`, and for each of `measures` (fractions, such as dead ReLUs) its
    lowest and highest value among the failed runs and highest among the others
    (`failed_<m>_min`, `failed_<m>_max`, `ok_<m>_max`)."""
    lrs, mbs, values = sweep["lrs"], sweep["mbs"], np.asarray(sweep[key], dtype=np.float64)
    mean = values.mean(axis=-1)
    i, j = best_point(mean)
    failed = values[-1] < fail_below
    fast = {"n_runs": int(failed.size), "n_failed": int(failed.sum()), "mb_acc": mean[-1],
            "failed_mbs": sorted({mbs[k] for k in np.argwhere(failed)[:, 0]})}
    for m in measures:
        v = np.asarray(sweep[m], dtype=np.float64)[-1]
        # The initial values stand for "no such run" (fractions lie in [0, 1]).
        fast |= {f"failed_{m}_min": float(v[failed].min(initial=1.0)),
                 f"failed_{m}_max": float(v[failed].max(initial=0.0)),
                 f"ok_{m}_max": float(v[~failed].max(initial=0.0))}
    return {"mean": mean, "best": {"lr": lrs[i], "mb": mbs[j], "acc": mean[i, j]},
            "chosen": mean[lrs.index(chosen[0]), mbs.index(chosen[1])],
            "mb_spread": float(np.ptp(mean[:-1], axis=1).max()), "fast": fast}


def largest_rate(loss: np.ndarray, lrs: Sequence[float], settled_from: float) -> dict:
    """How the largest learning rate of a sweep differs from the others, read seed by seed (a
    mean over a few seeds at an unstable rate moves with one seed's jump, which makes or hides
    a rise in the mean).

    `loss` (rates, seeds, epochs) is the training loss after each epoch, the rates `lrs`
    ascending. `seeds_fall`: below the largest rate every seed's loss falls after every epoch;
    `fast_final`: the lowest and highest final loss over the seeds at the largest rate;
    `settled_max`: the highest final loss of any seed at the rates from `settled_from` up to
    the largest (excluded), the first and last of which are `settled_lrs`; `fast_ratio`:
    fast_final's lowest over settled_max; `fast_rising`: how many seeds' losses at the largest
    rate rise between two epochs."""
    loss = np.asarray(loss, dtype=np.float64)
    rises = np.diff(loss, axis=2) > 0
    settled = [i for i, lr in enumerate(lrs[:-1]) if lr >= settled_from]
    final, settled_max = loss[:, :, -1], loss[settled, :, -1].max()
    return {"seeds_fall": not rises[:-1].any(), "fast_rising": int(rises[-1].any(axis=1).sum()),
            "fast_final": (final[-1].min(), final[-1].max()),
            "settled_lrs": (lrs[settled[0]], lrs[settled[-1]]),
            "settled_max": settled_max, "fast_ratio": final[-1].min() / settled_max}
