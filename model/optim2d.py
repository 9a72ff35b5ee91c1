"""Gradient descent on the two-variable test function of dl2023/dl2024 §1.1.

f(x, y) = x^2 + y^2 + x (y + 2) + cos(3x) has several local minima, which is what makes the
step size and its decay schedule eta_t = eta_0 d^t matter. Beside the descent itself, the runs
both reports' §1.1 record (one path, a grid of step sizes x steps, all minima with their
Hessian bounds) and what their answers read off them (nearest minimum, how a path ends).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def f(x, y):
    """f(x, y) = x^2 + y^2 + x (y + 2) + cos 3x; works on scalars and arrays alike."""
    return x**2 + y**2 + x * (y + 2) + np.cos(3 * x)


def grad_x_f(x, y):
    """df/dx = 2x - 3 sin 3x + y + 2."""
    return 2 * x - 3 * np.sin(3 * x) + y + 2


def grad_y_f(x, y):
    """df/dy = x + 2y."""
    return x + 2 * y


def grad_f(p: np.ndarray) -> np.ndarray:
    """The gradient (df/dx, df/dy) at p = (x, y), as scipy.optimize takes it."""
    return np.array([grad_x_f(*p), grad_y_f(*p)])


def optimize_f(
    x: float, y: float, step_size: float, steps: int, decay: float = 1.0
) -> tuple[float, float, float, list[float], list[float]]:
    """Run `steps` gradient-descent updates on f from (x, y).

    Step t (counting from 0) moves by eta_t = step_size * decay**t times the gradient, so
    decay = 1 is plain gradient descent.

    Returns the final x, y, f(x, y) and the histories of x and y (steps + 1 points each).
    """
    x_hist, y_hist = [x], [y]
    for t in range(steps):
        eta = step_size * decay**t
        dx, dy = grad_x_f(x, y), grad_y_f(x, y)
        x, y = x - eta * dx, y - eta * dy
        x_hist.append(x)
        y_hist.append(y)
    return x, y, f(x, y), x_hist, y_hist


def descend(x: float, y: float, etas: np.ndarray) -> dict[str, Any]:
    """Gradient descent on f from (x, y) with step size etas[t] in step t; the whole path."""
    xs, ys = [x], [y]
    for eta in etas:
        x, y = optimize_f(x, y, float(eta), 1)[:2]
        xs.append(x)
        ys.append(y)
    return {"x": x, "y": y, "f": float(f(x, y)), "x_hist": xs, "y_hist": ys, "etas": etas,
            "f_hist": [float(f(a, b)) for a, b in zip(xs, ys, strict=True)]}


# --- runs and how they end: the vocabulary of the §1.1 answers of dl2023 and dl2024 ------------


def run_gd(config: dict) -> dict[str, Any]:
    """One gradient-descent run on f, with its whole path.

    `optimize_f` from config x, y with its step_size, steps and decay. Returns the final x,
    y and f, the histories x_hist, y_hist and f_hist (steps + 1 points), and the config's
    step_size, steps and decay, so a figure can title the run by itself.
    """
    x, y, value, xs, ys = optimize_f(config["x"], config["y"], config["step_size"],
                                     config["steps"], config["decay"])
    return {"x": x, "y": y, "f": float(value), "x_hist": xs, "y_hist": ys,
            "f_hist": [float(f(a, b)) for a, b in zip(xs, ys, strict=True)],
            "step_size": config["step_size"], "steps": config["steps"], "decay": config["decay"]}


def path_end(xs: list[float], ys: list[float], max_period: int = 8) -> dict[str, Any]:
    """How a path ends: `period` it repeats with (1 = converged, None = neither), the `cycle`'s
    points (or None), and whether it `diverged`."""
    from model.diagnostics import detect_cycle, detect_divergence

    path = np.column_stack([xs, ys])
    cycle = detect_cycle(path, max_period=max_period)
    return {"period": cycle.period if cycle else None, "cycle": cycle.points if cycle else None,
            "diverged": detect_divergence(path) is not None}


def run_gd_grid(config: dict) -> dict[str, Any]:
    """Final f for every step size and number of steps of a grid, and the best run in full.

    The runs start at config x, y. `final_f` is (step sizes, steps), NaN where a run
    overflowed; `ends` says how the longest run of each step size ends (`path_end`, plus its
    step_size and final x, y).
    """
    final = np.empty((len(config["step_sizes"]), len(config["steps"])))
    ends = []
    with np.errstate(over="ignore", invalid="ignore"):
        for i, eta in enumerate(config["step_sizes"]):
            for j, steps in enumerate(config["steps"]):
                *_, final[i, j], xs, ys = optimize_f(config["x"], config["y"], eta, steps)
            ends.append({"step_size": eta, "x": xs[-1], "y": ys[-1]} | path_end(xs, ys))
    i, j = np.unravel_index(np.nanargmin(final), final.shape)
    best = {"x": config["x"], "y": config["y"], "step_size": config["step_sizes"][i],
            "steps": config["steps"][j], "decay": 1.0}
    return {"step_sizes": config["step_sizes"], "steps": config["steps"], "final_f": final,
            "best_config": best, "best": run_gd(best), "ends": ends}


def run_gd_compare(config: dict) -> dict[str, Any]:
    """Paths for a few step sizes side by side.

    `run_gd` for each of config step_sizes (same start and steps), keyed by str(step size).
    """
    return {str(eta): run_gd({"x": config["x"], "y": config["y"], "step_size": eta,
                              "steps": config["steps"], "decay": 1.0})
            for eta in config["step_sizes"]}


def find_minima(config: dict) -> dict[str, Any]:
    """All local minima of f in a box, by BFGS (with f's exact gradient) from a grid of starts;
    the lowest is global.

    The box is [-box, box]^2, the starts a starts_per_axis^2 grid. Sorted by f (the first is
    the global minimum); each holds x, y, f, the exact Hessian's `eigenvalues` (ascending) and
    its stability `bound` 2 / lambda_max.
    """
    import scipy.optimize

    from derivations import gd2d
    from model.diagnostics import hessian_eigenvalues, stability_bound

    axis = np.linspace(-config["box"], config["box"], config["starts_per_axis"])
    found: list[tuple[float, float, float]] = []
    for x0 in axis:
        for y0 in axis:
            res = scipy.optimize.minimize(lambda p: f(*p), [x0, y0], method="BFGS", jac=grad_f)
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


def nearest_minimum(minima: list[dict], x: float, y: float) -> int:
    """Index in `minima` (from `find_minima`) of the minimum closest to (x, y); 0 is global."""
    return int(np.argmin([np.hypot(x - m["x"], y - m["y"]) for m in minima]))


def grid_ends(grid: dict, minima: list[dict]) -> dict[float, dict]:
    """For each step size of `run_gd_grid`: how its longest run ends, and against the minima.

    Adds to each end `near` (the index of the minimum it converges to or cycles around, None
    if its points are near different minima), its final `f`, `above` (per minimum: is the step
    size above its bound 2 / lambda_max?) and `above_all`.
    """
    ends = {}
    for end in grid["ends"]:
        near = {nearest_minimum(minima, *p) for p in end["cycle"] or [[end["x"], end["y"]]]}
        above = [m["bound"] < end["step_size"] for m in minima]
        ends[end["step_size"]] = end | {"near": near.pop() if len(near) == 1 else None,
                                        "f": float(f(end["x"], end["y"])), "above": above,
                                        "above_all": all(above)}
    return ends


def grid_reached(grid: dict, target: float, tol: float = 1e-3) -> list[tuple[float, int]]:
    """The (step size, steps) of `run_gd_grid` whose final f is within `tol` of `target`."""
    return [(eta, steps) for i, eta in enumerate(grid["step_sizes"])
            for j, steps in enumerate(grid["steps"]) if abs(grid["final_f"][i, j] - target) < tol]


def decay_facts(run: dict, minima: list[dict]) -> dict[str, int | None]:
    """For a decaying `run_gd` run: `stable_from`, the first step t whose step size
    step_size * decay^t is below the global minimum's bound, and `in_basin_from`, the step from
    which every point of the path is closer to the global minimum than to any other.
    `stable_from` is None when no step of the run is below the bound."""
    bound = minima[0]["bound"]
    t = next((t for t in range(run["steps"]) if run["step_size"] * run["decay"] ** t < bound),
             None)
    near = [nearest_minimum(minima, a, b) for a, b in zip(run["x_hist"], run["y_hist"],
                                                          strict=True)]
    outside = [k for k, n in enumerate(near) if n != 0]
    return {"stable_from": t, "in_basin_from": outside[-1] + 1 if outside else 0}


def run_end(run: dict, minima: list[dict], tail: int = 2) -> dict[str, Any]:
    """How one `run_gd` (or `descend`) run ends against the minima of `find_minima`: `path_end`'s
    period, cycle and divergence, `near` (the minimum closest to its last point), its final f
    as `end`, the `low` and `high` of f over its last `tail` points (a cycle's range), and the
    gradient's norm `grad` at its last point (far from 0 when it has not converged)."""
    x, y, last = run["x"], run["y"], run["f_hist"][-tail:]
    return path_end(run["x_hist"], run["y_hist"]) | {
        "near": minima[nearest_minimum(minima, x, y)], "end": run["f"], "low": min(last),
        "high": max(last), "grad": float(np.hypot(grad_x_f(x, y), grad_y_f(x, y)))}


# --- what the §1.1 answers read off the grid and one prescribed run ----------------------------

def grid_summary(grid: dict, minima: list[dict], run: dict) -> dict[str, Any]:
    """The §1.1 facts both reports' answers quote, from a `run_gd_grid` grid, the `find_minima`
    minima and one prescribed `run_gd` run: `global_min`, `minima`, `b_near` (the minimum
    nearest the run's end) and its `local_index`, `reached` (the grid's (step size, steps)
    within 1e-3 of the global minimum) with their sorted step sizes `reached_etas`,
    `smaller_end_local` (every smaller step size's longest run ends within 0.1 of b_near's f)
    and `ends` (`grid_ends`)."""
    local = nearest_minimum(minima, run["x"], run["y"])
    reached = grid_reached(grid, minima[0]["f"])
    etas = sorted({eta for eta, _ in reached})
    smaller = [v for eta, v in zip(grid["step_sizes"], grid["final_f"][:, -1], strict=True)
               if etas and eta < etas[0]]
    return {"global_min": minima[0], "minima": minima, "b_near": minima[local],
            "local_index": local, "reached": reached, "reached_etas": etas,
            "smaller_end_local": all(abs(v - minima[local]["f"]) < 0.1 for v in smaller),
            "ends": grid_ends(grid, minima)}


# --- step-size schedules, for `descend` -----------------------------------------------------

def decayed_steps(step_size: float, decay: float, steps: int) -> np.ndarray:
    """eta_t = step_size * decay^t for t = 0, ..., steps - 1: the schedule `optimize_f` follows."""
    return step_size * decay ** np.arange(steps)


def compounded_steps(step_size: float, decay: float, steps: int) -> np.ndarray:
    """eta_t = step_size * decay^(t (t + 1) / 2): what multiplying the running step size by
    decay^t in every step t gives, a common slip for the intended `decayed_steps`."""
    t = np.arange(steps)
    return step_size * decay ** (t * (t + 1) / 2)
