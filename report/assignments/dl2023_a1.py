"""dl2023-a1: Deep Learning 2023, Assignment 1 (NumPy) — experiment configs and context."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.optimize
import sklearn.datasets

from derivations import gd2d
from figures import dl2023_a1 as fig
from model import BCE, Linear, ReLU, Sigmoid, fit
from model.assignments.dl2023 import linear, network, one_layer
from model.data import digits_split, load_digits_binary
from model.diagnostics import (
    dead_relu_fraction,
    detect_cycle,
    detect_divergence,
    hessian_eigenvalues,
    saturated_fraction,
    stability_bound,
)
from model.functional import relu, relu_grad, sigmoid, sigmoid_grad
from model.gradcheck import (
    KINK_BAND,
    SMOOTH_BAND,
    GradCheck,
    check_function,
    numeric_grad,
    rel_error,
)
from model.losses import bce_loss, bce_loss_grad
from model.optim2d import f, optimize_f
from report.fragments import gradcheck_table, table
from report.latex import NoEscape, fmt_num
from report.numbers import pm
from report.spec import Experiment, FigureSpec, Report
from report.sweep import grid, over_seeds, sweep

# §1.1 (b): the run the assignment prescribes.
GD_B = {"x": 3.0, "y": 2.0, "step_size": 0.1, "steps": 10, "decay": 1.0}
# §1.1 (d): the grid we tune over.
GD_GRID = {"x": 3.0, "y": 2.0, "step_sizes": [0.001, 0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5],
           "steps": [10, 30, 100, 1000]}
# §1.1 (e): too small, good, too large.
GD_COMPARE = {"x": 3.0, "y": 2.0, "step_sizes": [0.01, 0.15, 0.5], "steps": 30}
# §1.1 (h): a decaying step size.
GD_DECAY = {"x": 3.0, "y": 2.0, "step_size": 0.2, "steps": 50, "decay": 0.95}
MINIMA = {"box": 5.0, "starts_per_axis": 21}


def run_gd(config: dict) -> dict[str, Any]:
    """One gradient-descent run on f, with its whole path."""
    x, y, value, xs, ys = optimize_f(
        config["x"], config["y"], config["step_size"], config["steps"], config["decay"]
    )
    return {"x": x, "y": y, "f": float(value), "x_hist": xs, "y_hist": ys,
            "f_hist": [float(f(a, b)) for a, b in zip(xs, ys, strict=True)],
            "step_size": config["step_size"], "steps": config["steps"], "decay": config["decay"]}


def _settles(xs: list[float], ys: list[float]) -> dict[str, Any]:
    """How a path ends: the period it repeats with (1 = converged, None = neither), divergence."""
    path = np.column_stack([xs, ys])
    cycle = detect_cycle(path)
    return {"period": cycle.period if cycle else None,
            "cycle": cycle.points if cycle else None,
            "diverged": detect_divergence(path) is not None}


def run_gd_grid(config: dict) -> dict[str, Any]:
    """Final f for every (step size, steps) of the tuning grid, and how the longest runs end."""
    final = np.empty((len(config["step_sizes"]), len(config["steps"])))
    ends = []
    with np.errstate(over="ignore", invalid="ignore"):
        for i, eta in enumerate(config["step_sizes"]):
            for j, steps in enumerate(config["steps"]):
                *_, final[i, j], xs, ys = optimize_f(config["x"], config["y"], eta, steps)
            ends.append({"step_size": eta, "x": xs[-1], "y": ys[-1]} | _settles(xs, ys))
    i, j = np.unravel_index(np.nanargmin(final), final.shape)
    best = {"x": config["x"], "y": config["y"], "step_size": config["step_sizes"][i],
            "steps": config["steps"][j], "decay": 1.0}
    return {"step_sizes": config["step_sizes"], "steps": config["steps"], "final_f": final,
            "best_config": best, "best": run_gd(best), "ends": ends}


def run_gd_compare(config: dict) -> dict[str, Any]:
    """Paths for a few step sizes side by side."""
    return {
        str(eta): run_gd({"x": config["x"], "y": config["y"], "step_size": eta,
                          "steps": config["steps"], "decay": 1.0})
        for eta in config["step_sizes"]
    }


def find_minima(config: dict) -> dict[str, Any]:
    """All local minima of f in the box, by BFGS from a grid of starts; the lowest is global."""
    axis = np.linspace(-config["box"], config["box"], config["starts_per_axis"])
    found: list[tuple[float, float, float]] = []
    for x0 in axis:
        for y0 in axis:
            res = scipy.optimize.minimize(lambda p: f(*p), [x0, y0], method="BFGS")
            point = (float(res.x[0]), float(res.x[1]), float(res.fun))
            if res.success and not any(np.hypot(point[0] - a, point[1] - b) < 1e-4
                                       for a, b, _ in found):
                found.append(point)
    found.sort(key=lambda m: m[2])
    minima = []
    for x, y, v in found:
        eigenvalues = hessian_eigenvalues(gd2d.f, (gd2d.x, gd2d.y), (x, y))
        minima.append({"x": x, "y": y, "f": v, "eigenvalues": eigenvalues,
                       "bound": stability_bound(eigenvalues)})
    return {"minima": minima}


def _cell(value: float):
    """A table cell: the number, or a word for a run that overflowed."""
    return fmt_num(value, 4) if np.isfinite(value) else "diverged"


def _nearest(minima: list[dict], x: float, y: float) -> int:
    """Index of the minimum closest to (x, y); 0 is the global one."""
    return int(np.argmin([np.hypot(x - m["x"], y - m["y"]) for m in minima]))


def _ends(grid: dict, minima: list[dict]) -> dict[float, dict]:
    """How the longest run of each step size ends, and the minimum it ends at or cycles around."""
    ends = {}
    for end in grid["ends"]:
        points = end["cycle"] or [[end["x"], end["y"]]]
        near = {_nearest(minima, *p) for p in points}
        ends[end["step_size"]] = end | {"near": near.pop() if len(near) == 1 else None,
                                        "f": float(f(end["x"], end["y"])),
                                        "above": [m["bound"] < end["step_size"] for m in minima],
                                        "above_all": all(m["bound"] < end["step_size"]
                                                         for m in minima)}
    return ends


def _decay_facts(run: dict, minima: list[dict]) -> dict[str, int]:
    """§1.1 (h): the first step whose step size is below the global minimum's 2/lambda_max, and
    the step from which the path stays closest to the global minimum."""
    t = 0
    while run["step_size"] * run["decay"] ** t >= minima[0]["bound"]:
        t += 1
    near = [_nearest(minima, a, b) for a, b in zip(run["x_hist"], run["y_hist"], strict=True)]
    outside = [k for k, n in enumerate(near) if n != 0]
    return {"stable_from": t, "in_basin_from": outside[-1] + 1 if outside else 0}


def context_gd(r: dict[str, Any]) -> dict[str, Any]:
    """§1.1: values the answers quote, and the facts their claims (in the template) assert."""
    minima = r["minima"]["minima"]
    best = minima[0]
    b = r["gd_b"]
    b_near = minima[_nearest(minima, b["x"], b["y"])]
    grid = r["gd_grid"]
    final = grid["final_f"]
    reached = [
        (eta, steps) for i, eta in enumerate(grid["step_sizes"])
        for j, steps in enumerate(grid["steps"]) if abs(final[i, j] - best["f"]) < 1e-3
    ]
    small, good, large = (r["gd_compare"][str(eta)] for eta in GD_COMPARE["step_sizes"])
    etas = sorted({eta for eta, _ in reached})
    last = final[:, -1]
    smaller = [i for i, eta in enumerate(grid["step_sizes"]) if etas and eta < etas[0]]
    return {
        "heads_local": b_near is not best,
        "smaller_end_local": all(abs(last[i] - b_near["f"]) < 0.1 for i in smaller),
        "global_min": best,
        "minima": minima,
        "b_near": b_near,
        "local_index": minima.index(b_near),
        "reached": reached,
        "reached_etas": etas,
        "ends": _ends(grid, minima),
        "decay": _decay_facts(r["gd_decay"], minima),
        "grid_best": grid["best_config"] | {"f": grid["best"]["f"]},
        "compare": {"small": small, "good": good, "large": large},
        "compare_sizes": GD_COMPARE["step_sizes"],
        "grid_table": table(
            ["step size / steps", *grid["steps"]],
            [[eta, *(_cell(v) for v in row)]
             for eta, row in zip(grid["step_sizes"], final, strict=True)],
        ),
    }


# --- §1.2 to §1.4: components and their gradient checks ----------------------------------------

COMPONENTS = {"seed": 12345}
FD_EPS = {"x": [-3.0, -0.5, 0.7, 2.0], "eps_exponents": [-15.0, 0.0], "points": 61}
LAYER_CHECKS = {"seed": 12345}


def _fd_rows(x: np.ndarray, fn, grad_fn) -> dict[str, Any]:
    """Symbolic vs central-difference gradients of an elementwise function, entry by entry."""
    numeric = numeric_grad(lambda v: float(np.sum(fn(v))), x.copy())
    analytic = grad_fn(x)
    return {"x": x, "symbolic": analytic, "numeric": numeric,
            "abs": np.abs(analytic - numeric),
            "rel": [rel_error(a, n) for a, n in zip(analytic, numeric, strict=True)],
            "rel_error": rel_error(analytic, numeric)}


def run_components(config: dict) -> dict[str, Any]:
    """The values §1.2 prints for its seeded inputs, and the finite-difference checks."""
    seed = config["seed"]
    x_sig = np.random.default_rng(seed).uniform(-10, 10, size=5)
    x_fd = np.random.default_rng(seed).uniform(-2, 2, size=5)
    x_relu = np.random.default_rng(seed).uniform(-10, 10, size=5)
    rng = np.random.default_rng(seed)
    y = rng.integers(2, size=5).astype(float)
    y_hat = rng.uniform(0, 1, size=5)
    return {
        "sigmoid": {"x": x_sig, "value": sigmoid(x_sig), "grad": sigmoid_grad(x_sig)},
        "sigmoid_fd": _fd_rows(x_fd, sigmoid, sigmoid_grad),
        "relu": {"x": x_relu, "value": relu(x_relu), "grad": relu_grad(x_relu)},
        "relu_fd": _fd_rows(x_relu, relu, relu_grad),
        "bce": {"y": y, "y_hat": y_hat, "loss": bce_loss(y, y_hat)},
        "bce_fd": _fd_rows(y_hat, lambda v: bce_loss(y, v), lambda v: bce_loss_grad(y, v)),
    }


def run_fd_eps(config: dict) -> dict[str, Any]:
    """Error of forward and central differences of the sigmoid against its exact derivative."""
    x = np.array(config["x"])
    eps = np.logspace(*config["eps_exponents"], config["points"])
    exact = sigmoid_grad(x)
    central = [np.max(np.abs((sigmoid(x + e / 2) - sigmoid(x - e / 2)) / e - exact)) for e in eps]
    forward = [np.max(np.abs((sigmoid(x + e) - sigmoid(x)) / e - exact)) for e in eps]
    return {"eps": eps, "central": np.array(central), "forward": np.array(forward)}


def run_one_layer(config: dict) -> dict[str, Any]:
    """§1.3: the one-layer model on the seeded input, checked by central differences."""
    rng = np.random.default_rng(config["seed"])
    w, b = rng.normal(size=5), rng.normal()
    x = rng.uniform(size=5)
    loss, grad_x = one_layer(x, 1.0, w, b)
    check = check_function(lambda v: one_layer(v, 1.0, w, b)[0],
                           lambda v: one_layer(v, 1.0, w, b)[1], x.copy())
    return {"x": x, "loss": loss, "grad_x": grad_x, "numeric": check.numeric,
            "abs_error": check.abs_error, "rel_error": check.rel_error}


def _linear_param_check(x: np.ndarray, param: str, rng: np.random.Generator) -> GradCheck:
    """Check a fresh Linear(5, 7)'s gradient for `param` ("W" or "b") on the batch x."""
    layer = linear(5, 7, rng)

    def grad(_: np.ndarray) -> np.ndarray:
        layer.backward(x, 2 * np.ones((len(x), 7)))
        return getattr(layer, "d" + param)

    return check_function(lambda _: 2 * np.sum(layer.forward(x)), grad, getattr(layer, param),
                          f"Linear d{param}")


