"""Measurements an explanation of a run can quote: one function per diagnostic.

Networks: dead ReLUs and saturated sigmoid/tanh units per layer, per-layer gradient norms, the
output distribution, the generalisation gap per epoch, the spread over seeds. Two-variable
optimisation (dl2023/dl2024 §1.1): the Hessian's eigenvalues at a point, the step-size bound
2 / lambda_max, and cycles and divergence in a gradient-descent path.

Each network diagnostic also works as a probe for `fit(..., record={...})`: wrap it in a
lambda of the network, e.g. ``record={"dead": lambda net: dead_relu_fraction(net, x)}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.layers import ReLU, Sigmoid, Tanh
from model.net import Net
from model.train import History

if TYPE_CHECKING:  # SymPy only for the Hessian; a warm build that reads results never loads it
    import sympy as sp

SATURATION = 0.01
"""A sigmoid or tanh unit is saturated on a sample when its slope f'(z) is below this share of
the function's peak slope f'(0) (1/4 for the sigmoid, 1 for tanh): the unit then passes back
less than 1% of the gradient it would pass at z = 0. For the sigmoid that is |z| > 5.99 (output
within 0.0025 of 0 or 1), for tanh |z| > 2.99 (output within 0.005 of -1 or 1)."""


def dead_relu_fraction(net: Net, x: np.ndarray) -> list[float]:
    """For every ReLU layer of `net`, in order: the fraction of its units dead on the batch x.

    A unit is dead when its input is <= 0 for every sample of x (N, d): it outputs 0 and,
    with relu'(0) = 0, passes back no gradient for any of them, so no sample can revive it.
    """
    _, trace = net.forward(x)
    return [float(np.mean(np.all(inp <= 0, axis=0))) for layer, inp, _ in trace
            if isinstance(layer, ReLU)]


def saturated_fraction(net: Net, x: np.ndarray, threshold: float = SATURATION) -> list[float]:
    """For every Sigmoid or Tanh layer of `net`, in order: the fraction of (sample, unit) pairs
    of the batch x whose slope is below `threshold` times the peak slope (see `SATURATION`).

    The slopes come from the outputs y, as the layers' backward passes compute them:
    sigma' / sigma'(0) = 4 y (1 - y) and tanh' / tanh'(0) = 1 - y^2.
    """
    _, trace = net.forward(x)
    fractions = []
    for layer, _, y in trace:
        if isinstance(layer, Sigmoid):
            fractions.append(float(np.mean(4 * y * (1 - y) < threshold)))
        elif isinstance(layer, Tanh):
            fractions.append(float(np.mean(1 - y * y < threshold)))
    return fractions


def gradient_norms(net: Net) -> dict[str, float]:
    """Frobenius norm of every parameter's gradient as the last backward pass stored it.

    Keyed like `Net.gradients()` (W1, b1, W2, ...). Recorded with `fit(record=...)`, it gives
    the per-layer gradient norms over training.
    """
    return {name: float(np.linalg.norm(grad)) for name, grad in net.gradients()}


def output_distribution(
    out: np.ndarray,
    quantiles: Sequence[float] = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0),
    bins: int = 10,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> dict[str, list[float]]:
    """Quantiles and a histogram of a network's outputs (any shape, all entries pooled).

    Returns {"quantiles": the levels, "values": the quantiles (linear interpolation, NumPy's
    default), "edges": bins + 1 edges over value_range, "counts": the entries per bin}. The
    default range suits sigmoid outputs; entries outside it are not counted.
    """
    flat = np.asarray(out, dtype=np.float64).ravel()
    counts, edges = np.histogram(flat, bins=bins, range=value_range)
    return {"quantiles": [float(q) for q in quantiles],
            "values": [float(v) for v in np.quantile(flat, quantiles)],
            "edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def generalisation_gap(history: History, metric: str = "acc") -> list[float]:
    """Per epoch: training minus held-out accuracy ("acc"), or held-out minus training loss
    ("loss"); positive means the training set is fitted better than the held-out one.

    The training side is the epoch's mean over its steps (`History.epoch_acc`/`epoch_loss`),
    the held-out side the evaluation after the epoch, so `fit` must have evaluated once per
    epoch (x_val given, no eval_every).
    """
    if metric not in ("acc", "loss"):
        raise ValueError(f"metric must be 'acc' or 'loss', not {metric!r}")
    train = history.epoch_acc if metric == "acc" else history.epoch_loss
    held_out = history.val_acc if metric == "acc" else history.val_loss
    if len(held_out) != len(train):
        raise ValueError(f"need one held-out evaluation per epoch: {len(held_out)} evaluations, "
                         f"{len(train)} epochs")
    sign = 1 if metric == "acc" else -1
    return [sign * (t - v) for t, v in zip(train, held_out, strict=True)]


@dataclass(frozen=True)
class Spread:
    """A quantity over seeds: mean, standard deviation (with the ddof it was taken with), range."""

    n: int
    mean: float
    std: float
    ddof: int
    min: float
    max: float


def seed_spread(values: Sequence[float], ddof: int = 1) -> Spread:
    """Mean, standard deviation, min and max of one result over seeds.

    ddof = 1 (the default) is the sample standard deviation, sqrt(sum (v - mean)^2 / (n - 1)),
    which estimates the spread of a new seed's result; ddof = 0 describes just these runs.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size <= ddof:
        raise ValueError(f"need more than {ddof} values for a standard deviation with ddof={ddof}")
    return Spread(n=int(v.size), mean=float(v.mean()), std=float(v.std(ddof=ddof)), ddof=ddof,
                  min=float(v.min()), max=float(v.max()))


