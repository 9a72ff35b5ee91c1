"""lab4-backprop: Lab 4 (back-propagation; a tanh/sigmoid network on five points) — experiment
configs, the runs, and the claims behind the report's sentences."""

from __future__ import annotations

from itertools import combinations, pairwise
from typing import Any

import numpy as np
import scipy.optimize

import derivations.backprop
from figures import lab4_backprop as fig
from model.assignments.lab4 import NeuralNetwork, initialiser, train
from model.data import five_points
from model.gradcheck import SMOOTH_BAND, check_net
from model.layers import Tanh
from model.probes import saturated_fraction
from report.fragments import gradcheck_table, table
from report.latex import NoEscape, fmt_num
from report.numbers import pct, pm
from report.spec import Experiment, FigureSpec, Report, claim
from report.sweep import sweep

# The decision-boundary plots evaluate the network on an n x n grid over [-lim, lim]^2.
GRID = {"lim": 2.5, "n": 81}
# A mean squared error below 0.01 puts every one of the five squared errors below 0.05, so every
# output is within 0.23 of its label: all five points are classified right, with a margin.
THRESHOLD = 0.01
UPDATES_HEADER = f"updates to loss < {THRESHOLD:g}"
SEEDS = [0, 1, 2, 3]
# The convergence check of In [6] looks at how much the loss still falls over the last updates.
TAIL = 500
# The run the lab prescribes: 2500 full-batch steps with learning rate 0.25.
# A tanh output beyond +-saturation (slope below 0.02) is saturated and passes on little
# gradient; an output more than `confident` away from its label is confidently wrong.
BASE = {"hidden": [8], "lr": 0.25, "init": "glorot_uniform", "epochs": 2500, "seed": 0,
        "threshold": THRESHOLD, "saturation": 0.99, "confident": 0.9, "grid": GRID}
DATA = {"points": "five_points"}
GRADCHECK = {"hiddens": [[8], [8, 8, 8]], "seed": 0}


# The lab's suggested variations: each sweep changes one setting of BASE and trains every value
# from every seed.
VARIATIONS = {key: value for key, value in BASE.items() if key != "seed"} | {
    "seeds": SEEDS,
    "sweeps": {
        "depth": ["hidden", [[8], [8, 8], [8, 8, 8], [8, 8, 8, 8]]],
        "width": ["hidden", [[2], [4], [8], [32]]],
        "lr": ["lr", [0.01, 0.05, 0.25, 1.0, 4.0, 16.0, 64.0]],
        "init": ["init", ["zeros", "normal(0.01)", "glorot_uniform", "normal(1)", "normal(10)"]],
    },
}


def grid_axis(grid: dict) -> np.ndarray:
    """The coordinates along either axis of the decision-boundary grid."""
    return np.linspace(-grid["lim"], grid["lim"], grid["n"])


def _grid_points(grid: dict) -> np.ndarray:
    """(n * n, 2) points; row r * n + c is (axis[c], axis[r]), as contourf reads a (n, n) array."""
    xx, yy = np.meshgrid(grid_axis(grid), grid_axis(grid))
    return np.column_stack([xx.ravel(), yy.ravel()])


def run_data(config: dict) -> dict[str, Any]:
    """The five points, and whether any straight line separates their two classes."""
    x, y = five_points()
    sign = 2 * y[:, 0] - 1
    # A line separates the classes iff some (w, b) has sign_i (w . x_i + b) >= 1 for every i:
    # a linear feasibility problem, which linprog reports as infeasible (status 2) if not.
    lhs = -sign[:, None] * np.column_stack([x, np.ones(len(x))])
    found = scipy.optimize.linprog(np.zeros(3), A_ub=lhs, b_ub=-np.ones(len(x)),
                                   bounds=[(None, None)] * 3)
    return {"x": x, "y": y[:, 0], "lp_status": int(found.status)}


