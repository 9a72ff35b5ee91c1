"""Figures of dl2023-a1; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import new_figure, save
from model.optim2d import f


def _contours(ax, minima: list[dict], colorbar: bool = True) -> None:
    # The view and colour range follow the paths, so the basins show rather than the rim.
    xx, yy = np.meshgrid(np.linspace(-3, 4, 281), np.linspace(-2.5, 3, 221))
    zz = f(xx, yy)
    levels = np.linspace(zz.min(), 25, 31)
    filled = ax.contourf(xx, yy, zz, levels, cmap="viridis", extend="max")
    ax.contour(xx, yy, zz, levels, colors="black", linewidths=0.2, alpha=0.4)
    if colorbar:
        ticks = [0, 5, 10, 15, 20, 25]
        bar = ax.figure.colorbar(filled, ax=ax, fraction=0.046, pad=0.03, ticks=ticks)
        bar.set_label("f(x, y)")
    others = minima[1:]
    ax.plot([m["x"] for m in others], [m["y"] for m in others], "o", color="white",
            markeredgecolor="black", markersize=4, linestyle="none", label="local minima")
    ax.plot(minima[0]["x"], minima[0]["y"], marker="*", color="white", markersize=11,
            markeredgecolor="black", linestyle="none", label="global minimum")
    ax.set_xlim(-3, 4)
    ax.set_ylim(-2.5, 3)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.grid(False)


def _path_and_curve(run: dict, minima: list[dict], title: str, out: Path) -> None:
    fig, (left, right) = new_figure(2, height=2.8, layout="constrained")
    _contours(left, minima)
    left.plot(run["x_hist"], run["y_hist"], ".-", color="tab:red", markersize=4, lw=1,
              label="path")
    left.plot(run["x_hist"][0], run["y_hist"][0], "o", color="tab:red", label="start")
    left.legend(loc="lower left", framealpha=0.9, fontsize=7)
    left.set_title(title)
    right.plot(run["f_hist"], ".-", color="tab:red", markersize=4)
    right.axhline(minima[0]["f"], color="black", ls="--", lw=0.8, label="global minimum")
    right.set_xlabel("step")
    right.set_ylabel("f")
    right.set_title(f"final f = {run['f']:.4f}")
    right.legend()
    save(fig, out)


def gd_path_b(r: dict, out: Path) -> None:
    """§1.1 (b): the prescribed run on the contours, and its learning curve."""
    _path_and_curve(r["gd_b"], r["minima"]["minima"], "step 0.1, 10 steps", out)


def gd_path_d(r: dict, out: Path) -> None:
    """§1.1 (d): the best run of the tuning grid."""
    best = r["gd_grid"]["best_config"]
    title = f"step {best['step_size']}, {best['steps']} steps"
    _path_and_curve(r["gd_grid"]["best"], r["minima"]["minima"], title, out)


def gd_path_decay(r: dict, out: Path) -> None:
    """§1.1 (h): the run with a decaying step size."""
    run = r["gd_decay"]
    _path_and_curve(run, r["minima"]["minima"], "decaying step size", out)


def gd_step_sizes(r: dict, out: Path) -> None:
    """§1.1 (e): paths for a too small, a good and a too large step size, side by side."""
    runs = r["gd_compare"]
    fig, axes = new_figure(len(runs), height=2.2, layout="constrained")
    for ax, (eta, run) in zip(axes, runs.items(), strict=True):
        _contours(ax, r["minima"]["minima"], colorbar=False)
        ax.plot(run["x_hist"], run["y_hist"], ".-", color="tab:red", markersize=3, lw=0.8)
        ax.set_title(f"step {eta}: final f = {run['f']:.3f}")
    save(fig, out)
