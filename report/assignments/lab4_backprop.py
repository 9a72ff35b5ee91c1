"""lab4-backprop: Lab 4 (back-propagation; a tanh/sigmoid network on five points) — experiment
configs, the runs and what they record, and the facts the template's claims test."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import derivations.backprop
from figures import lab4_backprop as fig
from model import diagnostics as diag
from model.assignments.lab4 import NeuralNetwork, train
from model.batched import fit_many
from model.data import five_points, square_grid
from model.functional import sigmoid
from model.gradcheck import SMOOTH_BAND, check_net
from model.init import by_name
from model.losses import mse_loss
from report.fragments import gradcheck_table, table
from report.latex import NoEscape
from report.numbers import num, pct, pm
from report.spec import Experiment, FigureSpec, Report
from report.sweep import sweep

# The decision-boundary plots evaluate the network on an n x n grid over [-lim, lim]^2.
GRID = {"lim": 2.5, "n": 81}
# A mean squared error below 0.01 puts every one of the five squared errors below 0.05, so every
# output is within 0.23 of its label: all five points are classified right, with a margin.
THRESHOLD = 0.01
SEEDS = [0, 1, 2, 3]
TAIL = 500  # In [6]'s convergence check: how much the loss still falls over the last updates
# The run the lab prescribes: 2500 full-batch steps with learning rate 0.25. An output more than
# `confident` away from its label is confidently wrong.
BASE = {"hidden": [8], "lr": 0.25, "init": "glorot_uniform", "epochs": 2500, "seed": 0,
        "threshold": THRESHOLD, "confident": 0.9, "grid": GRID}
DATA = {"starts": 10}
# The untrained network is cheap: many seeds show what Glorot's rule does, not what one draw did.
UNTRAINED = {"hidden": [8], "init": "glorot_uniform", "grid": GRID, "seeds": list(range(20))}
SEEDED = {key: value for key, value in BASE.items() if key != "seed"} | {"seeds": SEEDS}
LINEAR = SEEDED | {"hidden": []}
GRADCHECK = {"hiddens": [[8], [8, 8, 8]], "seed": 0}
# The lab's suggested variations: each sweep changes one setting of BASE, for every seed.
VARIATIONS = SEEDED | {"sweeps": {
    "depth": ["hidden", [[8], [8, 8], [8, 8, 8], [8, 8, 8, 8]]],
    "width": ["hidden", [[2], [4], [8], [32]]],
    "lr": ["lr", [0.01, 0.05, 0.25, 1.0, 4.0, 16.0, 64.0]],
    "init": ["init", ["zeros", "normal(0.01)", "glorot_uniform", "normal(1)", "normal(10)"]],
}}
# The eight symmetries of the square, as matrices acting on row vectors.
SQUARE = [np.array(m) for m in itertools.product(*[[[1, 0], [-1, 0], [0, 1], [0, -1]]] * 2)
          if abs(np.linalg.det(m)) == 1]


def run_data(config: dict) -> dict[str, Any]:
    """The five points, and what a linear model can do with them."""
    from scipy.optimize import minimize  # only this experiment fits with BFGS

    x, y = five_points()
    labels = y[:, 0]
    design = np.column_stack([x, np.ones(len(x))])
    starts = np.random.default_rng(0).normal(0, 3, size=(config["starts"], 3))
    floor = min(minimize(lambda p: mse_loss(labels, sigmoid(design @ p)), start,
                         method="BFGS").fun for start in starts)
    key = {(tuple(p), label) for p, label in zip(x.tolist(), labels, strict=True)}
    symmetric = sum({(tuple(p), label) for p, label in
                     zip((x @ m).tolist(), labels, strict=True)} == key for m in SQUARE) - 1
    return {"xy": (x, labels), "separable": diag.linearly_separable(x, labels),
            "best_line_acc": diag.best_linear_accuracy(x, labels),
            "sigmoid_line_floor": float(floor), "symmetries": int(symmetric)}


def _net(config: dict, seed: int) -> NeuralNetwork:
    return NeuralNetwork(2, 1, config["hidden"], seed=seed, init=by_name(config["init"]))


def run_untrained(config: dict) -> dict[str, Any]:
    """Untrained networks' output over the square, for many seeds: how far it strays from 0.5."""
    (x, _), (_, points) = five_points(), square_grid(**config["grid"])
    runs = []
    for seed in config["seeds"]:
        net = _net(config, seed)
        _, trace = net.net.forward(points)
        runs.append({"points": float(np.max(np.abs(net.forward(x) - 0.5))),
                     "grid": float(np.max(np.abs(trace[-1][2] - 0.5))),
                     "logit": float(np.max(np.abs(trace[-1][1])))})
    return {"seeds": config["seeds"], "runs": runs}


