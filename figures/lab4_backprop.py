"""Figures of lab4-backprop; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures import common
from figures.common import new_figure, save
from model.data import five_points

SHOWN_SEEDS = 3  # rows of seeds in the boundary grids: enough to see them differ
# Math in both places a label appears: the report's tables (LaTeX) and the figures (mathtext).
INIT_LABELS = {"zeros": "zeros", "normal(0.01)": r"$\mathcal{N}(0, 0.01^2)$",
               "glorot_uniform": "Glorot", "normal(1)": r"$\mathcal{N}(0, 1)$",
               "normal(10)": r"$\mathcal{N}(0, 10^2)$"}


def label(vary: str, value) -> str:
    """How a swept value is named in legends, column titles and tables: 2-8-1, 0.25, Glorot."""
    if vary == "hidden":
        return "-".join(map(str, [2, *value, 1]))
    return INIT_LABELS[value] if vary == "init" else f"{value:g}"


def _sweep(variation: dict) -> tuple[list[np.ndarray], list[str], list]:
    """Per swept value: its seeds' loss curves as one (seeds, updates + 1) array, its label and
    its colour (viridis along an ordered sweep, the palette for the initialisations)."""
    return ([np.array([run["loss"] for run in runs]) for runs in variation["runs"]],
            [label(variation["vary"], value) for value in variation["values"]],
            common.sweep_colours(len(variation["values"]), ordered=variation["vary"] != "init"))


def boundary(r: dict, out: Path, start: bool = False) -> None:
    """In [7] (In [4] with `start`): the output of the trained (untrained) network over the
    square, with the five points."""
    base = r["base"]
    common.boundary_figure(base["axis"], (base["start"] if start else base)["grid"],
                           *five_points(), "before training" if start else "after training", out)


def loss_curve(r: dict, out: Path) -> None:
    """In [6]: the loss after every update of the prescribed run, on a linear and a log scale."""
    common.loss_panels(r["base"]["loss"], out, "mean squared error")


def boundaries(r: dict, out: Path) -> None:
    """The decision boundaries of the one variation in `r`: columns the swept values, rows the
    first seeds; each panel is one trained network."""
    (variation,) = r.values()
    panels = [[(runs[s]["axis"], runs[s]["grid"]) for runs in variation["runs"]]
              for s in range(SHOWN_SEEDS)]
    common.boundary_grid(panels, *five_points(), _sweep(variation)[1],
                         [f"seed {seed}" for seed in variation["seeds"][:SHOWN_SEEDS]], out)


def _curves(ax, variation: dict, title: str, prefix: str = "", log_x: bool = False) -> None:
    """Median loss over the seeds per swept value, with a band from the lowest to the highest."""
    curves, labels, colours = _sweep(variation)
    common.band_curves(ax, curves, [prefix + name for name in labels], colours, log_x=log_x)
    ax.set(yscale="log", xlabel="update", ylabel="mean squared error", title=title)


def arch_curves(r: dict, out: Path) -> None:
    """Loss curves for the depth and the width sweeps."""
    fig, (left, right) = new_figure(2, height=2.6, sharey=True)
    for ax, name in ((left, "depth"), (right, "width")):
        _curves(ax, r[name], name)
        ax.legend(fontsize=7)
    right.set_ylabel("")  # the axes share the left one's
    save(fig, out)


def lr_speed(r: dict, out: Path) -> None:
    """Loss curves per learning rate (log-log), and the updates each seed needs to reach the
    threshold loss."""
    variation = r["lr"]
    fig, (left, right) = new_figure(2, height=2.7)
    _curves(left, variation, "loss per learning rate", "lr ", log_x=True)
    left.set(xscale="log", xlim=(1, len(variation["runs"][0][0]["loss"]) - 1))
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center",
               ncol=len(variation["values"]), fontsize=7)
    common.threshold_scatter(right, variation["values"], _sweep(variation)[0],
                             variation["threshold"])
    right.set(xlabel="learning rate", title="convergence speed")
    save(fig, out)


def init_curves(r: dict, out: Path) -> None:
    """Loss curves per initialisation, and final loss against the saturated share at the start."""
    variation = r["init"]
    fig, (left, right) = new_figure(2, height=2.7)
    _curves(left, variation, "loss per initialisation")
    left.legend(fontsize=7)
    for runs, name, colour in zip(variation["runs"], *_sweep(variation)[1:], strict=True):
        right.scatter([100 * run["start"]["saturated"][0] for run in runs],
                      [run["loss"][-1] for run in runs], color=colour, s=18, label=name,
                      edgecolors="black", linewidths=0.4)
    right.set(yscale="log", xlabel="saturated hidden outputs at the start (%)",
              ylabel="final mean squared error", title="saturation and trainability")
    right.legend(fontsize=7)
    save(fig, out)
