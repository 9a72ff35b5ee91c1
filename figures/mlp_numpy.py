"""Figures of mlp-numpy; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import PALETTE, image_strip, new_figure, save

LR_COLORS = ("C0", "C1", "C2", "C3", "C4", "C5")


def _moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean over a sliding window of `window` steps (valid part only)."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def synth(r: dict, out: Path) -> None:
    """Q4: the synthetic data with the trained network's boundary, and the loss during training."""
    s = r["synth"]
    fig, (left, right) = new_figure(2, height=3.0, layout="constrained")
    axis = s["grid_axis"]
    left.contour(axis, axis, s["grid_p1"], levels=[0.5], colors="black", linewidths=1.2)
    points, labels = s["scatter"], s["scatter_labels"]
    for cls, color in ((0, PALETTE["blue"]), (1, PALETTE["red"])):
        keep = labels == cls
        left.scatter(points[keep, 0], points[keep, 1], s=2, color=color, label=f"class {cls}")
    t = np.linspace(0, 2 * np.pi, 200)
    left.plot(s["radius"] * np.cos(t), s["radius"] * np.sin(t), "--", color="black", lw=0.8,
              label="true boundary")
    left.plot([], [], "-", color="black", lw=1.2, label="network: p = 0.5")
    left.set_xlim(axis[0], axis[-1])
    left.set_ylim(axis[0], axis[-1])
    left.set_aspect("equal")
    left.set_xlabel("$x_1$")
    left.set_ylabel("$x_2$")
    left.set_title("validation points and the learned boundary")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=7,
                markerscale=3, frameon=False)
    steps = s["step_loss"]
    window = 500
    n_train = len(steps) // (len(s["val_loss"]) - 1)
    right.plot(np.arange(window, len(steps) + 1) / 1000, _moving_mean(steps, window),
               color=PALETTE["blue"], label=f"training: mean loss of the last {window} instances")
    right.plot(np.arange(len(s["val_loss"])) * n_train / 1000, s["val_loss"], "o--",
               color=PALETTE["red"], label="validation loss after each epoch")
    right.set_ylim(0, None)
    right.set_xlabel("step (thousands; one instance per step)")
    right.set_ylabel("cross-entropy loss")
    right.set_title("loss during training")
    right.legend(fontsize=7, loc="upper right")
    save(fig, out)


def mnist_digits(r: dict, out: Path) -> None:
    """Q5: the first training images as stored, with their labels."""
    m = r["mnist_stats"]
    images, labels = m["images"], m["labels"]
    image_strip(images, [str(int(label)) for label in labels], out, height=0.75, vmin=0, vmax=255)


def train_val(r: dict, out: Path) -> None:
    """Q7.1: training and validation loss and accuracy after every epoch, for every rate."""
    sw = r["sweep"]
    fig, axes = new_figure(2, height=2.8, layout="constrained")
    for i, color in enumerate(LR_COLORS[: len(sw["lrs"])]):
        for ax, key in zip(axes, ("loss", "acc"), strict=True):
            for part, style in (("train", "-"), ("held", "--")):
                # Accuracy from epoch 1: at epoch 0 it is chance (10%) and would flatten the rest.
                values = sw[f"{part}_{key}"][i, :, 0 if key == "loss" else 1:]
                epochs = np.arange(sw[f"{part}_{key}"].shape[-1])[-values.shape[-1]:]
                ax.errorbar(epochs, values.mean(axis=0), yerr=values.std(axis=0),
                            fmt=style, marker="o", ms=2.5, color=color, capsize=2, lw=1)
    for i, lr in enumerate(sw["lrs"]):
        axes[0].plot([], [], color=LR_COLORS[i], label=f"lr {lr}")
    axes[0].plot([], [], "-", color="black", label="training")
    axes[0].plot([], [], "--", color="black", label="validation")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("cross-entropy loss")
    axes[0].set_title("loss (mean ± std over seeds)")
    axes[1].set_ylabel("accuracy")
    axes[1].set_title("accuracy (mean ± std over seeds)")
    for ax in axes:
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=7, ncol=2)
    save(fig, out)


def seeds(r: dict, out: Path) -> None:
    """Q7.2/7.3: the loss of every batch, mean and standard deviation over seeds, per rate."""
    sw = r["sweep"]
    steps = sw["step_loss"]  # (lrs, seeds, steps)
    fig, ax = new_figure(height=2.7, layout="constrained")
    x = np.arange(1, steps.shape[-1] + 1)
    for i, lr in enumerate(sw["lrs"]):
        mean, std = steps[i].mean(axis=0), steps[i].std(axis=0)
        ax.plot(x, mean, color=LR_COLORS[i], lw=0.8, label=f"lr {lr}")
        ax.fill_between(x, np.maximum(mean - std, 1e-3), mean + std, color=LR_COLORS[i],
                        alpha=0.25, lw=0)
    per_epoch = steps.shape[-1] // (sw["held_loss"].shape[-1] - 1)
    for epoch_end in range(per_epoch, steps.shape[-1], per_epoch):
        ax.axvline(epoch_end, color="black", lw=0.5, alpha=0.3)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("mean loss of the batch")
    ax.set_title(f"loss of every batch: mean ± std over {steps.shape[1]} seeds")
    ax.legend()
    save(fig, out)


def final_curve(r: dict, out: Path) -> None:
    """Q7.4: the learning curve of the final run on the full training set."""
    steps = np.asarray(r["final"]["step_loss"])
    fig, ax = new_figure(height=2.6, layout="constrained")
    x = np.arange(1, len(steps) + 1)
    window = 100
    ax.plot(x, steps, color=PALETTE["grey"], lw=0.3, alpha=0.5, label="loss of each batch")
    ax.plot(np.arange(window, len(steps) + 1), _moving_mean(steps, window), color=PALETTE["blue"],
            label=f"mean of the last {window} batches")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("mean loss of the batch")
    ax.legend()
    save(fig, out)
