"""lab4-backprop: Lab 4 (back-propagation; a tanh/sigmoid network on five points) — experiment
configs, the runs and what they record, and the facts the template's claims test."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import scipy.optimize

import derivations.backprop
from figures import lab4_backprop as fig
from model.assignments.lab4 import NeuralNetwork, initialiser, train
from model.data import five_points
from model.diagnostics import SATURATION, gradient_norms, saturated_fraction, seed_spread
from model.functional import sigmoid
from model.gradcheck import SMOOTH_BAND, check_net
from model.losses import mse_loss
from report.fragments import gradcheck_table, table
from report.latex import NoEscape
from report.numbers import num, pct, pm
from report.spec import Experiment, FigureSpec, Report
from report.sweep import per_seed, sweep

# The decision-boundary plots evaluate the network on an n x n grid over [-lim, lim]^2.
GRID = {"lim": 2.5, "n": 81}
# A mean squared error below 0.01 puts every one of the five squared errors below 0.05, so every
# output is within 0.23 of its label: all five points are classified right, with a margin.
THRESHOLD = 0.01
UPDATES_HEADER = NoEscape(rf"updates to $\mathcal{{L}} < {THRESHOLD:g}$")
SEEDS = [0, 1, 2, 3]
TAIL = 500  # In [6]'s convergence check: how much the loss still falls over the last updates
# The run the lab prescribes: 2500 full-batch steps with learning rate 0.25. An output more than
# `confident` away from its label is confidently wrong.
BASE = {"hidden": [8], "lr": 0.25, "init": "glorot_uniform", "epochs": 2500, "seed": 0,
        "threshold": THRESHOLD, "confident": 0.9, "grid": GRID}
DATA = {"points": "five_points", "starts": 10}
# The untrained network is cheap: many seeds show what Glorot's rule does, not what one draw did.
UNTRAINED = {"hidden": [8], "init": "glorot_uniform", "grid": GRID, "seeds": list(range(20))}
LINEAR = {k: v for k, v in BASE.items() if k != "seed"} | {"hidden": [], "seeds": SEEDS}
GRADCHECK = {"hiddens": [[8], [8, 8, 8]], "seed": 0}
# The lab's suggested variations: each sweep changes one setting of BASE, for every seed.
VARIATIONS = {key: value for key, value in BASE.items() if key != "seed"} | {
    "seeds": SEEDS,
    "sweeps": {
        "depth": ["hidden", [[8], [8, 8], [8, 8, 8], [8, 8, 8, 8]]],
        "width": ["hidden", [[2], [4], [8], [32]]],
        "lr": ["lr", [0.01, 0.05, 0.25, 1.0, 4.0, 16.0, 64.0]],
        "init": ["init", ["zeros", "normal(0.01)", "glorot_uniform", "normal(1)", "normal(10)"]],
    },
}
# The eight symmetries of the square, as matrices acting on row vectors.
SQUARE = [np.array(m) for m in itertools.product(*[[[1, 0], [-1, 0], [0, 1], [0, -1]]] * 2)
          if abs(np.linalg.det(m)) == 1]


def grid_axis(grid: dict) -> np.ndarray:
    """The coordinates along either axis of the decision-boundary grid."""
    return np.linspace(-grid["lim"], grid["lim"], grid["n"])


def _grid_points(grid: dict) -> np.ndarray:
    """(n * n, 2) points; row r * n + c is (axis[c], axis[r]), as contourf reads a (n, n) array."""
    xx, yy = np.meshgrid(grid_axis(grid), grid_axis(grid))
    return np.column_stack([xx.ravel(), yy.ravel()])


def _separable(x: np.ndarray, labels: np.ndarray) -> bool:
    """Whether some line w . x + b = 0 has the 1s on one side and the 0s on the other: the
    linear feasibility problem sign_i (w . x_i + b) >= 1, which linprog solves (status 0)."""
    sign = 2 * labels - 1
    lhs = -sign[:, None] * np.column_stack([x, np.ones(len(x))])
    found = scipy.optimize.linprog(np.zeros(3), A_ub=lhs, b_ub=-np.ones(len(x)),
                                   bounds=[(None, None)] * 3)
    return found.status == 0


def run_data(config: dict) -> dict[str, Any]:
    """The five points, and what a linear model can do with them."""
    x, y = five_points()
    labels = y[:, 0]
    # The best line: the labelling closest to the true one that some line (or none) produces.
    best = max(float(np.mean(np.array(lab) == labels))
               for lab in itertools.product([0.0, 1.0], repeat=len(x))
               if len(set(lab)) == 1 or _separable(x, np.array(lab)))
    design = np.column_stack([x, np.ones(len(x))])
    starts = np.random.default_rng(0).normal(0, 3, size=(config["starts"], 3))
    floor = min(scipy.optimize.minimize(lambda p: mse_loss(labels, sigmoid(design @ p)), start,
                                        method="BFGS").fun for start in starts)
    key = {(tuple(p), label) for p, label in zip(x.tolist(), labels, strict=True)}
    symmetric = sum({(tuple(p), label) for p, label in
                     zip((x @ m).tolist(), labels, strict=True)} == key for m in SQUARE) - 1
    return {"x": x, "y": labels, "separable": _separable(x, labels), "best_line_acc": best,
            "sigmoid_line_floor": float(floor), "symmetries": int(symmetric)}


def untrained_one(config: dict) -> dict[str, float]:
    """An untrained network's output over the square: how far it strays from 0.5."""
    x, _ = five_points()
    net = NeuralNetwork(2, 1, config["hidden"], seed=config["seed"],
                        init=initialiser(config["init"]))
    _, trace = net.net.forward(_grid_points(config["grid"]))
    return {"points": float(np.max(np.abs(net.forward(x) - 0.5))),
            "grid": float(np.max(np.abs(trace[-1][2] - 0.5))),
            "logit": float(np.max(np.abs(trace[-1][1])))}


