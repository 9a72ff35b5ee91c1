"""dl2024-a1: Deep Learning 2024, Assignment 1, answered with the NumPy model instead of PyTorch.

Experiment configs and functions, and `context(results)`: the values the template quotes and
the claims behind its sentences. §1.1 reruns dl2023's experiment functions with this report's
configs; the rest runs on `model.assignments.dl2024` (network, make_layer, evaluate, backward,
fit). What the student copy printed is data, `dl2024_a1.student.toml` beside this module (read
by `report.quote.student_copy`), checked by `report.quote`.
"""

from __future__ import annotations

import itertools
import math
from functools import partial
from typing import Any

import numpy as np

from figures import dl2024_a1 as fig
from figures import studies
from model import optim2d
from model.assignments import dl2024
from model.autodiff import Value, grad
from model.data import digits_split, keyed
from model.diagnostics import dead_relu_fraction, unit_symmetry
from model.functional import identity, relu, sigmoid, sigmoid_grad
from model.gradcheck import check_net, numeric_grad, rel_error
from model.init import draw_stats
from model.losses import BCE, bce_loss
from model.net import Net
from model.runstats import best_point, finals, mean_curve, settled_epoch, sweep_summary
from report import studies as study
from report.fragments import gradcheck_records_table, table
from report.latex import NoEscape
from report.numbers import num
from report.quote import quote, quote_table, rerun, student_copy, summary
from report.spec import Experiment, FigureSpec, Report

PRINTED = student_copy(__file__)

# --- §1.1: gradient descent on f ------------------------------------------------------------------

START = {"x": 3.0, "y": 2.0}
GD_B = START | {"step_size": 0.1, "steps": 10, "decay": 1.0}
GD_GRID = START | {"step_sizes": [0.001, 0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5],
                   "steps": [10, 30, 100, 1000]}
GD_COMPARE = START | {"step_sizes": [0.01, 0.15, 0.4], "steps": 30}
# A fixed step size of 0.2 ends near f = -1.82 after 10 steps; run on to see where it goes.
GD_BOUNCE = START | {"step_size": 0.2, "steps": 200, "decay": 1.0}
GD_DECAY = START | {"step_size": 0.2, "steps": 30, "decay": 0.95}
# The same eta_0 and d under the intended schedule and under one that multiplies the decay in.
SCHEDULES = START | {"step_size": 0.2, "decay": 0.9, "steps": 30,
                     "shrink_check": {"x": 0.123, "y": 0.456, "step_size": 0.01, "steps": 2,
                                      "decay": 0.1}}
MINIMA = {"box": 5.0, "starts_per_axis": 21}


def run_schedules(config: dict) -> dict[str, Any]:
    """The intended schedule against the compounded one, and optimize_f's own decay, which must
    equal the first; and the assignment's check that consecutive steps shrink."""
    x, y, eta0, d, steps = (config[k] for k in ("x", "y", "step_size", "decay", "steps"))
    runs = {"intended": optim2d.descend(x, y, optim2d.decayed_steps(eta0, d, steps)),
            "compounded": optim2d.descend(x, y, optim2d.compounded_steps(eta0, d, steps))}
    ours = optim2d.optimize_f(x, y, eta0, steps, d)
    xs = optim2d.optimize_f(**config["shrink_check"])[3]
    return runs | {"optimize_f": {"x": ours[0], "y": ours[1], "f": float(ours[2])},
                   "shrink_ratio": abs(xs[1] - xs[0]) / abs(xs[2] - xs[1])}


# --- §1.2: the autograd examples, by model.autodiff ----------------------------------------------

AUTOGRAD = {"x": 5.0, "w": 2.0, "b": 1.0}


