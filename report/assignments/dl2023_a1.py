"""dl2023-a1: Deep Learning 2023, Assignment 1 (NumPy) — experiment configs and context."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from figures import dl2023_a1 as fig
from figures import studies
from model import BCE, Linear, ReLU, Sigmoid, fit, optim2d
from model.assignments.dl2023 import linear, network, one_layer
from model.data import digits_split
from model.diagnostics import dead_relu_fraction, saturated_fraction, unit_symmetry
from model.functional import relu, relu_grad, sigmoid, sigmoid_grad
from model.gradcheck import check_function, check_layer, difference_errors
from model.losses import bce_loss, bce_loss_grad
from model.optim2d import run_gd
from model.runstats import sweep_summary
from report import fragments as tex
from report import studies as study
from report.spec import Experiment, FigureSpec, Report

# §1.1 (b): the run the assignment prescribes.
GD_B = {"x": 3.0, "y": 2.0, "step_size": 0.1, "steps": 10, "decay": 1.0}
# §1.1 (d): the grid we tune over.
GD_GRID = {"x": 3.0, "y": 2.0, "step_sizes": [0.001, 0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5],
           "steps": [10, 30, 100, 1000]}
# §1.1 (e): too small, good, too large.
GD_COMPARE = {"x": 3.0, "y": 2.0, "step_sizes": [0.01, 0.15, 0.5], "steps": 30}
# §1.1 (h): a decaying step size.
GD_DECAY = {"x": 3.0, "y": 2.0, "step_size": 0.2, "steps": 50, "decay": 0.95}
# §1.1 (g): the assignment's check that a decaying step shrinks.
GD_SHRINK = {"x": 0.123, "y": 0.456, "step_size": 0.01, "steps": 2, "decay": 0.1}
MINIMA = {"box": 5.0, "starts_per_axis": 21}


def context_gd(r: dict[str, Any]) -> dict[str, Any]:
    """§1.1: the study as both digits reports read it (the grid and run (b), the three step
    sizes, the grid's table), and the decay run."""
    decay = optim2d.decay_facts(r["gd_decay"], r["minima"]["minima"])
    return study.descent_context(r) | {"decay": decay}


# --- §1.2 to §1.4: components and their gradient checks ----------------------------------------

COMPONENTS = {"seed": 12345}
FD_EPS = {"x": [-3.0, -0.5, 0.7, 2.0], "eps_exponents": [-15.0, 0.0], "points": 61}


def run_components(config: dict) -> dict[str, Any]:
    """The values §1.2 prints for its seeded inputs, and their central-difference checks."""
    x, x_fd = (np.random.default_rng(config["seed"]).uniform(-a, a, size=5) for a in (10, 2))
    labels = np.random.default_rng(config["seed"])
    y, y_hat = labels.integers(2, size=5).astype(float), labels.uniform(0, 1, size=5)
    return {
        "x": x, "x_fd": x_fd, "y": y, "y_hat": y_hat, "bce": bce_loss(y, y_hat),
        "sigmoid": sigmoid(x), "sigmoid_grad": sigmoid_grad(x), "relu": relu(x),
        "relu_grad": relu_grad(x),
        "sigmoid_fd": check_function(lambda v: np.sum(sigmoid(v)), sigmoid_grad, x_fd.copy()),
        "relu_fd": check_function(lambda v: np.sum(relu(v)), relu_grad, x.copy()),
        "bce_fd": check_function(lambda v: np.sum(bce_loss(y, v)), lambda v: bce_loss_grad(y, v),
                                 y_hat.copy()),
    }


def run_fd_eps(config: dict) -> dict[str, Any]:
    """Error of forward and central differences of the sigmoid against its exact derivative."""
    x, eps = np.array(config["x"]), np.logspace(*config["eps_exponents"], config["points"])
    return {"eps": eps} | difference_errors(sigmoid, sigmoid_grad(x), x, eps)


def run_one_layer(config: dict) -> dict[str, Any]:
    """§1.3: the one-layer model on the seeded input, checked by central differences."""
    rng = np.random.default_rng(config["seed"])
    w, b = rng.normal(size=5), rng.normal()
    x = rng.uniform(size=5)
    return {"x": x, "loss": one_layer(x, 1.0, w, b)[0],
            "check": check_function(lambda v: one_layer(v, 1.0, w, b)[0],
                                    lambda v: one_layer(v, 1.0, w, b)[1], x.copy())}


def run_layer_checks(config: dict) -> dict[str, Any]:
    """§1.4 (a)-(d): the assignment's shape and scaling checks, and every layer's gradient check
    with the output doubled (dy = 2), so that a backward pass that ignores dy fails."""
    rng = np.random.default_rng(config["seed"])
    x, layer = rng.uniform(size=(3, 5)), linear(5, 7, rng)
    y, dx = layer.forward(x), layer.backward(x, np.ones((3, 7)))
    # Exact equality holds: doubling is exact in floating point.
    layer.W *= 2
    layer.b = layer.b * 2 + 1
    checks = {"linear": y.shape == (3, 7) and dx.shape == x.shape
              and bool(np.all(layer.forward(x) == 2 * y + 1))
              and bool(np.all(layer.backward(x, np.ones((3, 7))) == 2 * dx))}
    rows = check_layer(linear(5, 7, rng), rng.uniform(-10, 10, size=(3, 5)), 2 * np.ones((3, 7)))
    v = rng.uniform(-10, 10, size=(3, 5))
    for act, low in ((Sigmoid(), -10.0), (ReLU(), 1.0)):  # no ReLU input within h of its kink
        out, grad = act.forward(v), act.backward(v, np.ones_like(v))
        in_range = isinstance(act, ReLU) or bool(np.all((out > 0) & (out < 1)))
        checks[type(act).__name__] = out.shape == grad.shape == v.shape and in_range
        u = np.random.default_rng(config["seed"]).uniform(low, 10, size=(3, 5))  # as 1.2's input
        rows += check_layer(act, u, 2 * np.ones((3, 5)))
    return {"rows": rows, "checks": checks}


def context_components(r: dict[str, Any]) -> dict[str, Any]:
    """§1.2 to §1.4: value tables, gradient-check tables, the best finite-difference step."""
    comp, eps_run = r["components"], r["fd_eps"]
    eps, central, forward = eps_run["eps"], eps_run["central"], eps_run["forward"]
    best = int(np.argmin(central))
    symbolic = {"analytic_is": "the symbolic derivative"}
    return {
        "fd_grows_both_sides": bool(min(central[0], central[-1]) > 100 * central[best]),
        "sigmoid_peak": float(sigmoid_grad(np.linspace(-10, 10, 2001)).max()),
        "sigmoid_values": tex.columns_table(["x", "sigmoid(x)", "sigmoid_grad(x)"],
                                            [comp[k] for k in ("x", "sigmoid", "sigmoid_grad")]),
        "relu_values": tex.columns_table(["x", "relu(x)", "relu_grad(x)"],
                                         [comp[k] for k in ("x", "relu", "relu_grad")], 4),
        "bce_values": tex.columns_table(["y", "y_hat", "bce_loss(y, y_hat)"],
                                        [comp[k] for k in ("y", "y_hat", "bce")]),
        "sigmoid_fd": tex.entrywise_table(comp["sigmoid_fd"], "x", comp["x_fd"], **symbolic),
        "relu_fd": tex.entrywise_table(comp["relu_fd"], "x", comp["x"], **symbolic),
        "bce_fd": tex.entrywise_table(comp["bce_fd"], "y_hat", comp["y_hat"], **symbolic),
        "best_eps": eps[best], "best_eps_error": central[best],
        "best_forward_error": forward.min(),
        "one_layer_table": tex.entrywise_table(r["one_layer"]["check"], "x", r["one_layer"]["x"]),
        "layer_table": tex.checks_table(r["layer_checks"]["rows"], header="check", math=False),
        "layer_max_rel": max(row.rel_error for row in r["layer_checks"]["rows"]),
    }


# --- §1.6 and §1.7: training on the digits -------------------------------------------------------

EPOCHS = 25
SEEDS = [0, 1, 2]
DIGITS = {"ddof": 0, "train_fraction": 0.5, "split_seed": 12345}
SWEEP = {"lrs": [0.0003, 0.001, 0.003, 0.01, 0.03], "mbs": [5, 10, 50], "seeds": SEEDS,
         "epochs": EPOCHS, "arch": "64-32-1"}
TUNED = {"arch": "64-32-1", "lr": 0.01, "mb": 10, "epochs": EPOCHS, "seed": 12345}
VARIANTS = {"archs": ["64-32-1", "64-1", "64-32-1 linear", "64-32-32-16-1"], "lr": 0.01,
            "mb": 10, "epochs": EPOCHS, "seeds": SEEDS}
# §1.7 (c): all-zero weights, and a zero bias only (the notebook's own initialisation: that
# case is the point of a plain run).
ZERO_INIT = {"cases": [["64-32-1", "zeros"], ["64-32-1 sigmoid", "zeros"],
                       ["64-32-1", "zero bias"]],
             "lr": 0.01, "mb": 10, "epochs": EPOCHS, "seed": 0}


def train_digits(config: dict) -> dict[str, Any]:
    """Train one network on the digits as the notebook's fit does; return its curves.

    Like the notebook: minibatches in order, the last partial one dropped, the gradient of the
    batch sum, and the test set evaluated after every epoch. Labels are a column, as the
    network's output is.
    """
    (x, y), (x_test, y_test) = ((part, labels[:, None]) for part, labels in digits_split(**DIGITS))
    net = network(config["arch"], np.random.default_rng(config["seed"]))
    linears = [layer for layer in net.layers if isinstance(layer, Linear)]
    if config.get("init") == "zeros":
        for layer in linears:
            layer.W[...] = 0
    history = fit(net, BCE(), x, y, epochs=config["epochs"], lr=config["lr"],
                  batch_size=config["mb"], x_val=x_test, y_val=y_test, shuffle=False,
                  reduction="sum", drop_last=True, progress=False)
    out = net.forward(x_test)[0]
    # What the trained network looks like, for the explanations of 1.6 and 1.7.
    return unit_symmetry(linears[0].W, linears[0].b) | {
        "train_loss": history.epoch_loss, "train_acc": history.epoch_acc,
        "test_loss": history.val_loss, "test_acc": history.val_acc,
        "dead": dead_relu_fraction(net, x), "out_min": float(out.min()),
        "out_max": float(out.max()), "out_saturated": saturated_fraction(net, x_test)[-1]}


# The sweep's readings of each run: the last epoch's accuracies and loss; of the dead
# fractions, the (only) hidden layer's.
LAST = {"train_acc": -1, "test_acc": -1, "test_loss": -1, "dead": 0, "out_min": None,
        "out_max": None, "out_saturated": None}


FAIL_BELOW = 0.9  # §1.7 (a): a run ending below this test accuracy has failed
# The variants table: each column's header and the key of the runs' final value it shows.
COLUMNS = {"train accuracy": "train_acc", "test accuracy": "test_acc", "train loss": "train_loss"}


def context_training(r: dict[str, Any]) -> dict[str, Any]:
    """§1.6 and §1.7: the sweep as the core reads it, the variants, and the zero-init study."""
    quoted = study.variants_context(r, "test_acc", "test accuracy", "train_acc", COLUMNS,
                                    [3, 3, 4], ("relu", "sigmoid", "bias"))
    acc, train = quoted["acc"], quoted["train_acc"]
    late = 10  # §1.6 (c): how much the tuned run still changes over its last epochs
    tuned_test = r["tuned"]["test_acc"][-late - 1:]
    # The dead fractions after one epoch of the largest rate's runs that fail after all of them.
    early = r["early_dead"]["dead"][0][r["sweep"]["test_acc"][-1] < FAIL_BELOW]
    return quoted | {
        # §1.7 (a): the runs at the largest rate that fail, and their dead and saturated units.
        "sweep": sweep_summary(r["sweep"], "test_acc", (TUNED["lr"], TUNED["mb"]), FAIL_BELOW,
                               ["dead", "out_saturated"]),
        "early_dead": {"min": float(early.min(initial=1.0)), "max": float(early.max(initial=0.0))},
        "fail_below": FAIL_BELOW,
        "n_seeds": len(SEEDS),
        "deep_fits_train": bool(np.all(train["64-32-32-16-1"] == 1.0)),
        "deep_misses_test": bool(np.all(acc["64-32-32-16-1"] < 1.0)),
        "gap": {a: float(np.mean(train[a] - acc[a])) for a in acc},
        "epochs_late": {"n": late, "test_change": float(np.ptp(tuned_test)),
                        "loss_ratio": r["tuned"]["train_loss"][-1]
                        / r["tuned"]["train_loss"][-late - 1]},
    }


REPORT = Report(
    id="dl2023-a1",
    cold_seconds=16,  # the cold build of 2026-12-02 on 2 cores (bench/build_speed.py)
    title="Deep Learning 2023, Assignment 1",
    template="dl2023-a1.tex.j2",
    experiments=(
        *study.descent_experiments(GD_B, GD_GRID, GD_COMPARE, GD_DECAY, MINIMA),
        Experiment("gd_shrink", run_gd, GD_SHRINK),
        Experiment("components", run_components, COMPONENTS),
        Experiment("fd_eps", run_fd_eps, FD_EPS),
        Experiment("one_layer", run_one_layer, COMPONENTS),
        Experiment("layer_checks", run_layer_checks, COMPONENTS),
        *study.digits_experiments(train_digits, DIGITS, SWEEP, VARIANTS, ZERO_INIT, LAST,
                                  "zero bias"),
        Experiment("tuned", train_digits, TUNED, data=("digits",)),
    ),
    figures=(
        *study.descent_figures(),
        FigureSpec("fd_eps", fig.fd_eps, ("fd_eps",)),
        FigureSpec("activations", studies.sigmoid_relu_panels, ()),
        *study.digits_figures("", "test_acc", "test accuracy"),
        FigureSpec("curves_tuned", partial(studies.learning_curves, phases=(
            ("train", "train"), ("test", "test")), height=2.4), ("tuned",)),
        FigureSpec("curves_variants", partial(studies.setting_curves, keys=(
            ("training loss", "train_loss"), ("test accuracy", "test_acc")), log=["training loss"],
            legend=["test accuracy"], height=2.7), ("variants",)),
    ),
    context=(context_gd, context_components, context_training),
)