def run_layer_checks(config: dict) -> dict[str, Any]:
    """§1.4 (d): gradient checks of the layers; the output is doubled to test that dy is used."""
    rng = np.random.default_rng(config["seed"])
    layer = linear(5, 7, rng)
    x = rng.uniform(-10, 10, size=(3, 5))
    rows = [check_function(lambda v: 2 * np.sum(layer.forward(v)),
                           lambda v: layer.backward(v, 2 * np.ones((3, 7))), x, "Linear dx")]
    x = rng.uniform(size=(3, 5))
    rows += [_linear_param_check(x, "W", rng), _linear_param_check(x, "b", rng)]
    for name, act, low in (("Sigmoid dx", Sigmoid(), -10.0), ("ReLU dx", ReLU(), 1.0)):
        v = np.random.default_rng(config["seed"]).uniform(low, 10, size=(3, 5))
        rows.append(check_function(lambda u, a=act: 2 * np.sum(a.forward(u)),
                                   lambda u, a=act: a.backward(u, 2 * np.ones(u.shape)), v, name))
    return {"rows": [{"name": r.name, "abs_error": r.abs_error, "rel_error": r.rel_error}
                     for r in rows]}


def run_sanity_checks(config: dict) -> dict[str, bool]:
    """The behaviour the assignment asks its code to show in 1.1 (a), (g) and 1.4 (a)-(c)."""
    x, _, value, _, _ = optimize_f(3.0, 2.0, 0.1, 1)
    trace = optimize_f(0.123, 0.456, 0.01, 2, 0.1)[3]
    rng = np.random.default_rng(config["seed"])
    batch = rng.uniform(size=(3, 5))
    layer = linear(5, 7, rng)
    y, dx = layer.forward(batch), layer.backward(batch, np.ones((3, 7)))
    layer.W *= 2
    layer.b = layer.b * 2 + 1
    checks = {
        "gd_moves": x != 3.0 and value < f(3.0, 2.0) and abs(x - 3.0) < 1,
        "decay_shrinks": abs(trace[1] - trace[0]) > 5 * abs(trace[2] - trace[1]),
        # Exact equality holds: doubling is exact in floating point.
        "linear": y.shape == (3, 7) and dx.shape == batch.shape
        and bool(np.all(layer.forward(batch) == 2 * y + 1))
        and bool(np.all(layer.backward(batch, np.ones((3, 7))) == 2 * dx)),
    }
    v = rng.uniform(-10, 10, size=(3, 5))
    for name, act in (("sigmoid", Sigmoid()), ("relu", ReLU())):
        out, grad = act.forward(v), act.backward(v, np.ones_like(v))
        checks[name] = out.shape == v.shape and grad.shape == v.shape
        if name == "sigmoid":
            checks[name] = checks[name] and bool(np.all((out > 0) & (out < 1)))
    return checks