def _state(net: NeuralNetwork, config: dict) -> dict[str, Any]:
    """The outputs on the points and over the square, the hidden tanh units saturated (share per
    hidden layer, see model.diagnostics.SATURATION) and every parameter's gradient norm."""
    x, y = five_points()
    axis, points = square_grid(**config["grid"])
    net.backward(x, y)
    return {"out": net.forward(x)[:, 0], "axis": axis,
            "grid": net.forward(points).reshape(len(axis), -1).astype(np.float32),
            "saturated": diag.saturated_fraction(net.net, x)[:-1],
            "grads": diag.gradient_norms(net.net)}


def _record(net: NeuralNetwork, losses: np.ndarray, start: dict, config: dict) -> dict[str, Any]:
    """What one trained network's answers quote; `losses` are those before each update."""
    x, y = five_points()
    end = _state(net, config)
    out, wrong = end["out"], (end["out"] > 0.5) != (y[:, 0] > 0.5)
    loss = np.append(losses, net.get_loss(x, y))  # entry k: the loss after k updates
    return end | {
        "start": start, "loss": loss, "acc": float(np.mean(~wrong)),
        "updates_to_threshold": diag.first_below(loss, config["threshold"]),
        "confidently_wrong": int(np.sum(np.abs(out - y[:, 0]) > config["confident"])),
        # The output sigmoid's slope relative to its peak 1/4, on the misclassified points.
        "wrong_slopes": (4 * out * (1 - out))[wrong].tolist(),
        # Everything but the output bias: the zero initialisation should leave all of it at 0.
        "max_abs_inner": max(float(np.abs(p).max()) for _, p in net.net.parameters()[:-1])}


def train_one(config: dict) -> dict[str, Any]:
    """The lab's network from `config`, trained on the five points by the lab's `train`."""
    x, y = five_points()
    net = _net(config, config["seed"])
    start = _state(net, config)
    net, losses = train(x, y, net, config["epochs"], config["lr"])
    return _record(net, losses, start, config)


def train_seeds(config: dict) -> list[dict[str, Any]]:
    """`train_one` for every seed of `config`, the networks trained at once by `fit_many` (the
    same arithmetic as the lab's `train`, stacked: its results are bit-identical)."""
    x, y = five_points()
    nets = [_net(config, seed) for seed in config["seeds"]]
    starts = [_state(net, config) for net in nets]
    runs = fit_many([net.net for net in nets], nets[0].loss, x, y, epochs=config["epochs"],
                    lr=config["lr"])
    return [_record(net, np.array(run.step_loss), start, config)
            for net, run, start in zip(nets, runs, starts, strict=True)]


def run_variations(config: dict) -> dict[str, Any]:
    """Every sweep: runs[value][seed] per swept value. A setting shared by several sweeps (BASE
    itself is in all four) is trained once: `sweep` runs equal points once."""
    common = {key: value for key, value in config.items() if key != "sweeps"}
    runs = iter(sweep(train_seeds, [common | {vary: value} for vary, values in
                                    config["sweeps"].values() for value in values], "variations"))
    return {"threshold": config["threshold"]} | {
        name: {"vary": vary, "values": values, "seeds": config["seeds"],
               "runs": [next(runs) for _ in values]}
        for name, (vary, values) in config["sweeps"].items()}


