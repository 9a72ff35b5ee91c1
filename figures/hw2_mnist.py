"""Figures of hw2-mnist; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import PALETTE, image_strip, new_figure, save, tex_num
from model.gradcheck import SMOOTH_BAND, H

DIGIT = {0: "3", 1: "9"}  # hw2's labels: a 3 is class 0, a 9 is class 1


def _epoch_lines(ax, steps_per_epoch: int, epochs: int) -> None:
    for e in range(1, epochs):
        ax.axvline(e * steps_per_epoch, color="grey", lw=0.6, ls=":")


def examples(r: dict, out: Path) -> None:
    """§1.1: the first training images with their labels."""
    data = r["data"]
    images, labels = data["images"], data["image_labels"]
    image_strip(images, [f"$y = {label}$" for label in labels], out, height=0.95, vmin=0, vmax=1)


def fd_eps(r: dict, out: Path) -> None:
    """§1.2 (a): relative error of the checker against back-propagation, over the step."""
    run = r["checker"]
    fig, ax = new_figure(height=2.5)
    ax.loglog(run["eps"], run["rel_error"], ".-", color=PALETTE["blue"],
              label="central differences vs back-propagation")
    ax.axvline(H, color="black", ls="--", lw=0.8, label=f"the checker's step, {tex_num(H, 1)}")
    ax.axhline(SMOOTH_BAND, color=PALETTE["red"], ls=":", lw=0.8,
               label=f"relative error {tex_num(SMOOTH_BAND, 1)}")
    ax.set_xlabel(r"step $\epsilon$")
    ax.set_ylabel("relative error (largest entry)")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
    save(fig, out)


def loss_curves(r: dict, out: Path) -> None:
    """§1.3 (e)(i): mini-batch training loss and full test-set loss after every step."""
    hist = r["main"]["curve"]["history"]
    steps = np.arange(1, len(hist["step_loss"]) + 1)
    fig, ax = new_figure(height=2.8)
    ax.plot(steps, hist["step_loss"], color=PALETTE["blue"], lw=0.7, alpha=0.7,
            label="training loss (mini-batch of the step)")
    ax.plot(hist["val_step"], hist["val_loss"], color=PALETTE["green"], lw=1.4,
            label="test loss (all test images)")
    _epoch_lines(ax, hist["steps_per_epoch"], len(steps) // hist["steps_per_epoch"])
    ax.set_yscale("log")
    ax.set_xlabel("step (dotted lines: epoch boundaries)")
    ax.set_ylabel("mean logistic loss")
    ax.set_xlim(0, len(steps))
    ax.legend()
    save(fig, out)


def accuracy_curves(r: dict, out: Path) -> None:
    """§1.3 (e)(ii): mini-batch training accuracy and test accuracy after every step; the right
    panel zooms in on the steps after the first epoch."""
    hist = r["main"]["curve"]["history"]
    steps = np.arange(1, len(hist["step_acc"]) + 1)
    first = hist["steps_per_epoch"]
    fig, axes = new_figure(2, height=2.7, layout="constrained")
    for ax, start in zip(axes, (0, first), strict=True):
        ax.plot(steps[start:], hist["step_acc"][start:], color=PALETTE["blue"], lw=0.7, alpha=0.7,
                label="training (mini-batch)")
        ax.plot(hist["val_step"][start:], hist["val_acc"][start:], color=PALETTE["green"], lw=1.4,
                label="test (all images)")
        _epoch_lines(ax, first, len(steps) // first)
        ax.set_xlabel("step")
        ax.set_xlim(start, len(steps))
    axes[0].set_ylabel("accuracy")
    axes[0].set_title("all steps")
    axes[1].set_title("after the first epoch (zoomed)")
    axes[1].set_ylim(0.94, 1.0005)
    axes[0].legend(loc="lower right")
    save(fig, out)


def misclassified(r: dict, out: Path) -> None:
    """§1.3 (e)(iii): every test image the trained network gets wrong, 3s first."""
    wrong = r["main"]["curve"]["wrong"]
    order = np.lexsort((wrong["p"], wrong["y"]))
    image_strip([wrong["images"][i] for i in order],
                [f"a {DIGIT[int(wrong['y'][i])]}\n$p(9) = {wrong['p'][i]:.2f}$" for i in order],
                out, ncols=8, height=1.0, vmin=0, vmax=1)


def big_step(r: dict, out: Path) -> None:
    """§1.3 (e)(iv): step size 10 against 0.1: mini-batch loss and test accuracy."""
    base = r["main"]["curve"]["history"]
    fig, axes = new_figure(2, height=2.6, layout="constrained")
    axes[0].plot(np.arange(1, len(base["step_loss"]) + 1), base["step_loss"], color=PALETTE["blue"],
                 lw=0.7, label="step size 0.1")
    axes[1].plot(base["val_step"], base["val_acc"], color=PALETTE["blue"], lw=1.2,
                 label="step size 0.1")
    for k, run in enumerate(r["big_step"]["runs"]):
        hist = run["history"]
        label = f"step size 10, seed {run['seed']}"
        color = (PALETTE["red"], PALETTE["purple"], PALETTE["cyan"])[k % 3]
        axes[0].plot(np.arange(1, len(hist["step_loss"]) + 1), hist["step_loss"], color=color,
                     lw=0.6, alpha=0.6, label=label)
        axes[1].plot(hist["val_step"], hist["val_acc"], color=color, lw=1.0, label=label)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("training loss (mini-batch)")
    axes[1].set_ylabel("test accuracy")
    for ax in axes:
        ax.set_xlabel("step")
    axes[1].legend(loc="center right", fontsize=7)
    save(fig, out)


def memorise(r: dict, out: Path) -> None:
    """§1.3 (f): training accuracy on 100 random images after every full-batch step (mean over
    seeds, band from the lowest to the highest seed)."""
    fig, ax = new_figure(height=2.9)
    for run, color in zip(r["memorise"]["runs"], ("C0", "C1", "C2", "C3", "C7"), strict=True):
        acc = np.array([s["acc"] for s in run["seeds"]])
        steps = np.arange(1, acc.shape[1] + 1)
        ax.plot(steps, acc.mean(axis=0), ".-", ms=3, color=color, label=run["label"])
        ax.fill_between(steps, acc.min(axis=0), acc.max(axis=0), color=color, alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("full-batch steps")
    ax.set_ylabel("training accuracy")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    save(fig, out)