def run_autograd(config: dict) -> dict[str, Any]:
    """§1.2's gradients by reverse-mode autodiff: y = x w + b, and y = exp(sin(x w) + b) over
    two backward passes and a third after zero_grad, checked by central differences."""
    x, point = config["x"], [config["w"], config["b"]]
    y_lin, lin = grad(lambda w, b: w * x + b, point)
    w, b = Value(point[0]), Value(point[1])
    y = dl2024.exp_sin(w, b, x)
    passes = []
    for reset in (False, False, True):
        if reset:
            w.zero_grad()
            b.zero_grad()
        y.backward()
        passes.append((w.grad, b.grad))
    numeric = numeric_grad(lambda p: dl2024.exp_sin(Value(p[0]), Value(p[1]), x).data,
                           np.array(point))
    return {"linear": (y_lin, [tuple(lin)]), "exp_sin": (y.data, passes),
            "numeric": tuple(numeric), "rel_error": rel_error(np.array(passes[0]), numeric)}


# --- §1.3: components ----------------------------------------------------------------------------

# The inputs the text printed for its seeded examples.
COMPONENTS = {key: PRINTED["components"][key] for key in ("x", "y", "y_hat")} | {
    "extremes": [0.0, -100.0, 100.0]}
# (y, y_hat): the two perfect predictions and the two completely wrong ones.
BCE_CASES = [(0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)]


def run_components(config: dict) -> dict[str, Any]:
    """Sigmoid, ReLU and the BCE on the text's printed inputs, and the BCE's edge cases."""
    x, extremes, cases = np.array(config["x"]), np.array(config["extremes"]), np.array(BCE_CASES)
    bce = BCE().value  # the mean BCE of (y, y_hat)
    return {"x": x, "sigmoid": sigmoid(x), "relu": relu(x),
            "extremes": extremes, "sigmoid_extremes": sigmoid(extremes),
            "relu_extremes": relu(np.array([0.0, -5.0, 5.0])),
            "bce": bce(np.array(config["y"]), np.array(config["y_hat"])),
            "cases": cases, "naive": dl2024.naive_bce(cases[:, 0], cases[:, 1]),
            "clipped": bce_loss(cases[:, 0], cases[:, 1]),
            "flip": (bce(np.ones(1), np.array([0.123])), bce(np.zeros(1), np.array([1 - 0.123]))),
            "mean_of_two": bce(np.ones(2), np.full(2, 0.123))}


# --- §1.4 and §1.5: the one-layer model, the network, He initialisation --------------------------

SEEDED = {"seed": 12345}
# The table's layers (the text's own checks, and the hidden layers of this report's networks),
# drawn from the first seed; the scale (d0 fixed, d1 growing, one histogram) from the second.
HE = {"seeds": [1, 0], "layers": [[100000, 1], [100000, 2], [64, 32], [32, 16], [16, 8]],
      "d0": 20000, "d1s": [1, 2, 4, 8, 16, 32, 64, 128], "hist_d1": 2, "bins": 60}
HE_STD_TOL = 0.02  # how close to sqrt(2/d1) the text says every width's sample std is


def run_forward(config: dict) -> dict[str, Any]:
    """§1.4: the one-layer model on a seeded sample, against sigma(x . w + b) written out; §1.5
    (a): a 5-10-1 ReLU/sigmoid network on two samples, from the same seed."""
    rng = np.random.default_rng(config["seed"])
    w, b, x = rng.normal(size=5), float(rng.normal()), rng.normal(size=5)
    y_hat = dl2024.model1(x, w, b)
    rng = np.random.default_rng(config["seed"])
    params = [dl2024.make_layer(5, 10, relu, rng), dl2024.make_layer(10, 1, sigmoid, rng)]
    y = dl2024.network(rng.normal(size=(2, 5)), params)
    return {"model1": {"y_hat": float(y_hat), "shape": y_hat.shape,
                       "direct": float(1 / (1 + np.exp(-(x @ w + b))))},
            "network": {"shape": y.shape, "y": y}}


