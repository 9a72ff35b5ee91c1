"""Figures of hw2-mnist; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import PALETTE, image_strip, log_axes, new_figure, save, style, tex_num
from model.gradcheck import SMOOTH_BAND, H

DIGIT = {0: "3", 1: "9"}  # hw2's labels: a 3 is class 0, a 9 is class 1


def _train_and_test(ax, run: dict, key: str, start: int = 0) -> None:
    """One run's training (mini-batch) and test curve of `key` ("loss" or "acc") per step,
    from step `start` on, with dotted lines at the epoch boundaries."""
    rec, per_epoch = run["record"], run["steps_per_epoch"]
    steps = np.arange(1, len(rec[f"train_{key}"]) + 1)
    ax.plot(steps[start:], rec[f"train_{key}"][start:], color=PALETTE["blue"], lw=0.6,
            alpha=0.6, label="training (the step's mini-batch)")
    ax.plot(rec["test_step"][start:], rec[f"test_{key}"][start:], color=PALETTE["red"], lw=1.4,
            ls="--", label="test (all test images)")
    for boundary in range(per_epoch, len(steps), per_epoch):
        ax.axvline(boundary, color="grey", lw=0.6, ls=":")
    ax.set_xlim(start, len(steps))
    ax.set_xlabel("step (dotted: epoch boundaries)")


def examples(r: dict, out: Path) -> None:
    """§1.1: the first training images with their labels."""
    data = r["data"]
    image_strip(data["images"], [f"y = {label}" for label in data["image_labels"]], out,
                height=0.95, vmin=0, vmax=1)


def fd_eps(r: dict, out: Path) -> None:
    """§1.2 (a): relative error of the checker against back-propagation, over the step."""
    run = r["checker"]
    fig, ax = new_figure(height=2.4)
    ax.plot(run["eps"], run["rel_error"], **style(0), ms=3, label="central differences")
    ax.axvline(H, color="black", ls="--", lw=0.8, label=f"the checker's step, {tex_num(H, 1)}")
    ax.axhline(SMOOTH_BAND, color=PALETTE["red"], ls=":", lw=0.8,
               label=f"relative error {tex_num(SMOOTH_BAND, 1)}")
    log_axes(ax, x=True)
    ax.set_xlabel("finite-difference step")
    ax.set_ylabel("relative error")
    ax.legend(loc="upper center", fontsize=8)
    save(fig, out)


def loss_curves(r: dict, out: Path) -> None:
    """§1.3 (e)(i): mini-batch training loss and test loss after every step (log scale)."""
    fig, ax = new_figure(height=2.6)
    _train_and_test(ax, r["main"]["curve"], "loss")
    log_axes(ax)
    ax.set_ylabel("mean logistic loss")
    ax.legend(fontsize=8)
    save(fig, out)


def accuracy_curves(r: dict, out: Path) -> None:
    """§1.3 (e)(ii): mini-batch training and test accuracy after every step; the right panel
    zooms in on the steps after the first epoch."""
    curve = r["main"]["curve"]
    fig, axes = new_figure(2, height=2.5)
    for ax, start in zip(axes, (0, curve["steps_per_epoch"]), strict=True):
        _train_and_test(ax, curve, "acc", start)
    axes[0].set_xscale("log")  # the first epoch's rise, spread out
    axes[0].set_xlim(1, len(curve["record"]["train_acc"]))
    axes[0].set_xlabel("step (log scale; dotted: epoch boundaries)")
    axes[0].set_ylabel("accuracy")
    axes[0].set_title("all steps", fontsize=9)
    axes[1].set_title("after the first epoch (zoomed)", fontsize=9)
    axes[1].set_ylim(0.94, 1.0005)
    axes[0].legend(loc="lower right", fontsize=7)
    save(fig, out)


def misclassified(r: dict, out: Path) -> None:
    """§1.3 (e)(iii): every test image the trained network gets wrong, 3s first."""
    curve = r["main"]["curve"]
    y, p = curve["test_y"][curve["wrong"]], curve["test_p"][curve["wrong"]]
    order = np.lexsort((p, y))
    image_strip([curve["wrong_images"][i] for i in order],
                ["\n".join((f"a {DIGIT[int(y[i])]}", f"p(9) = {p[i]:.2f}")) for i in order],
                out, ncols=8, height=1.0, vmin=0, vmax=1)


def big_step(r: dict, out: Path) -> None:
    """§1.3 (e)(iv): step size 10 against 0.1: mini-batch loss and test accuracy."""
    runs = [(r["main"]["curve"], "step size 0.1")] + [
        (run, f"step size 10, seed {run['seed']}") for run in r["big_step"]["runs"]]
    fig, axes = new_figure(2, height=2.5)
    for i, (run, label) in enumerate(runs):
        rec, line = run["record"], style(i) | {"marker": None}
        axes[0].plot(np.arange(1, len(rec["train_loss"]) + 1), rec["train_loss"], lw=0.7,
                     alpha=0.8, label=label, **line)
        axes[1].plot(rec["test_step"], rec["test_acc"], lw=1.0, label=label, **line)
    log_axes(axes[0], x=True)
    axes[1].set_xscale("log")
    axes[0].set_ylabel("training loss (mini-batch)")
    axes[1].set_ylabel("test accuracy")
    for ax in axes:
        ax.set_xlabel("step (log scale)")
    axes[1].legend(loc="center right", fontsize=7)
    save(fig, out)


def memorise(r: dict, out: Path) -> None:
    """§1.3 (f): training accuracy on 100 random images after every full-batch step (mean over
    seeds, band from the lowest to the highest seed)."""
    fig, ax = new_figure(height=2.8)
    for i, run in enumerate(r["memorise"]["runs"]):
        acc = np.array([s["acc"] for s in run["seeds"]])
        steps = np.arange(1, acc.shape[1] + 1)
        ax.plot(steps, acc.mean(axis=0), **style(i), ms=3, label=run["label"])
        ax.fill_between(steps, acc.min(axis=0), acc.max(axis=0), color=style(i)["color"],
                        alpha=0.15, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("full-batch steps (log scale)")
    ax.set_ylabel("training accuracy")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    save(fig, out)
