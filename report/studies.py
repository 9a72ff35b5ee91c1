"""Studies several reports run the same way: §1.1's gradient descent on `model.optim2d.f`
(dl2023-a1, dl2024-a1), as its experiments, the figures drawn from them and the facts the
answers quote. A report adds its own runs beside them."""

from __future__ import annotations

from typing import Any

from figures import studies
from model import optim2d
from report.fragments import matrix_table
from report.spec import Experiment, FigureSpec


def descent_experiments(b: dict, grid: dict, compare: dict, decay: dict, minima: dict
                        ) -> tuple[Experiment, ...]:
    """The descent study's runs from their configs: the prescribed run `gd_b` (`run_gd`), the
    grid of step sizes x steps `gd_grid`, the too small, good and too large step sizes
    `gd_compare`, the decaying step size `gd_decay`, and the minima of f they are read
    against, `minima` (`find_minima`)."""
    return (Experiment("gd_b", optim2d.run_gd, b),
            Experiment("gd_grid", optim2d.run_gd_grid, grid),
            Experiment("gd_compare", optim2d.run_gd_compare, compare),
            Experiment("gd_decay", optim2d.run_gd, decay),
            Experiment("minima", optim2d.find_minima, minima))


def descent_figures(prefix: str = "") -> tuple[FigureSpec, ...]:
    """The figures of `descent_experiments`, named `prefix` + gd_path_b, gd_path_d (the grid's
    best run), gd_step_sizes (the three of gd_compare) and gd_path_decay."""
    return tuple(FigureSpec(prefix + name, fn, (run, "minima")) for name, fn, run in (
        ("gd_path_b", studies.gd_path, "gd_b"), ("gd_path_d", studies.gd_path, "gd_grid"),
        ("gd_step_sizes", studies.gd_step_sizes, "gd_compare"),
        ("gd_path_decay", studies.gd_path, "gd_decay")))


def descent_context(r: dict[str, Any]) -> dict[str, Any]:
    """What both reports quote of the study: `optim2d.grid_summary` of the grid and run (b),
    the `compare` runs named small, good and large, and the grid's final f as `grid_table`."""
    grid, minima = r["gd_grid"], r["minima"]["minima"]
    return optim2d.grid_summary(grid, minima, r["gd_b"]) | {
        "compare": dict(zip(("small", "good", "large"), r["gd_compare"].values(), strict=True)),
        "grid_table": matrix_table("step size / steps", grid["step_sizes"], grid["steps"],
                                   grid["final_f"]),
    }