def run_he(config: dict) -> dict[str, Any]:
    """Sample mean, variance and std of make_layer's weights for each (d0, d1) of the table,
    with its biases; and the sample std as d1 grows (d0 fixed), with one histogram."""
    rng = np.random.default_rng(config["seeds"][0])
    rows = [{"d0": d0, "d1": d1} | draw_stats(*dl2024.make_layer(d0, d1, relu, rng)[:2])
            for d0, d1 in config["layers"]]
    rng, d0, d1 = np.random.default_rng(config["seeds"][1]), config["d0"], config["hist_d1"]
    stds = [float(dl2024.make_layer(d0, width, relu, rng)[0].std()) for width in config["d1s"]]
    limit = 4.5 * math.sqrt(2 / d1)
    counts, edges = np.histogram(dl2024.make_layer(d0, d1, relu, rng)[0], bins=config["bins"],
                                 range=(-limit, limit), density=True)
    return {"rows": rows, "scale": {"d0": d0, "d1s": config["d1s"], "stds": stds, "hist_d1": d1,
                                    "hist": counts, "edges": edges}}


# --- §1.6 and §1.7: training on the digits -------------------------------------------------------

# The seeded 50/50 split, normalised with the unbiased std (ddof 1), as torch.std does.
DIGITS = {"ddof": 1, "train_fraction": 0.5, "split_seed": 12345}
SEEDS = [0, 1, 2]
EPOCHS = 25
UNTRAINED = {"arch": "64-32-1", "seeds": SEEDS}
SWEEP = {"arch": "64-32-1", "lrs": [0.01, 0.1, 0.3, 1.0], "mbs": [10, 32, 100],
         "seeds": SEEDS, "epochs": EPOCHS}
VARIANTS = {"archs": ["64-32-1", "64-1", "64-32-1 linear", "64-32-16-8-1"], "lr": 0.1, "mb": 10,
            "epochs": EPOCHS, "seeds": SEEDS}
# §1.7 (c): all-zero weights against He weights (biases are zero in every case); He weights
# are the default, so that case is a point the variants ran (cached).
ZERO_INIT = {"cases": [["64-32-1", "zero weights"], ["64-32-1 sigmoid", "zero weights"],
                       ["64-32-1", "He weights"]],
             "lr": 0.1, "mb": 10, "epochs": EPOCHS, "seed": 0}
GRADCHECK = {"archs": ["64-32-1", "64-32-16-8-1"], "seed": 0, "n": 20}

# (d0, d1, activation) per layer: §1.6 (b)/(d), (f), (h), (j), and a sigmoid-hidden network
# for §1.7 (c).
ARCHS = {
    "64-32-1": [(64, 32, relu), (32, 1, sigmoid)],
    "64-1": [(64, 1, sigmoid)],
    "64-32-1 linear": [(64, 32, identity), (32, 1, sigmoid)],
    "64-32-16-8-1": [(64, 32, relu), (32, 16, relu), (16, 8, relu), (8, 1, sigmoid)],
    "64-32-1 sigmoid": [(64, 32, sigmoid), (32, 1, sigmoid)],
}
INITS = ("He weights", "zero weights", "student's make_layer")
# The phases of the curve figures; the panels of every network's curves (both losses, on one
# y range, so that training and validation read against each other).
PHASES = (("training", "train"), ("validation", "val"))
LOSSES = ("training BCE loss", "validation BCE loss")
ACCURACIES = ("training accuracy", "validation accuracy")
CURVES = tuple(zip(LOSSES + ACCURACIES, ("train_loss", "val_loss", "train_acc", "val_acc"),
                   strict=True))


def make_params(arch: str, rng: np.random.Generator, init: str = INITS[0]) -> list:
    """The named network's layers in double precision (as the notebook's), weights drawn in
    order from `rng`: by make_layer, all zero, or as the student's make_layer draws them (its
    variance 2/d1 passed where the sampler takes a standard deviation)."""
    params = [dl2024.make_layer(d0, d1, h, rng) for d0, d1, h in ARCHS[arch]]
    for w, _, _ in params:
        if init == INITS[1]:
            w[...] = 0
        elif init == INITS[2]:
            w *= math.sqrt(2 / w.shape[1])
    return params