# --- §1.6 and §1.7: training on the digits -------------------------------------------------------

EPOCHS = 25
SEEDS = [0, 1, 2]
DIGITS = {"ddof": 0, "train_fraction": 0.5, "split_seed": 12345}
SWEEP = {"lrs": [0.0003, 0.001, 0.003, 0.01, 0.03], "mbs": [5, 10, 50], "seeds": SEEDS,
         "epochs": EPOCHS, "arch": "64-32-1"}
TUNED = {"arch": "64-32-1", "lr": 0.01, "mb": 10, "epochs": EPOCHS, "seed": 12345}
VARIANTS = {"archs": ["64-32-1", "64-1", "64-32-1 linear", "64-32-32-16-1"], "lr": 0.01,
            "mb": 10, "epochs": EPOCHS, "seeds": SEEDS}
ZERO_INIT = {"cases": [["64-32-1", "zeros"], ["64-32-1 sigmoid", "zeros"],
                       ["64-32-1", "zero bias"]],
             "lr": 0.01, "mb": 10, "epochs": EPOCHS, "seed": 0}

def _digits() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The notebook's split, labels as a column as its network's output is."""
    (x, y), (x_test, y_test) = digits_split(**DIGITS)
    return (x, y[:, None]), (x_test, y_test[:, None])


def run_digits_stats(config: dict) -> dict[str, Any]:
    """What the notebook prints about the data, and the first ten images for the strip."""
    x, y = load_digits_binary(ddof=config["ddof"])
    raw = sklearn.datasets.load_digits()["data"][:10]
    (x_train, _), (x_test, _) = _digits()
    return {"shape_x": x.shape, "shape_y": y.shape, "min": float(x.min()), "max": float(x.max()),
            "labels": np.unique(y), "first_ten": raw, "first_ten_labels": y[:10],
            "n_train": len(x_train), "n_test": len(x_test)}


def train_digits(config: dict) -> dict[str, Any]:
    """Train one network on the digits as the notebook's fit does; return its curves.

    Like the notebook: minibatches in order, the last partial one dropped, the gradient of the
    batch sum, and the test set evaluated after every epoch.
    """
    (x, y), (x_test, y_test) = _digits()
    rng = np.random.default_rng(config["seed"])
    net = network(config["arch"], rng)
    linears = [layer for layer in net.layers if isinstance(layer, Linear)]
    if config.get("init") == "zeros":
        for layer in linears:
            layer.W[...] = 0
    history = fit(net, BCE(), x, y, epochs=config["epochs"], lr=config["lr"],
                  batch_size=config["mb"], x_val=x_test, y_val=y_test, shuffle=False,
                  reduction="sum", drop_last=True, progress=False)
    first = linears[0]
    units = np.vstack([first.W, first.b[None, :]])
    out = net.forward(x_test)[0]
    # What the trained network looks like, for the explanations of 1.6 and 1.7.
    return {"train_loss": history.epoch_loss, "train_acc": history.epoch_acc,
            "test_loss": history.val_loss, "test_acc": history.val_acc,
            "hidden_spread": float(np.max(np.abs(units - units[:, :1]))),
            "weight_norm": float(np.abs(first.W).sum()),
            "dead": dead_relu_fraction(net, x), "out_min": float(out.min()),
            "out_max": float(out.max()), "out_saturated": saturated_fraction(net, x_test)[-1]}


def run_sweep(config: dict) -> dict[str, Any]:
    """Each run's results after training, as learning rate x minibatch size x seed arrays."""
    runs = sweep(train_digits, grid({"arch": config["arch"], "epochs": config["epochs"]},
                                    lr=config["lrs"], mb=config["mbs"], seed=config["seeds"]),
                 "sweep")
    shape = (len(config["lrs"]), len(config["mbs"]), len(config["seeds"]))
    # The last epoch's accuracies and loss; of the dead fractions, the (only) hidden layer's.
    last = {"train_acc": -1, "test_acc": -1, "test_loss": -1, "dead": 0}
    return {"lrs": config["lrs"], "mbs": config["mbs"],
            **{key: np.array([r[key][i] for r in runs]).reshape(shape) for key, i in last.items()},
            **{key: np.array([r[key] for r in runs]).reshape(shape)
               for key in ("out_min", "out_max", "out_saturated")}}


