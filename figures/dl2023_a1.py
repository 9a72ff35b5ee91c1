"""Figures of dl2023-a1; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import PALETTE, accuracy_heatmap, image_strip, new_figure, save, tex_num
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
    left.plot(run["x_hist"], run["y_hist"], ".-", color=PALETTE["red"], markersize=4, lw=1,
              label="path")
    left.plot(run["x_hist"][0], run["y_hist"][0], "o", color=PALETTE["red"], label="start")
    left.legend(loc="lower left", framealpha=0.9, fontsize=7)
    left.set_title(title)
    steps = np.arange(len(run["f_hist"]))
    right.plot(steps, run["f_hist"], ".-", color=PALETTE["red"], markersize=4)
    if len(steps) > 100:  # a long run's first steps, where f falls, would be squeezed to the axis
        right.set_xscale("symlog", linthresh=1)
    right.axhline(minima[0]["f"], color="black", ls="--", lw=0.8, label="global minimum")
    right.set_xlabel("step")
    right.set_ylabel("f")
    right.set_title(f"final $f = {run['f']:.4f}$")
    right.legend()
    save(fig, out)


def gd_path_b(r: dict, out: Path) -> None:
    """§1.1 (b): the prescribed run on the contours, and its learning curve."""
    run = r["gd_b"]
    _path_and_curve(run, r["minima"]["minima"], f"step {run['step_size']}, {run['steps']} steps",
                    out)


def gd_path_d(r: dict, out: Path) -> None:
    """§1.1 (d): the best run of the tuning grid."""
    best = r["gd_grid"]["best_config"]
    title = f"step {best['step_size']}, {best['steps']} steps"
    _path_and_curve(r["gd_grid"]["best"], r["minima"]["minima"], title, out)


def gd_path_decay(r: dict, out: Path) -> None:
    """§1.1 (h): the run with a decaying step size."""
    run = r["gd_decay"]
    title = f"decaying step from {run['step_size']}, {run['steps']} steps"
    _path_and_curve(run, r["minima"]["minima"], title, out)


def gd_step_sizes(r: dict, out: Path) -> None:
    """§1.1 (e): paths for a too small, a good and a too large step size, side by side."""
    runs = r["gd_compare"]
    fig, axes = new_figure(len(runs), height=2.2, layout="constrained")
    for ax, (eta, run) in zip(axes, runs.items(), strict=True):
        _contours(ax, r["minima"]["minima"], colorbar=False)
        ax.plot(run["x_hist"], run["y_hist"], ".-", color=PALETTE["red"], markersize=3, lw=0.8)
        ax.set_title(f"step {eta}: final $f = {run['f']:.3f}$")
    save(fig, out)


def fd_eps(r: dict, out: Path) -> None:
    """§1.2 (d): error of finite differences against the step size, on log-log axes."""
    run = r["fd_eps"]
    fig, ax = new_figure(height=2.8)
    ax.loglog(run["eps"], run["central"], ".-", label="central difference", color=PALETTE["blue"])
    ax.loglog(run["eps"], run["forward"], ".-", label="forward difference", color=PALETTE["green"],
              alpha=0.7)
    best = int(np.argmin(run["central"]))
    ax.plot(run["eps"][best], run["central"][best], "o", mfc="none", ms=10, color="black",
            label=rf"best central: $\epsilon$ = {tex_num(run['eps'][best], 1)}")
    ax.set_xlabel(r"step $\epsilon$")
    ax.set_ylabel(r"largest $|$numerical $-$ exact$|$")
    ax.legend()
    save(fig, out)


def activations(r: dict, out: Path) -> None:
    """§1.2 (g): the sigmoid and ReLU and their gradients, 2 x 2."""
    from model.functional import relu, relu_grad, sigmoid, sigmoid_grad

    x = np.linspace(-10, 10, 401)
    fig, axes = new_figure(2, 2, height=1.9, sharex=True, layout="constrained")
    panels = [(sigmoid, "sigmoid"), (relu, "ReLU"), (sigmoid_grad, "sigmoid gradient"),
              (relu_grad, "ReLU gradient")]
    for ax, (fn, label) in zip(axes.flat, panels, strict=True):
        ax.plot(x, fn(x), color=PALETTE["blue"] if "sigmoid" in label else PALETTE["red"])
        ax.set_title(label)
    for ax in axes[1]:
        ax.set_xlabel("x")
    save(fig, out)


def digits_strip(r: dict, out: Path) -> None:
    """§1.6: the first ten digits of the data set, with their binary labels."""
    stats = r["digits_stats"]
    image_strip(stats["first_ten"], [f"label {int(label)}" for label in stats["first_ten_labels"]],
                out, shape=(8, 8))


def sweep_heatmap(r: dict, out: Path) -> None:
    """§1.6 (c): mean final test accuracy over learning rate x minibatch size."""
    accuracy_heatmap(r["sweep"], "test_acc", "test accuracy", out)


def _curves(axes, run: dict, color: str | None = None, label: str = "") -> None:
    epochs = np.arange(1, len(run["train_loss"]) + 1)
    for ax, key in zip(axes, ("loss", "acc"), strict=True):
        ax.plot(epochs, run[f"train_{key}"], "-", color=color, label=f"{label}train".strip())
        ax.plot(epochs, run[f"test_{key}"], "--", color=color, label=f"{label}test".strip())


def curves_tuned(r: dict, out: Path) -> None:
    """§1.6 (b): learning curves of the tuned 64-32-1 network."""
    fig, axes = new_figure(2, height=2.4, layout="constrained")
    _curves(axes, r["tuned"])
    axes[0].set_yscale("log")
    axes[0].set_title("BCE loss")
    axes[1].set_title("accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.legend()
    save(fig, out)


def curves_variants(r: dict, out: Path) -> None:
    """§1.6 (d)-(i): learning curves of every architecture (mean over seeds, band = min..max)."""
    fig, axes = new_figure(2, height=2.7, layout="constrained")
    for (arch, runs), color in zip(r["variants"].items(), ("C0", "C1", "C2", "C3"), strict=True):
        for ax, key in zip(axes, ("train_loss", "test_acc"), strict=True):
            values = np.array([run[key] for run in runs])
            epochs = np.arange(1, values.shape[1] + 1)
            ax.plot(epochs, values.mean(axis=0), color=color, label=arch)
            ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), color=color,
                            alpha=0.2, lw=0)
    axes[0].set_yscale("log")
    axes[0].set_title("training loss")
    axes[1].set_title("test accuracy")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[1].legend(loc="lower right")
    save(fig, out)