def train_one(config: dict) -> dict[str, Any]:
    """Build the lab's network from `config`, train it on the five points with the lab's `train`,
    and record its loss curve, its outputs, and its output on the grid before and after."""
    x, y = five_points()
    net = NeuralNetwork(2, 1, config["hidden"], seed=config["seed"],
                        init=initialiser(config["init"]))
    points = _grid_points(config["grid"])
    shape = (config["grid"]["n"], config["grid"]["n"])
    start_grid = net.forward(points).reshape(shape).astype(np.float32)
    start_out = net.forward(x)[:, 0]
    saturated = saturated_fraction(net.net, x, config["saturation"], Tanh)
    net, losses = train(x, y, net, config["epochs"], config["lr"])
    loss = np.append(losses, net.get_loss(x, y))  # entry k: the loss after k updates
    out = net.forward(x)
    below = np.flatnonzero(loss < config["threshold"])
    # Everything but the output bias: the zero initialisation should leave all of it at 0.
    inner = [p for _, p in net.net.parameters()[:-1]]
    return {
        "loss": loss,
        "threshold": config["threshold"],
        "start_out": start_out,
        "out": out[:, 0],
        "acc": float(np.mean((out > 0.5) == (y > 0.5))),
        "updates_to_threshold": int(below[0]) if below.size else None,
        "confidently_wrong": int(np.sum(np.abs(out - y) > config["confident"])),
        "saturated_at_start": saturated,
        "max_abs_inner": max(float(np.abs(p).max()) for p in inner),
        "axis": grid_axis(config["grid"]),
        "start_grid": start_grid,
        "grid": net.forward(points).reshape(shape).astype(np.float32),
    }


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


# --- what the template quotes, and the claims behind its sentences -------------------------------

def _updates_cell(runs: list[dict]) -> NoEscape | str:
    """Updates until the loss first falls below the threshold, or how many seeds got there."""
    reached = [run["updates_to_threshold"] for run in runs
               if run["updates_to_threshold"] is not None]
    if len(reached) == len(runs):
        return pm(reached, 0)
    return f"{len(reached)} of {len(runs)} seeds"


def summarise(variation: dict) -> list[dict[str, Any]]:
    """Per swept value: final losses, accuracies and updates to the threshold over the seeds."""
    rows = []
    for value, runs in zip(variation["values"], variation["runs"], strict=True):
        final = np.array([run["loss"][-1] for run in runs])
        reached = [run["updates_to_threshold"] for run in runs]
        grids = [run["grid"] > 0.5 for run in runs]
        rows.append({
            "label": fig.label(variation["vary"], value),
            "value": value,
            "final": final,
            "acc": np.array([run["acc"] for run in runs]),
            "reached": reached,
            "all_reached": all(r is not None for r in reached),
            "updates": np.array([r for r in reached if r is not None], dtype=float),
            "saturated": np.array([run["saturated_at_start"] for run in runs]),
            # How much two seeds' decision regions differ: the mean over pairs of seeds of the
            # fraction of the plotted square they classify differently.
            "disagreement": float(np.mean([np.mean(a != b) for a, b in combinations(grids, 2)])),
            "runs": runs,
        })
    return rows


def _arch_table(rows: list[dict]) -> NoEscape:
    return table(
        ["network", "final loss", "accuracy", UPDATES_HEADER, "seeds disagree on"],
        [[row["label"], pm(row["final"], 2, sci=True), pm(row["acc"], 2),
          _updates_cell(row["runs"]), pct(row["disagreement"])] for row in rows])


def _shape(shape: tuple[int, ...]) -> NoEscape:
    return NoEscape("$" + r" \times ".join(map(str, shape)) + "$")


def _falls(values: list[float]) -> bool:
    """Each value below the one before."""
    return all(a > b for a, b in pairwise(values))


