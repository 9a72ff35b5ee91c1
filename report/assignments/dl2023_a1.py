"""dl2023-a1: Deep Learning 2023, Assignment 1 (NumPy) — experiment configs and context."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.optimize

from figures import dl2023_a1 as fig
from model.optim2d import f, optimize_f
from report.fragments import table
from report.latex import fmt_num
from report.spec import Experiment, FigureSpec, Report, claim

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
            "f_hist": [float(f(a, b)) for a, b in zip(xs, ys, strict=True)]}


def run_gd_grid(config: dict) -> dict[str, Any]:
    """Final f for every (step size, number of steps) of the tuning grid."""
    final = np.empty((len(config["step_sizes"]), len(config["steps"])))
    with np.errstate(over="ignore", invalid="ignore"):
        for i, eta in enumerate(config["step_sizes"]):
            for j, steps in enumerate(config["steps"]):
                final[i, j] = optimize_f(config["x"], config["y"], eta, steps)[2]
    i, j = np.unravel_index(np.nanargmin(final), final.shape)
    best = {"x": config["x"], "y": config["y"], "step_size": config["step_sizes"][i],
            "steps": config["steps"][j], "decay": 1.0}
    return {"step_sizes": config["step_sizes"], "steps": config["steps"], "final_f": final,
            "best_config": best, "best": run_gd(best)}


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
    return {"minima": [{"x": x, "y": y, "f": v} for x, y, v in found]}


def _cell(value: float):
    """A table cell: the number, or a word for a run that overflowed."""
    return fmt_num(value, 4) if np.isfinite(value) else "diverged"


def context(r: dict[str, Any]) -> dict[str, Any]:
    """Values the answers quote, and the claims their sentences make."""
    minima = r["minima"]["minima"]
    best = minima[0]
    b = r["gd_b"]

    def nearest(run: dict) -> dict:
        return min(minima, key=lambda m: np.hypot(run["x"] - m["x"], run["y"] - m["y"]))

    b_near = nearest(b)
    grid = r["gd_grid"]
    final = grid["final_f"]
    reached = [
        (eta, steps) for i, eta in enumerate(grid["step_sizes"])
        for j, steps in enumerate(grid["steps"]) if abs(final[i, j] - best["f"]) < 1e-3
    ]
    small, good, large = (r["gd_compare"][str(eta)] for eta in GD_COMPARE["step_sizes"])
    decay = r["gd_decay"]
    claim(b["f"] - best["f"] > 1, "(c) the prescribed run ends far above the global minimum")
    claim(b_near is not best, "(c) the prescribed run heads for a local, not the global, minimum")
    claim(small["f"] > good["f"] + 1, "(e) a too small step size is still far from a minimum")
    claim(abs(good["f"] - best["f"]) < 1e-3, "(e) the good step size reaches the global minimum")
    claim(large["f"] - best["f"] > 1, "(e) a too large step size does not settle")
    claim(len(reached) > 0, "(f) some fixed step size in the grid reaches the global minimum")
    claim(decay["f"] < -2, "(h) the decayed run gets below -2")
    etas = sorted({eta for eta, _ in reached})
    last = final[:, -1]
    for i, eta in enumerate(grid["step_sizes"]):
        if eta < etas[0]:
            claim(abs(last[i] - b_near["f"]) < 0.1,
                  f"(f) step size {eta} ends in or near the local minimum")
        elif eta > etas[-1]:
            claim(not abs(last[i] - best["f"]) < 0.1,
                  f"(f) step size {eta} does not end in the global minimum")
    return {
        "global_min": best,
        "minima": minima,
        "b_near": b_near,
        "reached": reached,
        "reached_etas": etas,
        "grid_best": grid["best_config"] | {"f": grid["best"]["f"]},
        "compare": {"small": small, "good": good, "large": large},
        "compare_sizes": GD_COMPARE["step_sizes"],
        "grid_table": table(
            ["step size / steps", *grid["steps"]],
            [[eta, *(_cell(v) for v in row)]
             for eta, row in zip(grid["step_sizes"], final, strict=True)],
        ),
    }


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
    ),
    figures=(
        FigureSpec("gd_path_b", fig.gd_path_b, ("gd_b", "minima")),
        FigureSpec("gd_path_d", fig.gd_path_d, ("gd_grid", "minima")),
        FigureSpec("gd_step_sizes", fig.gd_step_sizes, ("gd_compare", "minima")),
        FigureSpec("gd_path_decay", fig.gd_path_decay, ("gd_decay", "minima")),
    ),
    context=context,
)