def run_untrained(config: dict) -> dict[str, Any]:
    """The untrained network's output over the square, for many seeds."""
    return {"seeds": config["seeds"], "runs": per_seed(untrained_one, config, "untrained")}


def _measure(net: NeuralNetwork, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Hidden tanh units saturated (share per hidden layer, see model.diagnostics.SATURATION)
    and every parameter's gradient norm, for the network as it is."""
    net.backward(x, y)
    return {"saturated": saturated_fraction(net.net, x)[:-1], "grads": gradient_norms(net.net)}


def train_one(config: dict) -> dict[str, Any]:
    """Build the lab's network from `config`, train it on the five points with the lab's `train`,
    and record its loss curve, outputs, output over the grid and diagnostics before and after."""
    x, y = five_points()
    net = NeuralNetwork(2, 1, config["hidden"], seed=config["seed"],
                        init=initialiser(config["init"]))
    points = _grid_points(config["grid"])
    shape = (config["grid"]["n"], config["grid"]["n"])
    start_grid = net.forward(points).reshape(shape).astype(np.float32)
    start_out, start = net.forward(x)[:, 0], _measure(net, x, y)
    net, losses = train(x, y, net, config["epochs"], config["lr"])
    out = net.forward(x)[:, 0]
    below = np.flatnonzero(np.append(losses, net.get_loss(x, y)) < config["threshold"])
    return {
        "loss": np.append(losses, net.get_loss(x, y)),  # entry k: the loss after k updates
        "threshold": config["threshold"],
        "start_out": start_out,
        "out": out,
        "acc": float(np.mean((out > 0.5) == (y[:, 0] > 0.5))),
        "updates_to_threshold": int(below[0]) if below.size else None,
        "confidently_wrong": int(np.sum(np.abs(out - y[:, 0]) > config["confident"])),
        # The output sigmoid's slope relative to its peak 1/4, on the misclassified points.
        "wrong_slopes": (4 * out * (1 - out))[(out > 0.5) != (y[:, 0] > 0.5)].tolist(),
        "start": start,
        "end": _measure(net, x, y),
        # Everything but the output bias: the zero initialisation should leave all of it at 0.
        "max_abs_inner": max(float(np.abs(p).max()) for _, p in net.net.parameters()[:-1]),
        "axis": grid_axis(config["grid"]),
        "start_grid": start_grid,
        "grid": net.forward(points).reshape(shape).astype(np.float32),
    }


def run_linear(config: dict) -> list[dict[str, Any]]:
    """A linear model, the lab's network without a hidden layer, trained as the lab's."""
    return per_seed(train_one, config, "linear")


def run_variations(config: dict) -> dict[str, Any]:
    """Every sweep: runs[value][seed] per swept value. A setting shared by several sweeps (BASE
    itself is in all four) is trained once: `sweep` runs equal points once."""
    common = {key: value for key, value in config.items() if key not in ("seeds", "sweeps")}
    seeds, sweeps = config["seeds"], config["sweeps"]
    runs = iter(sweep(train_one, [common | {vary: value, "seed": seed}
                                  for vary, values in sweeps.values()
                                  for value in values for seed in seeds], "variations"))
    return {name: {"vary": vary, "values": values, "seeds": seeds,
                   "runs": [[next(runs) for _ in seeds] for _ in values]}
            for name, (vary, values) in sweeps.items()}


def run_gradcheck(config: dict) -> dict[str, Any]:
    """The lab's backward pass against central differences of its loss, for every parameter."""
    x, y = five_points()
    rows = []
    for hidden in config["hiddens"]:
        net = NeuralNetwork(2, 1, hidden, seed=config["seed"])
        net.backward(x, y)
        lab = {name: grad.copy() for name, grad in net.net.gradients()}
        shapes = {name: p.shape for name, p in net.net.parameters()}
        for check in check_net(net.net, net.loss, x, y):
            rows.append({"net": "-".join(map(str, [2, *hidden, 1])), "name": check.name,
                         "shape": shapes[check.name], "grad_shape": lab[check.name].shape,
                         "same_as_lab": bool(np.array_equal(lab[check.name], check.analytic)),
                         "abs_error": check.abs_error, "rel_error": check.rel_error})
    return {"rows": rows}


# --- what the template quotes and its claims test -----------------------------------------------

def summarise(variation: dict) -> list[dict[str, Any]]:
    """Per swept value: final losses, accuracies, updates to the threshold, diagnostics."""
    rows = []
    for value, runs in zip(variation["values"], variation["runs"], strict=True):
        reached = [run["updates_to_threshold"] for run in runs]
        grids = [run["grid"] > 0.5 for run in runs]
        rows.append({
            "label": fig.label(variation["vary"], value), "value": value, "runs": runs,
            "final": np.array([run["loss"][-1] for run in runs]),
            "acc": np.array([run["acc"] for run in runs]),
            "all_reached": all(r is not None for r in reached),
            "n_reached": sum(r is not None for r in reached),
            "updates": np.array([r for r in reached if r is not None], dtype=float),
            "saturated": np.array([np.mean(run["start"]["saturated"] or [0.0]) for run in runs]),
            "grad_W1": np.array([run["start"]["grads"]["W1"] for run in runs]),
            "wrong_slopes": [s for run in runs for s in run["wrong_slopes"]],
            # How much two seeds' decision regions differ: the mean over pairs of seeds of the
            # fraction of the plotted square they classify differently.
            "disagreement": float(np.mean([np.mean(a != b)
                                           for a, b in itertools.combinations(grids, 2)])),
        })
    return rows


def _updates_cell(row: dict) -> NoEscape | str:
    """Updates until the loss first falls below the threshold, or how many seeds got there."""
    if row["all_reached"]:
        return pm(row["updates"], 0)
    return f"{row['n_reached']} of {len(row['runs'])} seeds"


def _sweep_table(rows: list[dict], first: str, extra: dict | None = None) -> NoEscape:
    """One row per swept value: final loss, accuracy, updates to the threshold, `extra` columns."""
    extra = extra or {}
    return table([first, *extra, "final loss", "accuracy", UPDATES_HEADER],
                 [[row["label"], *(f(row) for f in extra.values()), pm(row["final"], 2, sci=True),
                   pm(row["acc"], 2), _updates_cell(row)] for row in rows])


def _shape(shape: tuple[int, ...]) -> NoEscape:
    return NoEscape("$" + r" \times ".join(map(str, shape)) + "$")


def _falls(values: list[float]) -> bool:
    """Each value below the one before."""
    return all(a > b for a, b in itertools.pairwise(values))


def context_network(r: dict[str, Any]) -> dict[str, Any]:
    """The data, the untrained and the prescribed run, and the gradient check."""
    data, base, checks = r["data"], r["base"], r["gradcheck"]["rows"]
    x, y = data["x"], data["y"]
    corner = np.abs(x).min(axis=1) > 1
    runs, shown = r["untrained"]["runs"], r["untrained"]["seeds"].index(BASE["seed"])
    grid, mid = base["grid"], base["grid"].shape[0] // 2  # grid[row, col]: (axis[col], axis[row])
    hidden = BASE["hidden"][0]
    return {
        "checks": checks, "n_points": len(y),
        "checks_agree": all(row["shape"] == row["grad_shape"] and row["same_as_lab"]
                            for row in checks),
        "worst_rel_error": max(row["rel_error"] for row in checks),
        "corners": {label: sorted(tuple(np.sign(p)) for p, c, lab in zip(x, corner, y, strict=True)
                                  if c and lab == label) for label in (0, 1)},
        "centre": {"n": int(np.sum(~corner)), "label": float(y[~corner][0]),
                   "radius": float(np.linalg.norm(x[~corner][0])),
                   # how far it is from the midpoint of the two class-1 corners
                   "to_mid": float(np.linalg.norm(x[~corner][0] - x[y == 1].mean(axis=0)))},
        "linear": summarise({"vary": "hidden", "values": [[]], "runs": [r["linear"]]})[0],
        "start_acc": float(np.mean((base["start_out"] > 0.5) == (y > 0.5))),
        "start_margin": float(np.max(np.abs(base["start_out"] - 0.5))),
        "start_spread": float(np.max(np.abs(base["start_grid"] - 0.5))),
        "untrained": {k: seed_spread([run[k] for run in runs])
                      for k in ("points", "grid", "logit")},
        "untrained_rank": sum(run["grid"] < runs[shown]["grid"] for run in runs),  # flatter seeds
        # |output pre-activation| <= sum_j |W_j| |tanh| <= hidden * a, a Glorot's output bound.
        "logit_bound": hidden * float(np.sqrt(6 / (hidden + 1))),
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
             in zip(x, y, base["start_out"], base["out"], strict=True)], "SScSS"),
        "grad_table": gradcheck_table(
            {"network": [row["net"] for row in checks],
             "parameter": [row["name"] for row in checks],
             "shape": [_shape(row["shape"]) for row in checks]},
            [row["rel_error"] for row in checks], abs_error=[row["abs_error"] for row in checks]),
    }


