"""Figures of dl2024-a1 beyond the core's; each draws one figure from recorded results.

The §1.1 paths, the activations and the digit strip are `figures.common`'s, as dl2023-a1's are
(report/assignments/dl2024_a1.py names them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures import common
from model.optim2d import f


def gd_bounce(r: dict, out: Path) -> None:
    """§1.1 (f): step size 0.2 crosses into the global basin, then bounces across it forever."""
    best = r["minima"]["minima"][0]
    common.descent_figure(out, f, r["minima"]["minima"], [r["gd_bounce"]],
                   titles=["the global basin, zoomed in", "f never falls below the cycle's values"],
                   view=((-2.0, -0.2), (-0.4, 1.4)), top=best["f"] + 3, last=2, linthresh=10,
                   ylim=(best["f"] - 0.3, 2))


def schedules(r: dict, out: Path) -> None:
    """§1.1 (g): the intended decay against a compounded one, same eta_0 and d."""
    common.schedules_figure(out, {r"$\eta_0 d^t$": r["schedules"]["intended"],
                                  r"$\eta_0 d^{t(t+1)/2}$": r["schedules"]["compounded"]},
                            r["minima"]["minima"][0]["f"])


def he_scale(r: dict, out: Path) -> None:
    """§1.5 (b): the sample std of make_layer's weights against sqrt(2/d1), and a histogram."""
    run = r["he"]["scale"]
    d0, d1, d1s = run["d0"], run["hist_d1"], np.array(run["d1s"], dtype=float)
    fig, (left, right) = common.new_figure(2, height=2.6, layout="constrained")
    grid = np.geomspace(d1s.min(), d1s.max(), 100)
    left.loglog(grid, np.sqrt(2 / grid), color="black", lw=1, label="sqrt(2 / d1)")
    left.loglog(grid, 2 / grid, color=common.PALETTE["red"], ls="--", lw=1,
                label="2 / d1 used as the std")
    left.loglog(d1s, run["stds"], "o", color=common.PALETTE["blue"],
                label="make_layer, sample std")
    left.set(xlabel="output width d1", ylabel="standard deviation of w",
             title=f"std of the weights (d0 = {d0})")
    common.histogram_vs_normal(right, run["hist"], run["edges"], 2 / d1, f"make_layer({d0}, {d1})")
    right.set(xlabel="w", ylabel="density", title=f"d1 = {d1}: variance 2/d1 = {2 / d1:g}")
    for ax in (left, right):
        ax.legend(fontsize=7)
    common.save(fig, out)