def run_untrained(config: dict) -> dict[str, Any]:
    """§1.6 (b): validation loss and accuracy of freshly initialised networks."""
    x, y = keyed(digits_split(**DIGITS))
    nets = [make_params(config["arch"], np.random.default_rng(seed), config.get("init", INITS[0]))
            for seed in config["seeds"]]
    runs = np.array([dl2024.evaluate(params, x["val"], y["val"]) for params in nets])
    outputs = np.concatenate([dl2024.network(x["val"], params) for params in nets])
    return {"loss": runs[:, 0].tolist(), "acc": runs[:, 1].tolist(),
            "confident": float(np.mean((outputs < 0.1) | (outputs > 0.9))),
            "train_positive": float(y["train"].mean()), "val_positive": float(y["val"].mean())}


def train_digits(config: dict) -> dict[str, Any]:
    """Train one network on the digits with dl2024's `fit`; its curves and what the trained
    network does on the training set (dead hidden ReLUs, share called positive)."""
    x, y = keyed(digits_split(**DIGITS))
    params = make_params(config["arch"], np.random.default_rng(config["seed"]),
                         config.get("init", INITS[0]))
    history = dl2024.fit(params, x, y, config["lr"], config["mb"], config["epochs"], config["seed"])
    final_loss, final_acc = dl2024.evaluate(params, x["train"], y["train"])
    return history | unit_symmetry(*params[0][:2]) | {
        "final_train_loss": final_loss, "final_train_acc": final_acc,
        "dead": dead_relu_fraction(Net.from_params(params), x["train"]),
        "positive": float(np.mean(dl2024.network(x["train"], params) > 0.5))}


def run_gradcheck(config: dict) -> dict[str, Any]:
    """dl2024's `backward` against central differences of the mean BCE, every parameter of
    each network, on the first n training samples: `check_net` on a core `Net` sharing the
    arrays, which takes the BCE from the output's logit, so that no clipping flattens it where
    the untrained output is saturated."""
    x, y = keyed(digits_split(**DIGITS))
    xb, yb = x["train"][:config["n"]], y["train"][:config["n"]]
    rows = []
    for arch in config["archs"]:
        params = make_params(arch, np.random.default_rng(config["seed"]))
        grads = [g for pair in dl2024.backward(params, xb, yb)[0] for g in pair]
        rows += [{"arch": arch, "name": c.name.lower(), "shape": c.analytic.shape,
                  "abs": c.abs_error, "rel": c.rel_error}
                 for c in check_net(Net.from_params(params), BCE(), xb, yb, grads)]
    return {"rows": rows}


# The sweep's readings of each run: final accuracies and loss, dead ReLUs, share called positive.
LAST = {"val_acc": -1, "train_acc": -1, "val_loss": -1, "dead": 0, "positive": None}
# The variants table: each column's header and the key of the runs' final value it shows.
COLUMNS = {"train accuracy": "final_train_acc", "validation accuracy": "val_acc",
           "train loss": "final_train_loss", "validation loss": "val_loss"}


# --- the student copy's printed values, and our reruns at its settings ---------------------------

# Each (network, epochs, learning rate, minibatch size) the copy printed a run of.
STUDENT = {"seeds": SEEDS, "inits": [INITS[2], INITS[0]],
           "runs": sorted({run[1:5] for run in PRINTED["training"]["runs"]})}
# Our validation accuracy agrees with a printed one within our seeds' range widened by this:
# the rounding of its three decimals, and more.
STUDENT_TOL = 0.005
# §1.1: the copy's grid of (d) (np.arange's step sizes, 0.30000000000000004 included); its
# decay search of (h) over the same aranges, and the settings it printed that search stopped at.
STUDENT_GD = START | {"step_sizes": [float(v) for v in np.arange(0.1, 0.5, 0.1)],
                      "steps": [10, 30],
                      "search": {"step_sizes": [float(v) for v in np.arange(0.1, 1, 0.1)],
                                 "steps": list(range(10, 100, 10)),
                                 "decays": [float(v) for v in np.arange(0.1, 1, 0.1)],
                                 "printed": PRINTED["gd"]["search"]}}