def run_variants(config: dict) -> dict[str, Any]:
    """Each architecture trained with the same budget, for every seed."""
    common = {key: config[key] for key in ("lr", "mb", "epochs")}
    return over_seeds(train_digits, {arch: {"arch": arch} | common for arch in config["archs"]},
                      config["seeds"], "variants")


def run_zero_init(config: dict) -> dict[str, Any]:
    """§1.7 (c): hidden units after training from all-zero weights, and from a zero bias only."""
    return {f"{arch}, {init}": train_digits({"arch": arch, "init": init, "lr": config["lr"],
                                             "mb": config["mb"], "seed": config["seed"],
                                             "epochs": config["epochs"]})
            for arch, init in config["cases"]}


# --- what the template quotes, and the claims behind its sentences -------------------------------

def _values_table(header: list[str], columns: list[np.ndarray], digits: int = 6) -> NoEscape:
    """Values side by side; whole numbers (labels, a ReLU's 0 and 1) without decimals."""
    return table(header, [[int(v) if float(v).is_integer() else fmt_num(v, digits) for v in row]
                          for row in zip(*columns, strict=True)])


def _fd_table(rows: dict, name: str) -> NoEscape:
    cells = zip(rows["x"], rows["symbolic"], rows["numeric"], rows["abs"], rows["rel"],
                strict=True)
    x, a, n, d, e = zip(*cells, strict=True)
    return gradcheck_table({name: [fmt_num(v, 4) for v in x]}, e, abs_error=d, analytic=a,
                           numeric=n, analytic_is="the symbolic derivative")