def hessian_eigenvalues(
    expr: sp.Expr, variables: Sequence[sp.Symbol], point: Sequence[float]
) -> list[float]:
    """Eigenvalues, ascending, of the Hessian of the SymPy expression `expr` at `point`.

    The Hessian is differentiated exactly by SymPy, evaluated at the point in floating point,
    and its eigenvalues taken with `numpy.linalg.eigvalsh` (it is symmetric). At a minimum all
    are >= 0; gradient descent with step size eta is stable there when eta < 2 / lambda_max.
    """
    import sympy as sp

    hess = sp.hessian(expr, list(variables))
    values = np.array(sp.lambdify(list(variables), hess, "numpy")(*point), dtype=np.float64)
    return [float(v) for v in np.linalg.eigvalsh(values)]


def stability_bound(eigenvalues: Sequence[float]) -> float:
    """2 / lambda_max: the largest step size at which gradient descent settles into a minimum
    whose Hessian has these eigenvalues.

    Near the minimum a step multiplies the offset along each eigenvector by 1 - eta lambda; it
    shrinks only if |1 - eta lambda| < 1, i.e. eta < 2 / lambda, for every lambda. At eta
    above the bound the offset along the top eigenvector flips sign and grows each step, until
    the non-quadratic terms of f stop it (often in a 2-cycle) or the path diverges.
    """
    top = max(eigenvalues)
    if top <= 0:
        raise ValueError(f"no positive eigenvalue (largest {top:g}): not a minimum")
    return 2.0 / top


@dataclass(frozen=True)
class Cycle:
    """The end of a path repeats with this period (1: it has settled on a fixed point)."""

    period: int
    start: int
    points: list[list[float]]


def detect_cycle(
    path: np.ndarray, max_period: int = 8, tol: float = 1e-6, repeats: int = 3
) -> Cycle | None:
    """The smallest period k <= max_period with which the end of a path repeats, or None.

    path: (T, d) points (a (T,) path is one coordinate). Period k means every point of the
    last `repeats` * k steps lies within `tol` (Euclidean) of the point k steps before it.
    `start` is the first step t from which every point is within `tol` of point t - k;
    `points` are the k points of the cycle, the last k of the path. A period-1 cycle is
    convergence; period 2 is the bouncing of a step size above 2 / lambda_max.
    """
    p = np.asarray(path, dtype=np.float64)
    p = p[:, None] if p.ndim == 1 else p
    if not np.all(np.isfinite(p)):
        return None
    for k in range(1, max_period + 1):
        if len(p) < (repeats + 1) * k:
            break
        close = np.linalg.norm(p[k:] - p[:-k], axis=1) < tol
        if close[-repeats * k:].all():
            broken = np.flatnonzero(~close)
            start = (int(broken[-1]) + 1 if broken.size else 0) + k
            return Cycle(period=k, start=start, points=p[-k:].tolist())
    return None


def detect_divergence(path: np.ndarray, bound: float = 1e6) -> int | None:
    """The first step at which a path leaves the ball of radius `bound` or turns non-finite.

    path: (T, d) points or (T,) values (a loss curve works too). None if it never does.
    """
    p = np.asarray(path, dtype=np.float64)
    p = p[:, None] if p.ndim == 1 else p
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~np.all(np.isfinite(p), axis=1) | (np.linalg.norm(np.nan_to_num(p, nan=np.inf),
                                                                axis=1) > bound)
    return int(np.argmax(bad)) if bad.any() else None


# --- statistics over seeded runs and linear separability -------------------------------------


