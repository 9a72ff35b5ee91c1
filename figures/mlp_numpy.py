"""Figures of mlp-numpy; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures import common as fc


def synth(r: dict, out: Path) -> None:
    """Q4: the synthetic data with the trained network's boundary, and the loss during training."""
    s = r["synth"]
    fig, (left, right) = fc.new_figure(2, height=3.0)
    axis = s["grid_axis"]
    left.contour(axis, axis, s["grid_p1"], levels=[0.5], colors="black", linewidths=1.2)
    fc.class_points(left, s["scatter"], s["scatter_labels"], 2, linewidths=0, zorder=1)
    t = np.linspace(0, 2 * np.pi, 200)
    left.plot(s["radius"] * np.cos(t), s["radius"] * np.sin(t), "--", color="black", lw=0.8,
              label="true boundary")
    left.plot([], [], "-", color="black", lw=1.2, label="network: $p = 0.5$")
    left.set(xlim=(axis[0], axis[-1]), ylim=(axis[0], axis[-1]), aspect="equal",
             xlabel="$x_1$", ylabel="$x_2$", title="validation points and boundaries")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, markerscale=3,
                frameon=False)
    window, per_epoch = 500, len(s["step_loss"]) // (len(s["val_loss"]) - 1)
    fc.smoothed_curve(right, s["step_loss"], window, f"training: mean of the last {window} "
                      "instances", per_x=1000, color=fc.PALETTE["blue"])
    right.plot(np.arange(len(s["val_loss"])) * per_epoch / 1000, s["val_loss"], "o--",
               color=fc.PALETTE["red"], label="validation, after each epoch")
    right.set(ylim=(0, None), xlabel="step (thousands; one instance per step)",
              ylabel="cross-entropy loss", title="loss during training")
    right.legend(loc="upper right")
    fc.save(fig, out)


def train_val(r: dict, out: Path) -> None:
    """Q7.1: training and validation loss after every epoch, mean ± std over seeds, per rate."""
    q = r["q7"]
    fig, axes = fc.new_figure(2, height=2.8, sharey=True)
    epochs = np.arange(q["train_loss"].shape[-1])
    for ax, part, title in zip(axes, ("train", "held"), ("training images", "validation set"),
                               strict=True):
        for i, lr in enumerate(q["lrs"]):
            fc.seed_band(ax, epochs, q[f"{part}_loss"][i], i, f"rate {fc.tex_num(lr)}", ms=3, lw=1)
        fc.log_axes(ax)
        ax.set(xlabel="epoch", title=f"loss on the {title}")
    axes[0].set_ylabel(r"cross-entropy loss (mean $\pm$ std)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center",
               ncol=len(q["lrs"]))
    fc.save(fig, out)


def seeds(r: dict, out: Path) -> None:
    """Q7.2: the loss of every batch, mean and standard deviation over seeds, per rate."""
    q = r["q7"]
    steps = q["step_loss"]  # (lrs, seeds, steps)
    fig, ax = fc.new_figure(height=2.8)
    x = np.arange(1, steps.shape[-1] + 1)
    for i, lr in enumerate(q["lrs"]):
        fc.seed_band(ax, x, steps[i], i, f"rate {fc.tex_num(lr)}", floor=1e-3, lw=0.7, marker=None)
    for end in range(steps.shape[-1] // 5, steps.shape[-1], steps.shape[-1] // 5):
        ax.axvline(end, color="black", lw=0.5, alpha=0.3)
    fc.log_axes(ax, x=True)
    ax.set(xlabel="step (log scale; grey lines end the epochs)", ylabel="loss of the batch")
    ax.legend(ncol=2)
    fc.save(fig, out)


def final_curve(r: dict, out: Path) -> None:
    """Q7.4: the learning curve of the final run on the full training set."""
    fig, ax = fc.new_figure(height=2.6)
    fc.smoothed_curve(ax, r["q7"]["final"]["step_loss"], 100, "mean of the last 100 batches",
                      raw="loss of each batch", color=fc.PALETTE["blue"], linestyle="--")
    fc.log_axes(ax)
    ax.set(xlabel="step", ylabel="loss of the batch")
    ax.legend()
    fc.save(fig, out)