def context_network(r: dict[str, Any]) -> dict[str, Any]:
    """The data, the prescribed run, and the gradient check."""
    data, base, checks = r["data"], r["base"], r["gradcheck"]["rows"]
    x, y = data["x"], data["y"]
    claim(data["lp_status"] == 2, "the data: no straight line separates the two classes")
    claim(bool(np.all(np.abs(x) <= 2)), "the data: every point lies in [-2, 2]^2")
    quadrant = [tuple(np.sign(p)) for p in x]
    corner = np.abs(x).min(axis=1) > 1
    claim(sorted(q for q, c, label in zip(quadrant, corner, y, strict=True) if c and label == 1)
          == [(-1, 1), (1, -1)], "the data: class 1 sits in two opposite corners")
    claim(sorted(q for q, c, label in zip(quadrant, corner, y, strict=True) if c and label == 0)
          == [(-1, -1), (1, 1)], "the data: class 0 sits in the other two corners")
    claim(int(np.sum(~corner)) == 1 and y[~corner][0] == 0
          and float(np.linalg.norm(x[~corner][0])) < 0.5,
          "the data: the fifth point, class 0, lies near the centre")
    start_acc = float(np.mean((base["start_out"] > 0.5) == (y > 0.5)))
    start_spread = float(np.max(np.abs(base["start_grid"] - 0.5)))
    claim(start_acc < 1, "In [4]: the untrained network misclassifies some points")
    claim(start_spread < 0.1, "In [4]: the untrained output stays within 0.1 of 0.5")
    claim(base["acc"] == 1, "In [7]: the trained network classifies all five points right")
    loss = base["loss"]
    claim(loss[-1] < THRESHOLD < loss[0], "In [6]: the loss falls below the threshold")
    claim(bool(np.all(np.diff(loss) < 0)), "In [6]: the loss falls at every update")
    tail = loss[-TAIL - 1] - loss[-1]
    claim(tail < 0.01 * (loss[0] - loss[-1]),
          "In [6]: the last TAIL updates take less than 1% of the total drop")
    margin = float(np.max(np.abs(base["out"] - y)))
    grid = base["grid"]  # grid[row, column] is the output at (axis[column], axis[row])
    claim(min(grid[-1, 0], grid[0, -1]) > 0.5 > max(grid[0, 0], grid[-1, -1]),
          "In [7]: the class-1 corners of the square are class 1, the class-0 corners class 0")
    centre = grid.shape[0] // 2
    claim(grid[centre, centre] < 0.5, "In [7]: the centre of the square is class 0")
    claim(margin < 0.1, "In [7]: every trained output is within 0.1 of its label")
    for row in checks:
        claim(row["shape"] == row["grad_shape"], f"gradcheck: {row['name']} has its shape")
        claim(row["same_as_lab"], f"gradcheck: the checker's {row['name']} is the lab's backward")
        claim(row["rel_error"] < SMOOTH_BAND, f"gradcheck: {row['net']} {row['name']} agrees")
    points = table(
        [NoEscape("$x_1$"), NoEscape("$x_2$"), "label", "output before training",
         "output after training"],
        [[fmt_num(a, 1), fmt_num(b, 1), int(label), fmt_num(s, 4), fmt_num(o, 4)]
         for (a, b), label, s, o in zip(x, y, base["start_out"], base["out"], strict=True)])
    grad_table = gradcheck_table(
        {"network": [row["net"] for row in checks], "parameter": [row["name"] for row in checks],
         "shape": [_shape(row["shape"]) for row in checks]},
        [row["rel_error"] for row in checks], abs_error=[row["abs_error"] for row in checks])
    return {
        "points_table": points,
        "grad_table": grad_table,
        "start_right": round(start_acc * len(y)),
        "n_points": len(y),
        "start_spread": start_spread,
        "start_margin": float(np.max(np.abs(base["start_out"] - 0.5))),
        "trained_margin": margin,
        "worst_rel_error": max(row["rel_error"] for row in checks),
        "smooth_band": SMOOTH_BAND,
        "threshold": THRESHOLD,
        "tail_drop": tail,
        "tail": TAIL,
        # MSE < t means a sum of five squared errors below 5 t, so each error is below this.
        "threshold_margin": float(np.sqrt(len(y) * THRESHOLD)),
        "base_label": fig.label("hidden", BASE["hidden"]),
        "backprop_net": "-".join(map(str, derivations.backprop.WIDTHS)),
    }