def context_components(r: dict[str, Any]) -> dict[str, Any]:
    """§1.2 to §1.4: value tables, gradient-check tables, the best finite-difference step."""
    comp, eps_run, layer_rows = r["components"], r["fd_eps"], r["layer_checks"]["rows"]
    eps, central, forward = eps_run["eps"], eps_run["central"], eps_run["forward"]
    best = int(np.argmin(central))
    one = r["one_layer"]
    return {
        "fd_grows_both_sides": bool(central[0] > 100 * central[best]
                                    and central[-1] > 100 * central[best]),
        "layer_max_rel": max(row["rel_error"] for row in layer_rows),
        "sigmoid_peak": float(sigmoid_grad(np.linspace(-10, 10, 2001)).max()),
        "sigmoid_values": _values_table(["x", "sigmoid(x)", "sigmoid_grad(x)"],
                                        [comp["sigmoid"][k] for k in ("x", "value", "grad")]),
        "relu_values": _values_table(["x", "relu(x)", "relu_grad(x)"],
                                     [comp["relu"][k] for k in ("x", "value", "grad")], 4),
        "bce_values": _values_table(["y", "y_hat", "bce_loss(y, y_hat)"],
                                    [comp["bce"][k] for k in ("y", "y_hat", "loss")]),
        "sigmoid_fd": _fd_table(comp["sigmoid_fd"], "x"),
        "relu_fd": _fd_table(comp["relu_fd"], "x"),
        "bce_fd": _fd_table(comp["bce_fd"], "y_hat"),
        "fd_errors": {k: comp[k]["rel_error"] for k in ("sigmoid_fd", "relu_fd", "bce_fd")},
        "best_eps": eps[best], "best_eps_error": central[best],
        "best_forward_eps": eps[int(np.argmin(forward))], "best_forward_error": forward.min(),
        "one_layer_table": gradcheck_table(
            {"x": [fmt_num(v, 4) for v in one["x"]]},
            [rel_error(a, n) for a, n in zip(one["grad_x"], one["numeric"], strict=True)],
            analytic=one["grad_x"], numeric=one["numeric"]),
        "layer_table": gradcheck_table({"check": [row["name"] for row in layer_rows]},
                                       [row["rel_error"] for row in layer_rows],
                                       abs_error=[row["abs_error"] for row in layer_rows]),
        "smooth_band": SMOOTH_BAND, "kink_band": KINK_BAND,
    }


