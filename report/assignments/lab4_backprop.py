"""lab4-backprop: Lab 4 (back-propagation; a tanh/sigmoid network on five points) — experiment
configs, the runs and what they record, and the facts the template's claims test."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from figures import lab4_backprop as fig
from model import diagnostics as diag
from model.assignments.lab4 import NeuralNetwork, train
from model.batched import fit_recorded, snapshot
from model.data import five_points, square_grid, square_symmetries
from model.gradcheck import check_stored
from model.init import by_name
from model.losses import MSE
from model.net import Net
from report.fragments import gradcheck_records_table, records_table, seed_columns, table
from report.latex import NoEscape
from report.numbers import num, pct
from report.spec import Experiment, FigureSpec, Report
from report.sweep import vary_one

X, Y = five_points()
LABELS = Y[:, 0]
# The decision-boundary plots evaluate the network on an n x n grid over [-lim, lim]^2.
GRID = {"lim": 2.5, "n": 81}
# A mean squared error below 0.01 puts every one of the five squared errors below 0.05, so every
# output is within 0.23 of its label: all five points are classified right, with a margin.
THRESHOLD = 0.01
SEEDS = list(range(10))
TAIL = 500  # In [6]'s convergence check: how much the loss still falls over the last updates
CONFIDENT = 0.9  # an output more than this away from its label is confidently wrong
# The run the lab prescribes: 2500 full-batch steps with learning rate 0.25.
BASE = {"hidden": [8], "lr": 0.25, "init": "glorot_uniform", "epochs": 2500, "seed": 0,
        "threshold": THRESHOLD, "grid": GRID}
DATA = {"starts": 10}
# The untrained network is cheap: many seeds show what Glorot's rule does, not what one draw did.
UNTRAINED = {"hidden": [8], "init": "glorot_uniform", "grid": GRID, "seeds": list(range(20))}
SEEDED = {key: value for key, value in BASE.items() if key != "seed"} | {"seeds": SEEDS}
LINEAR = SEEDED | {"hidden": []}
GRADCHECK = {"hiddens": [[8], [8, 8, 8]], "seed": 0}
# The lab's suggested variations: each changes one setting of BASE (name: [key, values]).
SWEEPS = {"depth": ["hidden", [[8], [8, 8], [8, 8, 8], [8, 8, 8, 8]]],
          "width": ["hidden", [[2], [4], [8], [32]]],
          "lr": ["lr", [0.01, 0.05, 0.25, 1.0, 4.0, 16.0, 64.0]],
          "init": ["init", ["zeros", "normal(0.01)", "glorot_uniform", "normal(1)", "normal(10)"]]}


def run_data(config: dict) -> dict[str, Any]:
    """The five points: their symmetries, and what a linear model can do with them."""
    return diag.linear_baseline(X, LABELS, config["starts"]) | {
        "symmetries": square_symmetries(X, LABELS)}


def _net(config: dict, seed: int) -> NeuralNetwork:
    return NeuralNetwork(2, 1, config["hidden"], seed=seed, init=by_name(config["init"]))


def run_untrained(config: dict) -> dict[str, Any]:
    """Untrained networks' outputs over the square, for many seeds."""
    return {"seeds": config["seeds"],
            "runs": [_state(_net(config, seed).net, config) for seed in config["seeds"]]}


def _state(net: Net, config: dict) -> dict[str, Any]:
    """`snapshot` of the net on the points and over the square (grid[row, col] at (axis[col],
    axis[row])), with the hidden layers' saturation and the largest weight or bias but the
    output bias (the zero initialisation should leave all of them at 0)."""
    axis, points = square_grid(**config["grid"])
    state = snapshot(net, MSE(), X, Y, points)
    grid = state.pop("grid_out").reshape(len(axis), -1).astype(np.float32)
    return state | {"axis": axis, "grid": grid, "saturated": state["saturated"][:-1],
                    "max_abs_inner": max(float(np.abs(p).max()) for _, p in net.parameters()[:-1])}


def train_one(config: dict) -> dict[str, Any]:
    """The lab's network from `config`, trained on the five points by the lab's `train`."""
    net = _net(config, config["seed"])
    start = _state(net.net, config)
    net, losses = train(X, Y, net, config["epochs"], config["lr"])
    return _state(net.net, config) | {"start": start, "loss": np.append(losses, net.get_loss(X, Y))}


def train_seeds(config: dict) -> list[dict[str, Any]]:
    """The lab's network from `config` for every seed, trained on the five points at once by
    `fit_many` (the lab's `train`, stacked: bit-identical results)."""
    return fit_recorded([_net(config, seed).net for seed in config["seeds"]], MSE(), X, Y,
                        epochs=config["epochs"], lr=config["lr"],
                        probe=lambda net: _state(net, config))