def first_below(values: Sequence[float], threshold: float) -> int | None:
    """The first index whose value is below `threshold` (the update a loss curve gets there),
    or None when no value is."""
    below = np.flatnonzero(np.asarray(values) < threshold)
    return int(below[0]) if below.size else None


def disagreement(masks: Sequence[np.ndarray]) -> float:
    """How much seeds' decisions differ: the mean over all pairs of boolean maps (one per seed,
    e.g. output > 0.5 on a grid) of the fraction of entries on which the pair differs."""
    if len(masks) < 2:
        raise ValueError(f"need at least two maps to compare, got {len(masks)}")
    return float(np.mean([np.mean(masks[i] != masks[j])
                          for i in range(len(masks)) for j in range(i + 1, len(masks))]))


def linearly_separable(x: np.ndarray, labels: np.ndarray) -> bool:
    """Whether some hyperplane w . x + b = 0 has the 1s strictly on one side and the 0s on the
    other: the linear feasibility problem sign_i (w . x_i + b) >= 1, solved by linprog."""
    from scipy.optimize import linprog  # only the data questions need scipy's LP solver

    sign = 2 * np.asarray(labels, dtype=float) - 1
    lhs = -sign[:, None] * np.column_stack([x, np.ones(len(x))])
    found = linprog(np.zeros(lhs.shape[1]), A_ub=lhs, b_ub=-np.ones(len(x)),
                    bounds=[(None, None)] * lhs.shape[1])
    return found.status == 0


def best_linear_accuracy(x: np.ndarray, labels: np.ndarray) -> float:
    """The highest accuracy any linear classifier (a hyperplane, or one class for all) reaches on
    (x, labels), by trying every labelling of the points: for a handful of points only."""
    labels = np.asarray(labels, dtype=float)
    if len(labels) > 16:
        raise ValueError(f"{len(labels)} points: 2^n labellings are too many to try")
    return max(float(np.mean(np.array(guess) == labels))
               for guess in np.ndindex(*[2] * len(labels))
               if len(set(guess)) == 1 or linearly_separable(x, np.array(guess)))


def seed_summary(runs: Sequence[dict], curve: str, threshold: float | None = None,
                 scalars: Sequence[str] = ()) -> dict:
    """One setting's seeded runs as arrays over the seeds: `final` (each run's last value of
    its curve `runs[i][curve]`), `mean_curve`, each key of `scalars`, and with a `threshold` the
    step each run's curve first gets below it (`settled`, for the runs that do; `n_settled`,
    `all_settled`)."""
    curves = np.array([run[curve] for run in runs], dtype=float)
    summary = {"final": curves[:, -1], "mean_curve": curves.mean(axis=0)}
    summary |= {key: np.array([run[key] for run in runs]) for key in scalars}
    if threshold is not None:
        settled = [s for s in (first_below(c, threshold) for c in curves) if s is not None]
        summary |= {"settled": np.array(settled, dtype=float), "n_settled": len(settled),
                    "all_settled": len(settled) == len(runs)}
    return summary


def linear_baseline(x: np.ndarray, labels: np.ndarray, starts: int = 10,
                    seed: int = 0) -> dict[str, float | bool]:
    """What a linear model can do with a small two-class set: whether a hyperplane separates it,
    the best accuracy any hyperplane reaches, and the lowest mean squared error of
    sigmoid(x w + b) that BFGS finds from `starts` N(0, 3^2) starting points."""
    from scipy.optimize import minimize  # BFGS: only this baseline needs scipy's optimiser

    from model.functional import sigmoid
    from model.losses import mse_loss

    design = np.column_stack([x, np.ones(len(x))])
    labels = np.asarray(labels, dtype=float)

    def mse(p: np.ndarray) -> float:
        return mse_loss(labels, sigmoid(design @ p))

    guesses = np.random.default_rng(seed).normal(0, 3, size=(starts, design.shape[1]))
    return {"separable": linearly_separable(x, labels),
            "best_line_acc": best_linear_accuracy(x, labels),
            "sigmoid_line_floor": min(float(minimize(mse, p, method="BFGS").fun) for p in guesses)}


# --- for explanations of runs over steps and of numerics (t-mnist) ----------------------------

def first_reached(values: Sequence[float], target: float) -> int | None:
    """The first step (1-based) at which `values` reach `target` or more; None if never.

    E.g. the number of full-batch steps until a training accuracy first hits 100%.
    """
    hits = np.flatnonzero(np.asarray(values, dtype=np.float64) >= target)
    return int(hits[0]) + 1 if hits.size else None