def run_student_training(config: dict) -> dict[str, Any]:
    """Every training run the copy printed, at its settings, with its initialisation and with
    He's, over our seeds (its shorter runs read off its longer ones, `report.quote.rerun`); and
    the untrained network under both."""
    settings = [{"arch": arch, "epochs": epochs, "lr": lr, "mb": mb, "init": init}
                for arch, epochs, lr, mb in config["runs"] for init in config["inits"]]
    runs = rerun(train_digits, settings, config["seeds"],
                 ("train_loss", "train_acc", "val_loss", "val_acc"), "student runs")
    untrained = {init: run_untrained({"arch": "64-32-1", "init": init, "seeds": config["seeds"]})
                 for init in config["inits"]}
    return {"runs": {"|".join(map(str, s.values())): run for s, run in zip(settings, runs,
                                                                          strict=True)},
            "untrained": untrained}


def run_student_gd(config: dict) -> dict[str, Any]:
    """§1.1 at the copy's settings: its grid of (d), and its first-hit search of (h) under its
    compounded schedule and under the intended one."""
    x, y, s = config["x"], config["y"], config["search"]
    ends = {"compounded": lambda e, n, d: optim2d.descend(
                x, y, optim2d.compounded_steps(e, d, n))["f"],
            "intended": lambda e, n, d: float(optim2d.optimize_f(x, y, e, n, d)[2])}
    points = list(itertools.product(s["step_sizes"], s["steps"], s["decays"]))
    first = {name: next(((*p, f) for p in points if (f := end(*p)) < -2), None)
             for name, end in ends.items()}
    return {"grid": optim2d.run_gd_grid(config)["final_f"], "first": first,
            "theirs": {name: end(*s["printed"]) for name, end in ends.items()}}


# --- what the template quotes, and the claims behind its sentences -------------------------------

def context_gd(r: dict[str, Any]) -> dict[str, Any]:
    """§1.1: the global minimum, what each run reaches, and why -1.82 and compounding are wrong."""
    minima, g, sched = r["minima"]["minima"], r["gd_grid"], r["schedules"]
    ten = g["final_f"][g["step_sizes"].index(GD_BOUNCE["step_size"]), g["steps"].index(10)]
    return study.descent_context(r) | {
        "start": f"({START['x']:g}, {START['y']:g})",
        "bounce": optim2d.run_end(r["gd_bounce"], minima) | {
            "ten": ten, "ten_gap": min(abs(m["f"] - ten) for m in minima)},
        "decay_eta_end": GD_DECAY["step_size"] * GD_DECAY["decay"] ** (GD_DECAY["steps"] - 1),
        "sched": sched | {"frozen": abs(sched["compounded"]["x_hist"][-1]
                                        - sched["compounded"]["x_hist"][10])},
    }


def context_autograd(r: dict[str, Any]) -> dict[str, Any]:
    """§1.2: the autodiff gradients against what the student copy printed from PyTorch."""
    a = r["autograd"]
    grads = PRINTED["grads"]
    # Printed to 4 decimals: ours agrees when it rounds to the printed value.
    table_, quotes = quote_table(
        ["function", "pass", "theirs dy/dw", "theirs dy/db", "ours dy/dw", "ours dy/db",
         "verdict"],
        [([label, ("first", "second", "after reset")[k]],
          [quote(p, o, 5e-5) for p, o in zip(printed, ours, strict=True)])
         for key, label in (("linear", "x w + b"), ("exp_sin", "exp(sin(x w) + b)"))
         for k, (ours, printed) in enumerate(zip(a[key][1], grads[key]["passes"], strict=True))])
    # Claimed in the text: every pass rounds to the printed gradients, and y is the printed y.
    return {"autograd_table": table_, "autograd_printed": quotes["n_differ"] == 0
            and a["linear"][0] == grads["linear"]["y"]}


