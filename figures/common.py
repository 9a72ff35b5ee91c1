"""Shared look and byte-stable saving for every figure: vector PDF sized for an A4 page."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("pdf")
import matplotlib.pyplot as plt  # noqa: E402

TEXT_WIDTH_IN = 6.3  # the report's \textwidth, so 9 pt figure text stays 9 pt on the page

plt.rcParams.update(
    {
        "font.size": 9,
        "axes.titlesize": 9,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "pdf.fonttype": 42,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.02,
    }
)


def new_figure(ncols: int = 1, nrows: int = 1, height: float = 2.6, **kwargs):
    """A figure as wide as the text with `nrows` x `ncols` axes."""
    return plt.subplots(nrows, ncols, figsize=(TEXT_WIDTH_IN, height * nrows), **kwargs)


def accuracy_heatmap(sweep: dict, key: str, label: str, out: Path) -> None:
    """Mean (over the last axis, the seeds) of `sweep[key]` over learning rate x minibatch size.

    `sweep` holds `lrs`, `mbs` and `key`, an array (learning rates, minibatch sizes, seeds).
    """
    mean = sweep[key].mean(axis=-1)
    fig, ax = new_figure(height=2.6)
    image = ax.imshow(mean, cmap="viridis", aspect="auto", vmin=max(0.5, mean.min()), vmax=1)
    for (i, j), value in np.ndenumerate(mean):
        ax.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize=8,
                color="white" if value < mean.max() - 0.05 else "black")
    ax.set_xticks(range(len(sweep["mbs"])), [str(m) for m in sweep["mbs"]])
    ax.set_yticks(range(len(sweep["lrs"])), [str(v) for v in sweep["lrs"]])
    ax.set_xlabel("minibatch size")
    ax.set_ylabel("learning rate")
    ax.grid(False)
    fig.colorbar(image, ax=ax, label=f"{label}\n(mean of {sweep[key].shape[-1]} seeds)")
    save(fig, out)


def save(fig, path: Path) -> None:
    """Write the figure as PDF without creation dates, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    plt.close(fig)
    os.replace(tmp, path)