def float_warnings(fn: Callable[[np.float64], float], x: float) -> tuple[float, list[str]]:
    """fn(x) for one float64 input, and the floating-point warnings NumPy raised computing it
    ("overflow", "invalid value", ...; sorted, each named once)."""
    import warnings  # noqa: PLC0415 (only this diagnostic needs it)

    with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", invalid="warn",
                                                                      divide="warn"):
        warnings.simplefilter("always")
        value = float(fn(np.float64(x)))
    return value, sorted({str(w.message).split(" encountered")[0] for w in caught})


def class_mean_correlation(x: np.ndarray, y: np.ndarray, x_eval: np.ndarray) -> np.ndarray:
    """Pearson correlation of every row of `x_eval` with the mean row of each class of (x, y).

    Returns (len(x_eval), number of classes); classes are 0, 1, ... as in `y`. How typical an
    image is of its class: a misread digit often correlates more with the other class's mean.
    """
    means = np.stack([x[y == c].mean(axis=0) for c in range(int(y.max()) + 1)])
    means -= means.mean(axis=1, keepdims=True)
    z = x_eval - x_eval.mean(axis=1, keepdims=True)
    return (z @ means.T) / np.outer(np.linalg.norm(z, axis=1), np.linalg.norm(means, axis=1))


def misread_stats(x: np.ndarray, y: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray,
                  p: np.ndarray) -> dict[str, float | int]:
    """How the examples a binary classifier gets wrong differ from those it gets right.

    x, y: the training set (labels 0/1) whose class means are the reference; x_eval, y_eval:
    the evaluated set; p: the predicted probability of class 1 for each row of x_eval. Medians
    and means are over the wrong (`_wrong`) and the right (`_right`) rows: correlation with
    the own class's mean (`own_`), the share closer to the other class's mean (`closer_other`,
    a count among the wrong), total input (`ink_`), confidence max(p, 1 - p) (`conf_`), and
    `sure_wrong`, the wrong rows with a confidence above 0.95.
    """
    bad = (p > 0.5) != y_eval
    corr, rows = class_mean_correlation(x, y, x_eval), np.arange(len(y_eval))
    own, other = corr[rows, y_eval], corr[rows, 1 - y_eval]
    ink, confidence = x_eval.sum(axis=1), np.maximum(p, 1 - p)
    return {"n_wrong": int(bad.sum()), "n_0_as_1": int(np.sum(bad & (y_eval == 0))),
            "n_1_as_0": int(np.sum(bad & (y_eval == 1))),
            "own_wrong": float(np.median(own[bad])), "own_right": float(np.median(own[~bad])),
            "closer_other": int(np.sum(other[bad] > own[bad])),
            "closer_other_right": float(np.mean(other[~bad] > own[~bad])),
            "ink_wrong": float(ink[bad].mean()), "ink_right": float(ink[~bad].mean()),
            "conf_wrong": float(np.median(confidence[bad])),
            "conf_right": float(np.median(confidence[~bad])),
            "sure_wrong": int(np.sum(confidence[bad] > 0.95))}


def one_class(output: np.ndarray, y_eval: np.ndarray, accuracies: Sequence[float],
              names: tuple[str, str] = ("0s", "1s")) -> dict:
    """Whether a binary classifier has collapsed onto one class.

    `predicts`: "all <names[1]>" when every entry of `output` (probabilities of class 1) is
    above 1/2, "all <names[0]>" when none is, else "both". A network that gives one answer
    scores exactly that class's share of `y_eval`: `acc_is_share` says the last of
    `accuracies` (recent evaluations on y_eval) is that share, and `flips` that both classes'
    shares are among `accuracies`, so the class it predicts kept changing.
    """
    share, above = float(np.mean(y_eval)), float(np.mean(np.asarray(output) > 0.5))
    seen = {round(a, 12) for a in accuracies}
    return {"predicts": {1.0: f"all {names[1]}", 0.0: f"all {names[0]}"}.get(above, "both"),
            "flips": seen >= {round(share, 12), round(1 - share, 12)},
            "acc_is_share": abs(accuracies[-1] - (share if above == 1.0 else 1 - share)) < 1e-12}