def context_components(r: dict[str, Any]) -> dict[str, Any]:
    """§1.3: the printed examples reproduced, and the BCE's perfect-prediction cases."""
    c, printed = r["components"], PRINTED["components"]
    naive, clipped = c["naive"], c["clipped"]
    # Both the printed inputs and outputs are rounded to 4 decimals: allow half a unit of the
    # last digit for the output, and the input's half unit times the slope.
    activation_table, quotes = quote_table(
        ["x (printed)", "relu(x), ours", "sigmoid(x), printed", "sigmoid(x), ours", "verdict"],
        [([num(x, 4), num(h, 4, trim=True)], [quote(p, s, 5e-5 * (1 + sigmoid_grad(x)))])
         for x, h, p, s in zip(c["x"], c["relu"], printed["sigmoid"], c["sigmoid"], strict=True)],
        (4, 4))

    def show(v: float) -> NoEscape:
        return num(v, 2) if not np.isfinite(v) or v >= 1e-3 else num(v, 3, sci=True)

    return {
        "activation_table": activation_table,
        "bce_table": table(["y", "y_hat", "prediction", "formula as written", "bce_loss (ours)"],
                           [[num(y, 0), num(p, 0), "perfect" if y == p else "completely wrong",
                             show(n), show(cl)]
                            for (y, p), n, cl in zip(c["cases"], naive, clipped, strict=True)]),
        "printed_bce": printed["bce"], "exp_minus_100": math.exp(-100),
        # The facts the text claims of (a), (b), (f) and (g).
        "facts_13": {"printed": quotes["n_differ"] == 0,
                     "relu": bool(np.all(c["relu"] == np.maximum(c["x"], 0))),
                     "naive": bool(np.all(np.isnan(naive[:2])) and np.all(np.isinf(naive[2:]))),
                     "finite": bool(np.all(np.isfinite(clipped)))},
    }


def context_layers(r: dict[str, Any]) -> dict[str, Any]:
    """§1.4 and §1.5: model1, the network's output shape, and He initialisation's scale."""
    rows, scale = r["he"]["rows"], r["he"]["scale"]
    by_shape = {(row["d0"], row["d1"]): row for row in rows}
    return {
        # The facts the text claims of (b). The sample variance of n normal draws has relative
        # standard error sqrt(2 / n); misused: passing the variance where numpy's sampler (and
        # torch's) takes a standard deviation.
        "he_facts": {
            "variance": all(abs(row["var"] / (2 / row["d1"]) - 1)
                            < 4 * math.sqrt(2 / (row["d0"] * row["d1"])) for row in rows),
            "shapes": all(row["bias_zero"] and row["bias_shape"] == (row["d1"],)
                          and row["shape"] == (row["d0"], row["d1"]) for row in rows),
            "std": all(abs(s / math.sqrt(2 / d1) - 1) < HE_STD_TOL
                       for d1, s in zip(scale["d1s"], scale["stds"], strict=True)),
            "std_tol": HE_STD_TOL,
            "misused": all(abs(by_shape[d0, d1]["std"] - 2 / d1) > 0.1
                           for d0, d1 in ((64, 32), (32, 16)))},
        "he_rows": table(["layer d0 x d1", "mean", "variance", "2/d1", "2/d0", "std",
                          "sqrt(2/d1)"],
                         [[f"{w['d0']} x {w['d1']}", num(w["mean"], 4), num(w["var"], 4),
                           num(2 / w["d1"], 4), num(2 / w["d0"], 2, sci=True), num(w["std"], 4),
                           num(math.sqrt(2 / w["d1"]), 4)] for w in rows]),
        "he_text": {"mean": by_shape[(100000, 1)]["mean"], "std": by_shape[(100000, 2)]["std"]},
        "he_wrong": {"std": by_shape[(64, 32)]["std"], "wrong": 2 / 32},
        "printed_layers": PRINTED["layers"],
    }