def context_architecture(r: dict[str, Any]) -> dict[str, Any]:
    """Depth and width: what changes, claimed against every seed."""
    depth, width = (summarise(r["variations"][k]) for k in ("depth", "width"))
    for row in depth + width:
        claim(bool(np.all(row["acc"] == 1)), f"{row['label']} fits all five points, every seed")
        claim(row["all_reached"], f"{row['label']} reaches the threshold, every seed")
        claim(row["disagreement"] > 0.01, f"{row['label']}: seeds draw different boundaries")
    claim(_falls([row["final"].mean() for row in depth]),
          "depth: every added layer lowers the mean final loss")
    claim(max(row["updates"].mean() for row in depth[1:]) < 0.5 * depth[0]["updates"].mean(),
          "depth: every deeper net needs fewer than half the updates of one hidden layer")
    claim(_falls([-row["disagreement"] for row in depth]),
          "depth: every added layer makes the seeds disagree on more of the square")
    claim(_falls([row["final"].mean() for row in width]),
          "width: every wider layer lowers the mean final loss")
    narrow, widest = width[0], width[-1]
    claim(narrow["updates"].mean() > 2 * max(row["updates"].mean() for row in width[1:]),
          "width: the narrowest net needs more than twice the updates of any wider one")
    claim(widest["disagreement"] < min(row["disagreement"] for row in width[:-1]),
          "width: the widest net's seeds agree most")
    units = {n for row in depth for n in row["value"]}
    claim(len(units) == 1, "depth: every hidden layer of the depth sweep has the same width")
    return {
        "depth_units": units.pop(),
        "depth_table": _arch_table(depth), "width_table": _arch_table(width),
        "depth": depth, "width": width,
    }


def context_lr(r: dict[str, Any]) -> dict[str, Any]:
    """Learning rate: convergence speed, and where too large a step breaks training."""
    rows = summarise(r["variations"]["lr"])
    stable = [row for row in rows if row["all_reached"]]
    rates = [row["value"] for row in stable]
    products = np.array([row["value"] * row["updates"].mean() for row in stable])
    spread = float(np.max(np.abs(products / products.mean() - 1)))
    claim(len(stable) >= 3, "lr: at least three rates reach the threshold for every seed")
    claim(rates == [row["value"] for row in rows if rates[0] <= row["value"] <= rates[-1]],
          "lr: the rates that always reach the threshold form one contiguous range")
    claim(spread < 0.1, "lr: over that range, lr x updates stays within 10% of its mean")
    slow, fast = rows[0], rows[-1]
    claim(not any(r is not None for r in slow["reached"]),
          "lr: the smallest rate reaches the threshold for no seed")
    claim(bool(np.all(fast["acc"] < 1)), "lr: the largest rate misclassifies a point, every seed")
    big = [row for row in rows if row["value"] > rates[-1]]
    stuck = [run for row in big for run in row["runs"] if run["acc"] < 1]
    claim(all(run["confidently_wrong"] == round(5 * (1 - run["acc"])) for run in stuck),
          "lr: above that range, every misclassified point is off by more than 0.9")
    table_rows = [[row["label"], pm(row["final"], 2, sci=True), pm(row["acc"], 2),
                   _updates_cell(row["runs"]),
                   fmt_num(row["value"] * row["updates"].mean(), 0) if row["all_reached"] else "--"]
                  for row in rows]
    return {
        "lr_table": table(["learning rate", "final loss", "accuracy", UPDATES_HEADER,
                           NoEscape(r"rate $\times$ updates")], table_rows),
        "lr_stable": rates, "lr_product": products.mean(), "lr_spread": spread,
        "lr_slow": slow, "lr_fast": fast, "lr_big": [row["label"] for row in big],
        "lr_stuck": len(stuck), "lr_big_runs": sum(len(row["runs"]) for row in big),
    }