def epoch_curves(epochs: int, train_epoch: Callable[[int], Sequence[float]],
                 measure: dict[str, Callable[[], tuple[float, float]]]) -> dict[str, np.ndarray]:
    """Learning curves epoch by epoch: `train_epoch(e)` for e = 1..epochs returns the loss of
    each of its steps; every `measure[name]()` returns (loss, accuracy) on one data set and is
    called before training and after every epoch.

    Returns `step_loss` (every step) and `{name}_loss`, `{name}_acc` (epochs + 1 values each).
    """
    steps: list[float] = []
    curves: dict[str, list[float]] = {}
    for epoch in range(epochs + 1):
        if epoch:
            steps += train_epoch(epoch)
        for name, fn in measure.items():
            loss, acc = fn()
            curves.setdefault(f"{name}_loss", []).append(loss)
            curves.setdefault(f"{name}_acc", []).append(acc)
    return {"step_loss": np.array(steps), **{k: np.array(v) for k, v in curves.items()}}


# --- means along sweeps, and a classifier's confidently wrong outputs --------------------------

def sweep_trends(sweeps: dict[str, Sequence[dict]], keys: Sequence[str]) -> dict[str, dict]:
    """Sweeps ({name: one record per swept value, each holding arrays over seeds}) read along
    the swept values: for each of `keys`, `mean[key][name]`, the mean over the seeds of every
    value in sweep order, and `falls[key][name]` / `rises[key][name]`, whether those means
    strictly fall / rise from each value to the next."""
    mean = {key: {name: [float(np.mean(row[key])) for row in rows] for name, rows in sweeps.items()}
            for key in keys}
    return {"mean": mean} | {
        trend: {key: {name: bool(np.all(sign * np.diff(v) > 0)) for name, v in by_name.items()}
                for key, by_name in mean.items()} for trend, sign in (("falls", -1), ("rises", 1))}


def wrong_outputs(outputs: Sequence[np.ndarray], labels: np.ndarray, confident: float) -> dict:
    """Of a binary classifier's sigmoid outputs (one array per run, beside the 0/1 `labels`;
    class 1 above 0.5): the indices of the `runs` that misclassify a point, whether every
    misclassified output is `confident`ly wrong (off by more than `confident`), and `slope`,
    the largest slope 4 y (1 - y) of the sigmoid among them as a share of its peak 1/4 (0 when
    there are none)."""
    labels = np.asarray(labels) > 0.5
    wrong = [np.asarray(out)[(np.asarray(out) > 0.5) != labels] for out in outputs]
    flat = np.concatenate([[], *wrong])  # a wrong output is off by max(y, 1 - y)
    return {"runs": [k for k, w in enumerate(wrong) if w.size],
            "confident": bool(np.all(np.maximum(flat, 1 - flat) > confident)),
            "slope": float(np.max(4 * flat * (1 - flat), initial=0.0))}


def inverse_law(values: Sequence[float], settled: Sequence[Sequence[float] | None]) -> dict:
    """Whether the steps a curve needs to reach a threshold are inversely proportional to a
    swept value (a learning rate, ascending): over the values whose every seed got there
    (`settled[k]`, the seeds' steps, or None when some seed did not), `stable` (their indices),
    `contiguous` (no value between them left out), `c`, the mean of value x mean steps, and
    `spread`, the largest relative deviation of one value's product from c."""
    stable = [k for k, steps in enumerate(settled) if steps is not None]
    products = np.array([values[k] * np.mean(settled[k]) for k in stable])
    c = float(products.mean())
    return {"stable": stable, "contiguous": stable == list(range(stable[0], stable[-1] + 1)),
            "c": c, "spread": float(np.max(np.abs(products / c - 1)))}


def unit_symmetry(w: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """How far a layer's units are from identical, for the zero-initialisation studies:
    `unit_spread`, the largest difference between two units' incoming weights (the columns of
    w (d0, d1)) and biases b (d1,), zero exactly when all units are the same; and `w1_norm`,
    the sum of |w|, zero when the weights never left zero. (`report.fragments.
    unit_symmetry_table` tabulates these two keys.)"""
    units = np.vstack([w, b[None, :]])
    return {"unit_spread": float(np.max(np.abs(units - units[:, :1]))),
            "w1_norm": float(np.abs(w).sum())}


def reach_summary(curves: Sequence[Sequence[float]], target: float) -> dict:
    """Seeded runs' curves (one per seed) against a `target` they should reach from below (a
    training accuracy of 1, say), as `seed_summary` reads curves against a loss threshold:
    `firsts`, each run's `first_reached` step (None if never), `finals`, each run's last
    value, `n_reached`, and `reached`, whether every run got there, with `first_mean`, their
    mean step (None unless every run got there)."""
    firsts = [first_reached(c, target) for c in curves]
    reached = None not in firsts
    return {"firsts": firsts, "finals": [float(c[-1]) for c in curves],
            "n_reached": len(firsts) - firsts.count(None), "reached": reached,
            "first_mean": float(np.mean(firsts)) if reached else None}