def context_training(r: dict[str, Any]) -> dict[str, Any]:
    """§1.6 and §1.7: the data against the printed statistics, the untrained networks, the
    learning-rate x minibatch-size sweep, and the backward pass's gradient check."""
    u, sweep_ = r["untrained"], r["sweep"]
    summary_ = sweep_summary(sweep_, "val_acc", (VARIANTS["lr"], VARIANTS["mb"]), 0.9, ["dead"])
    mean, lrs = summary_["mean"], sweep_["lrs"]
    worst = best_point(sweep_["val_acc"][-1], largest=False)
    slow = [k for k, lr in enumerate(lrs) if lr <= VARIANTS["lr"]]
    fast = lrs.index(0.3)
    d0, d1, _ = ARCHS["64-32-1"][-1]
    return {
        "printed": PRINTED["digits"], "log2": math.log(2),
        "majority": max(u["val_positive"], 1 - u["val_positive"]),
        "untrained": {"out_var": 2 / d1, "out_in": d0}, "sweep": summary_,
        "slow_lrs": [lrs[k] for k in slow],
        "slow_rows_fall": all(bool(np.all(np.diff(mean[k]) < 0)) for k in slow),
        "fast": {"lr": lrs[fast], "accs": mean[fast], "spread": float(np.ptp(mean[fast]))},
        "smallest_spread": float(np.ptp(mean[0])),
        "worst": {key: sweep_[key][-1][worst] for key in ("val_acc", "dead", "positive")}
        | {"mb": sweep_["mbs"][worst[0]], "seed": SEEDS[worst[1]],
           "early_dead": r["early_dead"]["dead"][0][worst]},
        "dead_chosen_max": sweep_["dead"][lrs.index(VARIANTS["lr"])].max(),
        "gradcheck_table": gradcheck_records_table(
            r["gradcheck"]["rows"], {"network": "arch", "parameter": "name", "shape": "shape"},
            rel="rel", abs_error="abs", what=f"Gradient check of backward on the first "
                                             f"{GRADCHECK['n']} training samples (mean BCE, every "
                                             "parameter)."),
    }


def context_variants(r: dict[str, Any]) -> dict[str, Any]:
    """§1.6 (d)-(k) and §1.7 (c): the tuned network and the variants, trained with the same
    settings, and zero weights against He weights."""
    variants, untrained = r["variants"], r["untrained"]
    quoted = study.variants_context(r, "val_acc", "validation accuracy", "final_train_acc",
                                    COLUMNS, [3, 3, 4, 3], ("relu", "sigmoid", "he"))
    acc, train_acc = quoted["acc"], quoted["train_acc"]
    tuned, deep_runs = variants["64-32-1"], variants["64-32-16-8-1"]
    val_loss, train_loss = mean_curve(tuned, "val_loss"), mean_curve(tuned, "train_loss")
    settled = settled_epoch(mean_curve(tuned, "val_acc"))
    n_train = r["digits_stats"]["n_train"]
    missed = np.rint((1 - train_acc["64-32-16-8-1"]) * n_train).astype(int)
    deep_loss, deep_train = mean_curve(deep_runs, "val_loss"), mean_curve(deep_runs, "train_loss")
    deep_best = int(np.argmin(deep_loss)) + 1
    # The share of the validation set in the class that is larger in the training set.
    larger = int(untrained["train_positive"] > 0.5)
    return quoted | {
        "tuned": {"settled": settled,
                  "val_loss": (val_loss[settled - 1], val_loss[-1]),
                  "train_loss": (train_loss[settled - 1], train_loss[-1])},
        "deep": {"best_epoch": deep_best, "missed": missed.tolist(),
                 "perfect": int(np.sum(missed == 0)), "n_train": n_train,
                 "val_max": acc["64-32-16-8-1"].max(), "val_rise": deep_loss[-1] / deep_loss.min(),
                 "train_fall": deep_train[-1] / deep_train[deep_best - 1]},
        "train_majority": {"label": larger, "share": untrained["val_positive"] if larger
                           else 1 - untrained["val_positive"]},
    }