def run_gradcheck(config: dict) -> dict[str, Any]:
    """The lab's backward pass against central differences of its loss, for every parameter."""
    x, y = five_points()
    rows = []
    for hidden in config["hiddens"]:
        net = NeuralNetwork(2, 1, hidden, seed=config["seed"])
        net.backward(x, y)
        lab = {name: grad.copy() for name, grad in net.net.gradients()}
        shapes = {name: p.shape for name, p in net.net.parameters()}
        rows += [{"net": fig.label("hidden", hidden), "name": check.name,
                  "shape": shapes[check.name], "grad_shape": lab[check.name].shape,
                  "same_as_lab": bool(np.array_equal(lab[check.name], check.analytic)),
                  "abs_error": check.abs_error, "rel_error": check.rel_error}
                 for check in check_net(net.net, net.loss, x, y)]
    return {"rows": rows}


# --- what the template quotes and its claims test -----------------------------------------------

def summarise(variation: dict) -> list[dict[str, Any]]:
    """Per swept value: final losses, accuracies, updates to the threshold, diagnostics."""
    rows = []
    for value, runs in zip(variation["values"], variation["runs"], strict=True):
        reached = [run["updates_to_threshold"] for run in runs if
                   run["updates_to_threshold"] is not None]
        rows.append({
            "label": fig.label(variation["vary"], value), "value": value, "runs": runs,
            "final": np.array([run["loss"][-1] for run in runs]),
            "acc": np.array([run["acc"] for run in runs]),
            "all_reached": len(reached) == len(runs), "n_reached": len(reached),
            "updates": np.array(reached, dtype=float),
            "saturated": np.array([np.mean(run["start"]["saturated"] or [0.0]) for run in runs]),
            "grad_W1": np.array([run["start"]["grads"]["W1"] for run in runs]),
            "disagreement": diag.disagreement([run["grid"] > 0.5 for run in runs])})
    return rows


def _table(rows: list[dict], first: str, extra: dict) -> NoEscape:
    """One row per swept value: `extra` columns, final loss, accuracy, updates to the threshold
    (or how many seeds got there)."""
    header = [first, *extra, "final loss", "accuracy",
              NoEscape(rf"updates to $\mathcal{{L}} < {THRESHOLD:g}$")]
    return table(header, [[NoEscape(row["label"]), *(cell(row) for cell in extra.values()),
                           pm(row["final"], 2, sci=True), pm(row["acc"], 2),
                           pm(row["updates"], 0) if row["all_reached"]
                           else f"{row['n_reached']} of {len(row['runs'])} seeds"]
                          for row in rows])


def _stuck(runs: list[dict]) -> dict[str, Any]:
    """The runs that end with a point misclassified, whether each such point is confidently
    wrong, and the largest output slope (share of the peak) among those points."""
    stuck = [run for run in runs if run["acc"] < 1]
    return {"runs": stuck,
            "confident": all(run["confidently_wrong"] == len(run["wrong_slopes"])
                             for run in stuck),
            "slope": max((s for run in stuck for s in run["wrong_slopes"]), default=0.0)}


def _falls(values: list[float]) -> bool:
    """Each value below the one before."""
    return all(a > b for a, b in itertools.pairwise(values))