def _stuck(runs: list[dict]) -> dict[str, Any]:
    """The runs that end with a point misclassified, whether each such point is confidently
    wrong, and the largest output slope (share of the peak) among those points."""
    stuck = [run for run in runs if run["acc"] < 1]
    return {"runs": stuck,
            "confident": all(run["confidently_wrong"] == len(run["wrong_slopes"])
                             for run in stuck),
            "slope": max((s for run in stuck for s in run["wrong_slopes"]), default=0.0)}


DISAGREE = {"seeds disagree on": lambda row: pct(row["disagreement"])}


def context_architecture(rows: dict[str, list[dict]]) -> dict[str, Any]:
    """Depth and width: the comparisons the text makes."""
    depth, width = rows["depth"], rows["width"]
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
        "width_agree": width[-1]["disagreement"] < min(row["disagreement"] for row in width[:-1]),
        "depth_table": _sweep_table(depth, "network", DISAGREE),
        "width_table": _sweep_table(width, "network", DISAGREE),
    }


def context_lr(lr: list[dict]) -> dict[str, Any]:
    """Learning rate: the range where every seed converges, and the runs above it."""
    stable = [row for row in lr if row["all_reached"]]
    rates = [row["value"] for row in stable]
    products = np.array([row["value"] * row["updates"].mean() for row in stable])
    big = [row for row in lr if row["value"] > rates[-1]]
    stuck = _stuck([run for row in big for run in row["runs"]])
    extra = {NoEscape(r"rate $\times$ updates"): lambda row: num(
        row["value"] * row["updates"].mean(), 0) if row["all_reached"] else "--"}
    return {
        "lr_stable": stable, "lr_product": products.mean(),
        "lr_contiguous": rates == [row["value"] for row in lr
                                   if rates[0] <= row["value"] <= rates[-1]],
        "lr_spread": float(np.max(np.abs(products / products.mean() - 1))),
        "lr_big": big, "lr_big_runs": sum(len(row["runs"]) for row in big),
        "lr_stuck": stuck["runs"], "lr_stuck_confident": stuck["confident"],
        "lr_stuck_slope": stuck["slope"],
        "lr_table": _sweep_table(lr, "learning rate", extra),
    }