def run_gradcheck(config: dict) -> dict[str, Any]:
    """The lab's backward pass against central differences of its loss, for every parameter."""
    rows = []
    for hidden in config["hiddens"]:
        net = NeuralNetwork(2, 1, hidden, seed=config["seed"])
        net.backward(X, Y)
        # The numeric gradient has its parameter's shape: the lab's own check is against it.
        rows += [{"net": fig.label("hidden", hidden), "shape": c.numeric.shape,
                  "shape_ok": c.analytic.shape == c.numeric.shape, **vars(c)}
                 for c in check_stored(net.net, lambda net=net: net.get_loss(X, Y))]
    return {"rows": rows}


# --- what the template quotes and its claims test -----------------------------------------------

def summarise(variation: dict) -> list[dict[str, Any]]:
    """Per swept value: the seeds' final losses, accuracies and updates to the threshold, the
    diagnostics at the start, and how much their decision regions differ."""
    return [diag.seed_summary(runs, "loss", THRESHOLD, ["acc"]) | {
        "label": NoEscape(fig.label(variation["vary"], value)), "value": value, "runs": runs,
        "saturated": np.array([np.mean(run["start"]["saturated"] or [0.0]) for run in runs]),
        "grad_W1": np.array([run["start"]["grads"]["W1"] for run in runs]),
        "disagreement": diag.disagreement([run["grid"] > 0.5 for run in runs]),
        "start_disagreement": diag.disagreement([run["start"]["grid"] > 0.5 for run in runs])}
        for value, runs in zip(variation["values"], variation["runs"], strict=True)]


# Every table of a sweep: the swept value, the sweep's own columns, then these.
LABEL = {"network": lambda row: row["label"]}
SEED_COLUMNS = seed_columns(NoEscape(rf"updates to $\mathcal{{L}} < {THRESHOLD:g}$"))


def context_network(r: dict[str, Any]) -> dict[str, Any]:
    """The data, the untrained and the prescribed run, and the gradient check."""
    from derivations.backprop import WIDTHS  # SymPy: only when the page is rendered

    base, checks, runs = r["base"], r["gradcheck"]["rows"], r["untrained"]["runs"]
    corner = np.abs(X).min(axis=1) > 1
    spread = [float(np.max(np.abs(run["grid"] - 0.5))) for run in runs]
    shown = r["untrained"]["seeds"].index(BASE["seed"])
    grid, mid = base["grid"], base["grid"].shape[0] // 2  # grid[row, col]: (axis[col], axis[row])
    start, centre = base["start"]["out"], X[~corner][0]
    return {
        "checks": checks, "n_points": len(Y),
        "worst_rel_error": max(c["rel_error"] for c in checks),
        "checks_agree": all(c["shape_ok"] for c in checks),
        "corners": {label: sorted(tuple(np.sign(p)) for p in X[corner & (LABELS == label)])
                    for label in (0, 1)},
        # its distance from the centre, and from the midpoint of the two class-1 corners
        "centre": {"n": int(np.sum(~corner)), "label": LABELS[~corner][0],
                   "radius": float(np.linalg.norm(centre)),
                   "to_mid": float(np.linalg.norm(centre - X[LABELS == 1].mean(axis=0)))},
        "linear": summarise({"vary": "hidden", "values": [[]], "runs": [r["linear"]]})[0],
        "start_margin": float(np.max(np.abs(start - 0.5))),
        "start_spread": float(np.max(np.abs(base["start"]["grid"] - 0.5))),
        # How far each seed's output strays from 0.5 over the square; its largest logit.
        "untrained": {"grid": diag.seed_spread(spread), "logit": diag.seed_spread(
            [float(np.max(np.abs(np.log(run["grid"] / (1 - run["grid"]))))) for run in runs])},
        "untrained_rank": sum(s < spread[shown] for s in spread),  # seeds flatter than shown
        "base_settled": diag.first_below(base["loss"], THRESHOLD),
        "trained_margin": float(np.max(np.abs(base["out"] - LABELS))),
        "trained_corners": min(grid[-1, 0], grid[0, -1]) > 0.5 > max(grid[0, 0], grid[-1, -1]),
        "trained_centre": grid[mid, mid] < 0.5,
        "tail_drop": base["loss"][-TAIL - 1] - base["loss"][-1],
        "base_label": fig.label("hidden", BASE["hidden"]),
        "backprop_net": "-".join(map(str, WIDTHS)),
        "points_table": table(
            [NoEscape("$x_1$"), NoEscape("$x_2$"), "label", "output before training",
             "output after training"],
            [[num(a, 1), num(b, 1), int(label), num(s, 4), num(o, 4)] for (a, b), label, s, o
             in zip(X, LABELS, start, base["out"], strict=True)], "SScSS"),
        "grad_table": gradcheck_records_table(
            checks, {"network": "net", "parameter": "name", "shape": "shape"}),
    }


