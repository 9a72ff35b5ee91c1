"""Statistics over seeded runs: final values, curves and their mean, the settled epoch, the best
cell of a grid.

A run is a record (dict) whose per-epoch histories are lists under keys such as "val_acc";
`runs` is a list of such records, one per seed. NumPy only, so figures and report modules can
import it without paying for SymPy (`model.diagnostics` has the seed spread with its ddof).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def curves(runs: Sequence[dict], key: str) -> np.ndarray:
    """The history `key` of every run, stacked: (runs, epochs)."""
    return np.array([run[key] for run in runs], dtype=np.float64)


def finals(runs: Sequence[dict], key: str) -> np.ndarray:
    """The last value of the history `key` of every run: (runs,)."""
    return curves(runs, key)[:, -1]


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