def context_network(r: dict[str, Any]) -> dict[str, Any]:
    """The data, the untrained and the prescribed run, and the gradient check."""
    (x, y), base, checks = r["data"]["xy"], r["base"], r["gradcheck"]["rows"]
    corner = np.abs(x).min(axis=1) > 1
    runs = r["untrained"]["runs"]
    shown = runs[r["untrained"]["seeds"].index(BASE["seed"])]["grid"]
    grid, mid = base["grid"], base["grid"].shape[0] // 2  # grid[row, col]: (axis[col], axis[row])
    start = base["start"]["out"]
    return {
        "checks": checks, "n_points": len(y),
        "worst_rel_error": max(c["rel_error"] for c in checks),
        "checks_agree": all(c["shape"] == c["grad_shape"] and c["same_as_lab"] for c in checks),
        "corners": {label: sorted(tuple(np.sign(p)) for p, c, lab in zip(x, corner, y, strict=True)
                                  if c and lab == label) for label in (0, 1)},
        "centre": {"n": int(np.sum(~corner)), "label": float(y[~corner][0]),
                   "radius": float(np.linalg.norm(x[~corner][0])),
                   # how far it is from the midpoint of the two class-1 corners
                   "to_mid": float(np.linalg.norm(x[~corner][0] - x[y == 1].mean(axis=0)))},
        "linear": summarise({"vary": "hidden", "values": [[]], "runs": [r["linear"]]})[0],
        "start_acc": float(np.mean((start > 0.5) == (y > 0.5))),
        "start_margin": float(np.max(np.abs(start - 0.5))),
        "start_spread": float(np.max(np.abs(base["start"]["grid"] - 0.5))),
        "untrained": {k: diag.seed_spread([run[k] for run in runs])
                      for k in ("points", "grid", "logit")},
        "untrained_rank": sum(run["grid"] < shown for run in runs),  # seeds flatter than shown
        # |output pre-activation| <= sum_j |W_j| |tanh| <= hidden * a, a Glorot's output bound.
        "logit_bound": BASE["hidden"][0] * float(np.sqrt(6 / (BASE["hidden"][0] + 1))),
        "trained_margin": float(np.max(np.abs(base["out"] - y))),
        "trained_corners": min(grid[-1, 0], grid[0, -1]) > 0.5 > max(grid[0, 0], grid[-1, -1]),
        "trained_centre": grid[mid, mid] < 0.5,
        "tail_drop": base["loss"][-TAIL - 1] - base["loss"][-1],
        # MSE < t means a sum of five squared errors below 5 t, so each error is below this.
        "threshold_margin": float(np.sqrt(len(y) * THRESHOLD)),
        "base_label": fig.label("hidden", BASE["hidden"]),
        "backprop_net": "-".join(map(str, derivations.backprop.WIDTHS)),
        "points_table": table(
            [NoEscape("$x_1$"), NoEscape("$x_2$"), "label", "output before training",
             "output after training"],
            [[num(a, 1), num(b, 1), int(label), num(s, 4), num(o, 4)] for (a, b), label, s, o
             in zip(x, y, start, base["out"], strict=True)], "SScSS"),
        "grad_table": gradcheck_table(
            {"network": [c["net"] for c in checks], "parameter": [c["name"] for c in checks],
             "shape": [NoEscape("$" + r" \times ".join(map(str, c["shape"])) + "$")
                       for c in checks]},
            [c["rel_error"] for c in checks], abs_error=[c["abs_error"] for c in checks]),
    }