def context_init(init: list[dict], mean_y: float) -> dict[str, Any]:
    """Initialisation: symmetric, tiny, Glorot, N(0, 1) and large weights."""
    rows = {row["value"]: row for row in init}
    zero, large = rows["zeros"], rows["normal(10)"]
    stuck = _stuck(large["runs"])
    extra = {"saturated": lambda row: pct(row["saturated"].mean(), 0),
             NoEscape(r"$\lVert\nabla_{W^{(1)}}\mathcal{L}\rVert_0$"):
             lambda row: num(row["grad_W1"].mean(), 2, sci=True)}
    return {
        "zero": zero, "tiny": rows["normal(0.01)"], "glorot": rows["glorot_uniform"],
        "n1": rows["normal(1)"], "large": large, "mean_y": mean_y,
        # From zeros nothing but the output bias moves: the output stays the mean label.
        "zero_stuck": all(run["max_abs_inner"] == 0 and float(np.ptp(run["grid"])) < 1e-6
                          and abs(run["loss"][-1] - mean_y * (1 - mean_y)) < 1e-4
                          and abs(float(run["grid"][0, 0]) - mean_y) < 1e-2
                          for run in zero["runs"]),
        "large_failed": len(stuck["runs"]), "large_confident": stuck["confident"],
        "large_slope": stuck["slope"],
        "init_table": _sweep_table(init, "weights", extra),
    }


