"""Figures of dl2023-a1; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import (
    PALETTE,
    accuracy_heatmap,
    curves_figure,
    descent_figure,
    image_strip,
    new_figure,
    save,
    tex_num,
)
from model.optim2d import f


def _one_run(run: dict, minima: list[dict], title: str, out: Path) -> None:
    descent_figure(out, f, minima, [run], titles=[title, f"final $f = {run['f']:.4f}$"])


def gd_path_b(r: dict, out: Path) -> None:
    """§1.1 (b): the prescribed run on the contours, and f after each step."""
    run = r["gd_b"]
    _one_run(run, r["minima"]["minima"], f"step {run['step_size']}, {run['steps']} steps", out)


def gd_path_d(r: dict, out: Path) -> None:
    """§1.1 (d): the best run of the tuning grid."""
    run = r["gd_grid"]["best"]
    _one_run(run, r["minima"]["minima"], f"step {run['step_size']}, {run['steps']} steps", out)


def gd_path_decay(r: dict, out: Path) -> None:
    """§1.1 (h): the run with a decaying step size."""
    run = r["gd_decay"]
    title = f"decaying step from {run['step_size']}, {run['steps']} steps"
    _one_run(run, r["minima"]["minima"], title, out)


def gd_step_sizes(r: dict, out: Path) -> None:
    """§1.1 (e): paths for a too small, a good and a too large step size, side by side."""
    runs = r["gd_compare"]
    descent_figure(out, f, r["minima"]["minima"], list(runs.values()), objective=False,
                   titles=[f"step {eta}: final $f = {run['f']:.3f}$" for eta, run in runs.items()],
                   height=2.2)


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
    ax.set(xlabel=r"step $\epsilon$", ylabel=r"largest $|$numerical $-$ exact$|$")
    ax.legend()
    save(fig, out)


def activations(r: dict, out: Path) -> None:
    """§1.2 (g): the sigmoid and ReLU and their gradients, 2 x 2."""
    from model.functional import relu, relu_grad, sigmoid, sigmoid_grad

    x = np.linspace(-10, 10, 401)
    fig, axes = new_figure(2, 2, height=1.9, sharex=True)
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


def curves_tuned(r: dict, out: Path) -> None:
    """§1.6 (b): learning curves of the tuned 64-32-1 network."""
    run = r["tuned"]
    curves_figure(out, {title: {phase: [run[f"{phase}_{key}"]] for phase in ("train", "test")}
                        for title, key in (("BCE loss", "loss"), ("accuracy", "acc"))},
                  log=["BCE loss"], height=2.4)


def curves_variants(r: dict, out: Path) -> None:
    """§1.6 (d)-(i): learning curves of every architecture (mean over seeds, band = min..max)."""
    curves_figure(out, {title: {arch: [run[key] for run in runs]
                                for arch, runs in r["variants"].items()}
                        for title, key in (("training loss", "train_loss"),
                                           ("test accuracy", "test_acc"))},
                  log=["training loss"], legend=["test accuracy"], height=2.7)