def context_variations(rows: dict[str, list[dict]]) -> dict[str, Any]:
    """Depth, width, learning rate and initialisation: the comparisons the text makes."""
    depth, width, lr, init = rows["depth"], rows["width"], rows["lr"], rows["init"]
    stable = [row for row in lr if row["all_reached"]]
    rates = [row["value"] for row in stable]
    products = np.array([row["value"] * row["updates"].mean() for row in stable])
    big = [row for row in lr if row["value"] > rates[-1]]
    stuck = _stuck([run for row in big for run in row["runs"]])
    named = {row["value"]: row for row in init}
    large = _stuck(named["normal(10)"]["runs"])
    mean_y = float(np.mean(five_points()[1]))
    disagree = {"seeds disagree on": lambda row: pct(row["disagreement"])}
    return {
        "all_fit": all(bool(np.all(row["acc"] == 1)) and row["all_reached"]
                       for row in depth + width),
        "min_disagreement": min(row["disagreement"] for row in depth + width),
        "depth_faster": max(row["updates"].mean() for row in depth[1:])
        < 0.5 * depth[0]["updates"].mean(),
        "depth_lower": _falls([row["final"].mean() for row in depth]),
        "depth_disagree": _falls([-row["disagreement"] for row in depth]),
        "depth_units": sorted({n for row in depth for n in row["value"]}),
        "width_lower": _falls([row["final"].mean() for row in width]),
        "width_slow": width[0]["updates"].mean()
        > 2 * max(row["updates"].mean() for row in width[1:]),
        "width_agree": width[-1]["disagreement"]
        < min(row["disagreement"] for row in width[:-1]),
        "depth_table": _table(depth, "network", disagree),
        "width_table": _table(width, "network", disagree),
        "lr_stable": stable, "lr_product": products.mean(),
        "lr_contiguous": rates == [row["value"] for row in lr
                                   if rates[0] <= row["value"] <= rates[-1]],
        "lr_spread": float(np.max(np.abs(products / products.mean() - 1))),
        "lr_big": big, "lr_big_runs": sum(len(row["runs"]) for row in big),
        "lr_stuck": stuck["runs"], "lr_stuck_confident": stuck["confident"],
        "lr_stuck_slope": stuck["slope"],
        "lr_table": _table(lr, "learning rate", {NoEscape(r"rate $\times$ updates"): lambda row:
                           num(row["value"] * row["updates"].mean(), 0)
                           if row["all_reached"] else "--"}),
        "zero": named["zeros"], "tiny": named["normal(0.01)"], "glorot": named["glorot_uniform"],
        "n1": named["normal(1)"], "large": named["normal(10)"], "mean_y": mean_y,
        # From zeros nothing but the output bias moves: the output stays the mean label.
        "zero_stuck": all(run["max_abs_inner"] == 0 and float(np.ptp(run["grid"])) < 1e-6
                          and abs(run["loss"][-1] - mean_y * (1 - mean_y)) < 1e-4
                          and abs(float(run["grid"][0, 0]) - mean_y) < 1e-2
                          for run in named["zeros"]["runs"]),
        "large_failed": len(large["runs"]), "large_confident": large["confident"],
        "large_slope": large["slope"],
        "init_table": _table(init, "weights", {
            "saturated": lambda row: pct(row["saturated"].mean(), 0),
            NoEscape(r"$\lVert\nabla_{W^{(1)}}\mathcal{L}\rVert_0$"):
            lambda row: num(row["grad_W1"].mean(), 2, sci=True)}),
    }


def context(r: dict[str, Any]) -> dict[str, Any]:
    rows = {name: summarise(r["variations"][name]) for name in ("depth", "width", "lr", "init")}
    return (context_network(r) | rows | context_variations(rows)
            | {"seeds": SEEDS, "n_seeds": len(SEEDS), "shown_seeds": fig.SHOWN_SEEDS,
               "saturation": diag.SATURATION, "tail": TAIL, "threshold": THRESHOLD,
               "smooth_band": SMOOTH_BAND, "confident": BASE["confident"]})


REPORT = Report(
    id="lab4-backprop",
    title="Lab 4: Back-propagation",
    template="lab4-backprop.tex.j2",
    experiments=tuple(Experiment(name, fn, config, data=("five_points",)) for name, fn, config in (
        ("data", run_data, DATA), ("untrained", run_untrained, UNTRAINED),
        ("base", train_one, BASE), ("linear", train_seeds, LINEAR),
        ("gradcheck", run_gradcheck, GRADCHECK), ("variations", run_variations, VARIATIONS))),
    figures=tuple(FigureSpec(f"lab4_{fn.__name__}", fn, needs) for fn, needs in (
        (fig.boundary_start, ("base", "data")), (fig.loss_curve, ("base",)),
        (fig.boundary_trained, ("base", "data")), (fig.depth_boundaries, ("variations", "data")),
        (fig.width_boundaries, ("variations", "data")), (fig.arch_curves, ("variations",)),
        (fig.lr_speed, ("variations",)), (fig.init_boundaries, ("variations", "data")),
        (fig.init_curves, ("variations",)))),
    context=context,
)
