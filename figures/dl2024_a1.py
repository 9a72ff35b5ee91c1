"""Figures of dl2024-a1 that dl2023-a1 has no counterpart for; each draws one figure from results.

The §1.1 paths, the activations and the digit strip are dl2023's figure functions, reused as
they are (report/assignments/dl2024_a1.py names them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import PALETTE, accuracy_heatmap, mean_band, new_figure, save
from model.optim2d import f
from model.runstats import curves

ARCH_COLOURS = ("C0", "C1", "C2", "C3")


def gd_bounce(r: dict, out: Path) -> None:
    """§1.1 (f): step size 0.2 crosses into the global basin, then bounces across it forever."""
    run, minima = r["gd_bounce"], r["minima"]["minima"]
    best = minima[0]
    fig, (left, right) = new_figure(2, height=2.8, layout="constrained")
    xx, yy = np.meshgrid(np.linspace(-2.0, -0.2, 241), np.linspace(-0.4, 1.4, 241))
    zz = f(xx, yy)
    levels = np.linspace(zz.min(), zz.min() + 3, 25)
    filled = left.contourf(xx, yy, zz, levels, cmap="viridis", extend="max")
    left.contour(xx, yy, zz, levels, colors="black", linewidths=0.2, alpha=0.4)
    ticks = np.arange(np.ceil(zz.min() * 2) / 2, zz.min() + 3, 0.5)
    fig.colorbar(filled, ax=left, fraction=0.046, pad=0.03, label="f(x, y)", ticks=ticks)
    xs, ys = np.array(run["x_hist"]), np.array(run["y_hist"])
    inside = (xs > -2.0) & (xs < -0.2)
    left.plot(xs[inside], ys[inside], ".-", color=PALETTE["red"], lw=0.6, markersize=3,
              label="path")
    left.plot(xs[-2:], ys[-2:], "o", color=PALETTE["green"], markeredgecolor="black",
              label="last two points")
    left.plot(best["x"], best["y"], marker="*", color="white", markersize=12,
              markeredgecolor="black", linestyle="none", label="global minimum")
    left.set_xlim(-2.0, -0.2)
    left.set_ylim(-0.4, 1.4)
    left.set_aspect("equal")
    left.grid(False)
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.set_title("the global basin, zoomed in")
    left.legend(loc="upper right", fontsize=7, framealpha=0.9)
    steps = np.arange(len(run["f_hist"]))
    right.plot(steps, run["f_hist"], ".-", color=PALETTE["red"], lw=0.6, markersize=2,
               label="f after each step")
    right.axhline(best["f"], color="black", ls="--", lw=0.8, label="global minimum")
    right.set_xscale("symlog", linthresh=10)
    right.set_xlim(0, steps[-1])
    right.set_ylim(best["f"] - 0.3, 2)
    right.set_xlabel("step")
    right.set_ylabel("f")
    right.set_title("f never falls below the cycle's values")
    right.legend()
    fig.get_layout_engine().set(wspace=0.12)
    save(fig, out)


def schedules(r: dict, out: Path) -> None:
    """§1.1 (g): the intended decay against a compounded one, same eta_0 and d."""
    runs, best = r["schedules"], r["minima"]["minima"][0]
    fig, (left, right) = new_figure(2, height=2.5, layout="constrained")
    styles = {"intended": (PALETTE["blue"], r"$\eta_0 d^t$"),
              "compounded": (PALETTE["red"], r"$\eta_0 d^{t(t+1)/2}$")}
    for key, (colour, label) in styles.items():
        run = runs[key]
        left.semilogy(np.arange(len(run["etas"])), run["etas"], ".-", color=colour, label=label)
        right.semilogy(np.array(run["f_hist"]) - best["f"], ".-", color=colour, label=label,
                       markersize=3)
    left.set_xlabel("step t")
    left.set_ylabel("step size")
    left.set_title("step size per step")
    left.legend()
    right.set_xlabel("step")
    right.set_ylabel("f - global minimum")
    right.set_title("distance from the global minimum")
    right.legend()
    save(fig, out)


def he_scale(r: dict, out: Path) -> None:
    """§1.5 (b): the sample std of make_layer's weights against sqrt(2/d1), and a histogram."""
    run = r["he_scale"]
    d0, d1, d1s = run["d0"], run["hist_d1"], np.array(run["d1s"], dtype=float)
    fig, (left, right) = new_figure(2, height=2.6, layout="constrained")
    grid = np.geomspace(d1s.min(), d1s.max(), 100)
    left.loglog(grid, np.sqrt(2 / grid), color="black", lw=1, label="sqrt(2 / d1)")
    left.loglog(grid, 2 / grid, color=PALETTE["red"], ls="--", lw=1, label="2 / d1 used as the std")
    left.loglog(d1s, run["stds"], "o", color=PALETTE["blue"], label="make_layer, sample std")
    left.set(xlabel="output width d1", ylabel="standard deviation of w",
             title=f"std of the weights (d0 = {d0})")
    edges = np.array(run["edges"])
    centres, var = (edges[:-1] + edges[1:]) / 2, 2 / d1
    right.bar(centres, run["hist"], width=np.diff(edges), color=PALETTE["blue"], alpha=0.6,
              label=f"make_layer({d0}, {d1})")
    right.plot(centres, np.exp(-centres**2 / (2 * var)) / np.sqrt(2 * np.pi * var),
               color="black", lw=1, label=f"N(0, {var:g}) density")
    right.set(xlabel="w", ylabel="density", title=f"d1 = {d1}: variance 2/d1 = {var:g}")
    for ax in (left, right):
        ax.legend(fontsize=7)
    save(fig, out)


def sweep_heatmap(r: dict, out: Path) -> None:
    """§1.6 (d)/(e): mean final validation accuracy over learning rate x minibatch size."""
    accuracy_heatmap(r["sweep"], "val_acc", "validation accuracy", out)


def curves_tuned(r: dict, out: Path) -> None:
    """§1.6 (d)/(e): learning curves of the tuned 64-32-1 network over its seeds."""
    runs = r["variants"]["64-32-1"]
    fig, axes = new_figure(2, height=2.5, layout="constrained")
    for ax, key, title in zip(axes, ("loss", "acc"), ("BCE loss", "accuracy"), strict=True):
        mean_band(ax, curves(runs, f"train_{key}"), "training", color=PALETTE["blue"])
        mean_band(ax, curves(runs, f"val_{key}"), "validation", color=PALETTE["green"], ls="--")
        ax.set(title=title, xlabel="epoch")
        ax.legend(fontsize=7)
    axes[0].set_yscale("log")
    axes[1].set_ylim(0.85, 1.005)
    save(fig, out)


def curves_variants(r: dict, out: Path) -> None:
    """§1.6 (f)-(k): training and validation curves of every network, mean and range over seeds."""
    fig, axes = new_figure(2, 2, height=2.3, sharex=True, sharey="row", layout="constrained")
    for (arch, runs), colour in zip(r["variants"].items(), ARCH_COLOURS, strict=True):
        for col, phase in enumerate(("train", "val")):
            for row, key in enumerate(("loss", "acc")):
                mean_band(axes[row, col], curves(runs, f"{phase}_{key}"), arch, color=colour)
    for col, phase in enumerate(("training", "validation")):
        axes[0, col].set(title=f"{phase} BCE loss", yscale="log")
        axes[1, col].set(title=f"{phase} accuracy", ylim=(0.8, 1.005), xlabel="epoch")
    axes[1, 1].legend(loc="lower right", fontsize=7)
    save(fig, out)