def context_init(r: dict[str, Any]) -> dict[str, Any]:
    """Initialisation: symmetric, tiny, Glorot, and large weights."""
    rows = {row["value"]: row for row in summarise(r["variations"]["init"])}
    claim(list(rows) == ["zeros", "normal(0.01)", "glorot_uniform", "normal(1)", "normal(10)"],
          "init: the schemes are the ones the text names, in its order")
    zero, tiny, glorot, large = (rows[k] for k in ("zeros", "normal(0.01)", "glorot_uniform",
                                                   "normal(10)"))
    mean_y = float(np.mean(r["data"]["y"]))
    for run in zero["runs"]:
        claim(run["max_abs_inner"] == 0, "init: from zeros, nothing but the output bias moves")
        claim(abs(run["loss"][-1] - mean_y * (1 - mean_y)) < 1e-4,
              "init: from zeros the loss ends at the variance of the labels")
        claim(float(np.ptp(run["grid"])) < 1e-6, "init: from zeros the output is constant")
        claim(abs(float(run["grid"][0, 0]) - mean_y) < 1e-2,
              "init: from zeros the constant output is the mean label")
    claim(bool(np.all(glorot["acc"] == 1)) and bool(np.all(tiny["acc"] == 1)),
          "init: Glorot and tiny weights fit all five points for every seed")
    claim(tiny["updates"].mean() > 2 * glorot["updates"].mean(),
          "init: tiny weights need more than twice the updates of Glorot's")
    claim(tiny["disagreement"] < glorot["disagreement"],
          "init: tiny weights give seeds that agree more than Glorot's")
    claim(bool(np.all(rows["normal(1)"]["acc"] == 1)),
          "init: N(0, 1) weights fit all five points for every seed")
    claim(float(tiny["saturated"].max()) == 0.0 and float(glorot["saturated"].max()) == 0.0,
          "init: tiny and Glorot weights saturate no unit")
    claim(large["saturated"].mean() > 0.5, "init: most units start saturated with N(0, 10^2)")
    large_failed = int(np.sum(large["acc"] < 1))
    claim(large_failed > len(SEEDS) / 2, "init: most large-weight runs fail to fit the points")
    claim(all(run["confidently_wrong"] == round(5 * (1 - run["acc"])) for run in large["runs"]),
          "init: every point a large-weight run gets wrong is off by more than 0.9")
    table_rows = [[row["label"], NoEscape(f"{100 * row['saturated'].mean():.0f}\\%"),
                   pm(row["final"], 2, sci=True), pm(row["acc"], 2), _updates_cell(row["runs"])]
                  for row in rows.values()]
    return {
        "init_table": table(["weights", "saturated at start", "final loss", "accuracy",
                             UPDATES_HEADER], table_rows),
        "init": {"zero": zero, "tiny": tiny, "glorot": glorot, "large": large},
        "mean_y": mean_y,
        "large_failed": large_failed,
    }


def context(r: dict[str, Any]) -> dict[str, Any]:
    return (context_network(r) | context_architecture(r) | context_lr(r) | context_init(r)
            | {"seeds": SEEDS, "n_seeds": len(SEEDS), "shown_seeds": fig.SHOWN_SEEDS,
               "saturation": BASE["saturation"], "confident": BASE["confident"]})


REPORT = Report(
    id="lab4-backprop",
    title="Lab 4: Back-propagation",
    template="lab4-backprop.tex.j2",
    experiments=(
        Experiment("data", run_data, DATA, data=("five_points",)),
        Experiment("base", train_one, BASE, data=("five_points",)),
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