def _final(runs: list[dict], key: str) -> np.ndarray:
    return np.array([run[key][-1] for run in runs])


def _late_epochs(run: dict, n: int) -> dict[str, float]:
    """§1.6 (c): how much the test accuracy and the training loss change over the last n epochs."""
    test = run["test_acc"][-n - 1:]
    return {"n": n, "test_change": float(max(test) - min(test)),
            "loss_ratio": run["train_loss"][-1] / run["train_loss"][-n - 1]}


def _fast_runs(sweep: dict) -> dict[str, Any]:
    """§1.7 (a): the runs at the largest learning rate that fail (test accuracy below 0.9), and
    what their networks look like after training next to those that do not fail."""
    acc, dead = sweep["test_acc"][-1], sweep["dead"][-1]
    failed = acc < 0.9
    spread = (sweep["out_max"] - sweep["out_min"])[-1]
    return {"n_failed": int(failed.sum()), "n_runs": int(failed.size),
            "failed_mbs": sorted({sweep["mbs"][j] for j in np.argwhere(failed)[:, 0]}),
            "failed_dead_min": float(dead[failed].min()) if failed.any() else 0.0,
            "failed_dead_max": float(dead[failed].max()) if failed.any() else 0.0,
            "failed_out_spread": float(spread[failed].max()) if failed.any() else 0.0,
            "failed_saturated": float(sweep["out_saturated"][-1][failed].max())
            if failed.any() else 0.0,
            "ok_dead_max": float(dead[~failed].max()) if (~failed).any() else 0.0,
            "mb_acc": acc.mean(axis=-1)}