def context_student(r: dict[str, Any]) -> dict[str, Any]:
    """The copy's printed values against our reruns at its settings, each with a verdict."""
    gd, st = r["student_gd"], r["student_training"]["runs"]
    # Per printed run: its labels, what it printed, and its val accuracy against our reruns with
    # its initialisation and with He's.
    runs = [(question, arch, f"{epochs}, {lr:g}, {mb}", printed, *(
        quote(printed[3], finals(st[f"{arch}|{epochs}|{lr}|{mb}|{init}"], "val_acc"), STUDENT_TOL)
        for init in (INITS[2], INITS[0])))
        for question, arch, epochs, lr, mb, printed in PRINTED["training"]["runs"]]
    deep = mean_curve(st[f"64-32-16-8-1|100|0.1|70|{INITS[2]}"], "val_acc")
    theirs, he = (r["student_training"]["untrained"][init] for init in (INITS[2], INITS[0]))
    printed = PRINTED["training"]["untrained"]
    return {
        "student_gd": gd | {"printed": PRINTED["gd"]["search"],
                            "gap": np.max(np.abs(gd["grid"] - np.array(PRINTED["gd"]["grid"])))},
        "student_runs_table": table(
            ["", "network", "epochs, rate, batch", "train", "val", "ours: their init", "ours: He",
             "verdict"], [[q, a, s, num(p[1], 3), num(p[3], 3), ours.range_cell(3), he.pm_cell(3),
                           ours.verdict] for q, a, s, p, ours, he in runs], "lllSSlll"),
        "student_runs": summary([run[4] for run in runs]),
        "student_deep": {"settled": settled_epoch(deep), "at20": deep[19], "end": deep[-1]},
        # Claimed in the text: the copy's loss is nearer ours with its initialisation than with
        # He's, and every seed's loss with its initialisation lies below every seed's with He's.
        "student_untrained": {"printed": printed, "theirs": theirs, "he": he, "near_theirs": abs(
            printed[0] - np.mean(theirs["loss"])) < abs(printed[0] - np.mean(he["loss"]))
            and max(theirs["loss"]) < min(he["loss"])},
    }


REPORT = Report(
    id="dl2024-a1",
    cold_seconds=21,  # the cold build of 2026-12-02 on 2 cores (bench/build_speed.py)
    title="Deep Learning 2024, Assignment 1",
    template="dl2024-a1.tex.j2",
    experiments=(
        *study.descent_experiments(GD_B, GD_GRID, GD_COMPARE, GD_DECAY, MINIMA),
        Experiment("gd_bounce", optim2d.run_gd, GD_BOUNCE),
        Experiment("schedules", run_schedules, SCHEDULES),
        Experiment("autograd", run_autograd, AUTOGRAD),
        Experiment("components", run_components, COMPONENTS),
        Experiment("forward", run_forward, SEEDED),
        Experiment("he", run_he, HE),
        *study.digits_experiments(train_digits, DIGITS, SWEEP, VARIANTS, ZERO_INIT, LAST,
                                  INITS[0]),
        *(Experiment(name, fn, config, data=("digits",)) for name, fn, config in (
            ("untrained", run_untrained, UNTRAINED), ("gradcheck", run_gradcheck, GRADCHECK),
            ("student_training", run_student_training, STUDENT))),
        Experiment("student_gd", run_student_gd, STUDENT_GD),
    ),
    figures=(
        *study.descent_figures("dl24_"),
        FigureSpec("dl24_gd_bounce", fig.gd_bounce, ("gd_bounce", "minima")),
        FigureSpec("dl24_schedules", fig.schedules, ("schedules", "minima")),
        FigureSpec("dl24_activations", studies.sigmoid_relu_panels, ()),
        FigureSpec("dl24_he_scale", fig.he_scale, ("he",)),
        *study.digits_figures("dl24_", "val_acc", "validation accuracy"),
        FigureSpec("dl24_curves_tuned", partial(studies.learning_curves, phases=PHASES,
                                                pick="64-32-1", ylim={"accuracy": (0.85, 1.005)}),
                   ("variants",)),
        FigureSpec("dl24_curves_variants", partial(
            studies.setting_curves, keys=CURVES, log=LOSSES, share_y=LOSSES, ncols=2, height=2.3,
            ylim=dict.fromkeys(ACCURACIES, (0.8, 1.005)), legend=ACCURACIES[1:]), ("variants",)),
    ),
    context=(context_gd, context_autograd, context_components, context_layers, context_training,
             context_variants, context_student),
)