def context(r: dict[str, Any]) -> dict[str, Any]:
    rows = {name: summarise(r["variations"][name]) for name in ("depth", "width", "lr", "init")}
    return (context_network(r) | rows | context_architecture(rows) | context_lr(rows["lr"])
            | context_init(rows["init"], float(np.mean(r["data"]["y"])))
            | {"seeds": SEEDS, "n_seeds": len(SEEDS), "shown_seeds": fig.SHOWN_SEEDS,
               "saturation": SATURATION, "tail": TAIL, "threshold": THRESHOLD,
               "smooth_band": SMOOTH_BAND, "confident": BASE["confident"]})


REPORT = Report(
    id="lab4-backprop",
    title="Lab 4: Back-propagation",
    template="lab4-backprop.tex.j2",
    experiments=(
        Experiment("data", run_data, DATA, data=("five_points",)),
        Experiment("untrained", run_untrained, UNTRAINED, data=("five_points",)),
        Experiment("base", train_one, BASE, data=("five_points",)),
        Experiment("linear", run_linear, LINEAR, data=("five_points",)),
        Experiment("gradcheck", run_gradcheck, GRADCHECK, data=("five_points",)),
        Experiment("variations", run_variations, VARIATIONS, data=("five_points",)),
    ),
    figures=(
        FigureSpec("lab4_boundary_start", fig.boundary_start, ("base", "data")),
        FigureSpec("lab4_loss", fig.loss_curve, ("base",)),
        FigureSpec("lab4_boundary_trained", fig.boundary_trained, ("base", "data")),
        FigureSpec("lab4_depth_boundaries", fig.depth_boundaries, ("variations", "data")),
        FigureSpec("lab4_width_boundaries", fig.width_boundaries, ("variations", "data")),
        FigureSpec("lab4_arch_curves", fig.arch_curves, ("variations",)),
        FigureSpec("lab4_lr", fig.lr_speed, ("variations",)),
        FigureSpec("lab4_init_boundaries", fig.init_boundaries, ("variations", "data")),
        FigureSpec("lab4_init_curves", fig.init_curves, ("variations",)),
    ),
    context=context,
)