def context_training(r: dict[str, Any]) -> dict[str, Any]:
    """§1.6 and §1.7: the sweep's best, the variants' comparison, and the zero-init study."""
    sweep, variants, zero = r["sweep"], r["variants"], r["zero_init"]
    mean = sweep["test_acc"].mean(axis=-1)
    i, j = np.unravel_index(np.argmax(mean), mean.shape)
    lrs, mbs = sweep["lrs"], sweep["mbs"]
    acc = {arch: _final(runs, "test_acc") for arch, runs in variants.items()}
    train = {arch: _final(runs, "train_acc") for arch, runs in variants.items()}
    deep = "64-32-32-16-1"
    zr, zs, zb = (zero[f"{a}, {k}"] for a, k in ZERO_INIT["cases"])
    rows = [[arch, pm(train[arch]), pm(acc[arch]), pm(_final(variants[arch], "train_loss"), 4)]
            for arch in VARIANTS["archs"]]
    zero_rows = [[name, fmt_num(run["hidden_spread"], 3), fmt_num(run["weight_norm"], 1),
                  fmt_num(run["test_acc"][-1], 3)] for name, run in zero.items()]
    return {
        "tuned_is_best": bool(TUNED["lr"] == lrs[i] and
                              mean[i, :].max() - mean[i, mbs.index(TUNED["mb"])] < 0.005),
        # The largest spread over minibatch sizes at any learning rate below the largest.
        "mb_spread": float((mean[:-1].max(axis=1) - mean[:-1].min(axis=1)).max()),
        "deep_fits_train": bool(np.all(train[deep] == 1.0)),
        "deep_misses_test": bool(np.all(acc[deep] < 1.0)),
        "sweep_best": {"lr": lrs[i], "mb": mbs[j], "acc": mean[i, j]},
        "sweep_mean": mean,
        "variants_table": table(["network", "train accuracy", "test accuracy", "train loss"],
                                rows),
        "zero_table": table(["network, initialisation", "max unit difference",
                             "sum |W1|", "test accuracy"], zero_rows),
        "acc": {a: v.mean() for a, v in acc.items()},
        "zero": {"relu": zr, "sigmoid": zs, "bias": zb},
        "n_seeds": len(SEEDS),
        "fast": _fast_runs(sweep),
        "train_mean": {a: v.mean() for a, v in train.items()},
        "gap": {a: float(np.mean([run["train_acc"][-1] - run["test_acc"][-1] for run in runs]))
                for a, runs in variants.items()},
        "epochs_late": _late_epochs(r["tuned"], 10),
    }


def context(r: dict[str, Any]) -> dict[str, Any]:
    return context_gd(r) | context_components(r) | context_training(r)


REPORT = Report(
    id="dl2023-a1",
    title="Deep Learning 2023, Assignment 1",
    template="dl2023-a1.tex.j2",
    experiments=(
        Experiment("gd_b", run_gd, GD_B),
        Experiment("gd_grid", run_gd_grid, GD_GRID),
        Experiment("gd_compare", run_gd_compare, GD_COMPARE),
        Experiment("gd_decay", run_gd, GD_DECAY),
        Experiment("minima", find_minima, MINIMA),
        Experiment("components", run_components, COMPONENTS),
        Experiment("fd_eps", run_fd_eps, FD_EPS),
        Experiment("one_layer", run_one_layer, COMPONENTS),
        Experiment("layer_checks", run_layer_checks, LAYER_CHECKS),
        Experiment("sanity_checks", run_sanity_checks, LAYER_CHECKS),
        Experiment("digits_stats", run_digits_stats, DIGITS, data=("digits",)),
        Experiment("sweep", run_sweep, SWEEP, data=("digits",)),
        Experiment("tuned", train_digits, TUNED, data=("digits",)),
        Experiment("variants", run_variants, VARIANTS, data=("digits",)),
        Experiment("zero_init", run_zero_init, ZERO_INIT, data=("digits",)),
    ),
    figures=(
        FigureSpec("gd_path_b", fig.gd_path_b, ("gd_b", "minima")),
        FigureSpec("gd_path_d", fig.gd_path_d, ("gd_grid", "minima")),
        FigureSpec("gd_step_sizes", fig.gd_step_sizes, ("gd_compare", "minima")),
        FigureSpec("gd_path_decay", fig.gd_path_decay, ("gd_decay", "minima")),
        FigureSpec("fd_eps", fig.fd_eps, ("fd_eps",)),
        FigureSpec("activations", fig.activations, ()),
        FigureSpec("digits_strip", fig.digits_strip, ("digits_stats",)),
        FigureSpec("sweep_heatmap", fig.sweep_heatmap, ("sweep",)),
        FigureSpec("curves_tuned", fig.curves_tuned, ("tuned",)),
        FigureSpec("curves_variants", fig.curves_variants, ("variants",)),
    ),
    context=context,
)