def context_variations(rows: dict[str, list[dict]]) -> dict[str, Any]:
    """Depth, width, learning rate and initialisation: the comparisons the text makes."""
    depth, width, lr = rows["depth"], rows["width"], rows["lr"]
    law = diag.inverse_law([row["value"] for row in lr],
                           [row["settled"] if row["all_settled"] else None for row in lr])
    big = lr[law["stable"][-1] + 1:]  # the rates above those at which every seed settles
    init = {row["value"]: row for row in rows["init"]}
    mean_y = float(LABELS.mean())
    arch = diag.sweep_trends({"depth": depth, "width": width},
                             ("final", "settled", "disagreement"))
    disagree = {"seeds disagree on": lambda row: pct(row["disagreement"])}
    # Every (architecture, seed) run of both sweeps once (2-8-1 is in both), and those that
    # never get their loss below the threshold.
    runs = {(row["label"], seed): run for row in depth + width
            for seed, run in zip(SEEDS, row["runs"], strict=True)}
    return {
        "all_classified": all(bool(np.all(row["acc"] == 1)) for row in depth + width),
        "n_arch_runs": len(runs),
        "unsettled": [{"label": label, "seed": seed, "loss": run["loss"][-1], "acc": run["acc"]}
                      for (label, seed), run in runs.items()
                      if diag.first_below(run["loss"], THRESHOLD) is None],
        "min_disagreement": min(arch["mean"]["disagreement"]["depth"]
                                + arch["mean"]["disagreement"]["width"]),
        "arch": arch, "depth_units": sorted({n for row in depth for n in row["value"]}),
        "depth_table": records_table(depth, LABEL | disagree | SEED_COLUMNS),
        "width_table": records_table(width, LABEL | disagree | SEED_COLUMNS),
        "lr_stable": [lr[k] for k in law["stable"]], "lr_law": law, "lr_big": big,
        "lr_stuck": diag.wrong_outputs([run["out"] for row in big for run in row["runs"]],
                                       LABELS, CONFIDENT),
        "lr_table": records_table(lr, {"learning rate": LABEL["network"], NoEscape(
            r"rate $\times$ updates"): lambda row: num(row["value"] * row["settled"].mean(), 0)
            if row["all_settled"] else "--"} | SEED_COLUMNS),
        "zero": init["zeros"], "tiny": init["normal(0.01)"], "glorot": init["glorot_uniform"],
        "n1": init["normal(1)"], "large": init["normal(10)"], "mean_y": mean_y,
        # From zeros nothing but the output bias moves: the output stays the mean label.
        "zero_stuck": all(run["max_abs_inner"] == 0 and float(np.ptp(run["grid"])) < 1e-6
                          and abs(run["loss"][-1] - mean_y * (1 - mean_y)) < 1e-4
                          and abs(float(run["grid"][0, 0]) - mean_y) < 1e-2
                          for run in init["zeros"]["runs"]),
        "large_stuck": diag.wrong_outputs([run["out"] for run in init["normal(10)"]["runs"]],
                                          LABELS, CONFIDENT),
        "init_table": records_table(rows["init"], {
            "weights": LABEL["network"], "saturated": lambda row: pct(row["saturated"].mean(), 0),
            NoEscape(r"$\lVert\nabla_{W^{(1)}}\mathcal{L}\rVert_0$"):
            lambda row: num(row["grad_W1"].mean(), 2, sci=True)} | SEED_COLUMNS),
    }


def context(r: dict[str, Any]) -> dict[str, Any]:
    rows = {name: summarise(r[name]) for name in SWEEPS}
    return (context_network(r) | rows | context_variations(rows)
            | {"seeds": SEEDS, "n_seeds": len(SEEDS), "shown_seeds": fig.SHOWN_SEEDS,
               "tail": TAIL, "threshold": THRESHOLD, "confident": CONFIDENT})


REPORT = Report(
    id="lab4-backprop",
    cold_seconds=8,  # the cold build of 2026-12-02 on 2 cores (bench/build_speed.py)
    title="Lab 4: Back-propagation",
    template="lab4-backprop.tex.j2",
    experiments=tuple(Experiment(name, fn, config, data=("five_points",), what=what)
                      for name, fn, config, what in (
        ("data", run_data, DATA, None), ("untrained", run_untrained, UNTRAINED, None),
        ("base", train_one, BASE, None), ("linear", train_seeds, LINEAR, None),
        ("gradcheck", run_gradcheck, GRADCHECK, None),
        # BASE's own point, in every variation, is trained once (per-point cache).
        *((name, partial(vary_one, train_seeds), SEEDED | {"vary": vary, "values": values},
           "A variation of the lab's: one setting changed to each of several values, every seed")
          for name, (vary, values) in SWEEPS.items()))),
    figures=tuple(FigureSpec(f"lab4_{name}", fn, needs) for name, fn, needs in (
        ("boundary_start", partial(fig.boundary, start=True), ("base",)),
        ("loss_curve", fig.loss_curve, ("base",)), ("lr_speed", fig.lr_speed, ("lr",)),
        ("boundary_trained", fig.boundary, ("base",)),
        *((f"{name}_boundaries", fig.boundaries, (name,)) for name in ("depth", "width", "init")),
        ("arch_curves", fig.arch_curves, ("depth", "width")),
        ("init_curves", fig.init_curves, ("init",)))),
    context=context,
)
