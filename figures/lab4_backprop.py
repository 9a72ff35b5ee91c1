"""Figures of lab4-backprop; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures import common
from figures.common import PALETTE, new_figure, save, tex_num

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


def _labels(variation: dict) -> list[str]:
    return [label(variation["vary"], value) for value in variation["values"]]


def _losses(variation: dict) -> list[np.ndarray]:
    """Per swept value, the loss curves of its seeds as one (seeds, updates + 1) array."""
    return [np.array([run["loss"] for run in runs]) for runs in variation["runs"]]


def _colours(variation: dict) -> list:
    return common.sweep_colours(len(variation["values"]), ordered=variation["vary"] != "init")


def boundary_start(r: dict, out: Path) -> None:
    """In [4]: the output of the untrained network over the square, with the five points."""
    base = r["base"]
    common.boundary_figure(base["axis"], base["start"]["grid"], *r["data"]["xy"],
                           "before training", out)


def boundary_trained(r: dict, out: Path) -> None:
    """In [7]: the same after 2500 full-batch updates."""
    base = r["base"]
    common.boundary_figure(base["axis"], base["grid"], *r["data"]["xy"], "after training", out)


def loss_curve(r: dict, out: Path) -> None:
    """In [6]: the loss after every update of the prescribed run, on a linear and a log scale."""
    loss = r["base"]["loss"]
    fig, (left, right) = new_figure(2, height=2.3)
    for ax, scale in ((left, "linear"), (right, "log")):
        ax.plot(np.arange(len(loss)), loss, color=PALETTE["red"], lw=1.2)
        ax.set(yscale=scale, xlabel="update", ylabel="mean squared error", title=f"{scale} scale")
    right.annotate(f"final {tex_num(loss[-1])}", (len(loss) - 1, loss[-1]),
                   textcoords="offset points", xytext=(-60, 12), fontsize=8)
    save(fig, out)


def _boundaries(variation: dict, data: dict, out: Path) -> None:
    """Columns: the swept values; rows: the first seeds. Each panel is one trained network."""
    panels = [[(runs[s]["axis"], runs[s]["grid"]) for runs in variation["runs"]]
              for s in range(SHOWN_SEEDS)]
    common.boundary_grid(panels, *data["xy"], _labels(variation),
                  [f"seed {seed}" for seed in variation["seeds"][:SHOWN_SEEDS]], out)


def depth_boundaries(r: dict, out: Path) -> None:
    """Decision boundaries for 1 to 4 hidden layers of 8 units, three seeds each."""
    _boundaries(r["variations"]["depth"], r["data"], out)


def width_boundaries(r: dict, out: Path) -> None:
    """Decision boundaries for one hidden layer of 2 to 32 units, three seeds each."""
    _boundaries(r["variations"]["width"], r["data"], out)


def init_boundaries(r: dict, out: Path) -> None:
    """Decision boundaries after training from each initialisation, three seeds each."""
    _boundaries(r["variations"]["init"], r["data"], out)


def _loss_axes(ax, title: str) -> None:
    ax.set(yscale="log", xlabel="update", ylabel="mean squared error", title=title)


def arch_curves(r: dict, out: Path) -> None:
    """Loss curves for the depth and the width sweeps (median and range over the seeds)."""
    fig, (left, right) = new_figure(2, height=2.6, sharey=True)
    for ax, name in ((left, "depth"), (right, "width")):
        variation = r["variations"][name]
        common.band_curves(ax, _losses(variation), _labels(variation), _colours(variation))
        _loss_axes(ax, name)
        ax.legend(fontsize=7)
    right.set_ylabel("")  # the axes share the left one's
    save(fig, out)


def lr_speed(r: dict, out: Path) -> None:
    """Loss curves per learning rate (log-log), and the updates each seed needs to reach the
    threshold loss."""
    variation = r["variations"]["lr"]
    epochs, threshold = len(variation["runs"][0][0]["loss"]) - 1, r["variations"]["threshold"]
    fig, (left, right) = new_figure(2, height=2.7)
    common.band_curves(left, _losses(variation), [f"lr {name}" for name in _labels(variation)],
                _colours(variation), log_x=True)
    _loss_axes(left, "loss per learning rate")
    left.set(xscale="log", xlim=(1, epochs))
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center",
               ncol=len(variation["values"]), fontsize=7)
    updates = {lr: [run["updates_to_threshold"] for run in runs]
               for lr, runs in zip(variation["values"], variation["runs"], strict=True)}
    reached = [(lr, n) for lr, ns in updates.items() for n in ns if n is not None]
    missed = [lr for lr, ns in updates.items() for n in ns if n is None]
    right.scatter(*zip(*reached, strict=True), s=14, color=PALETTE["blue"], alpha=0.7,
                  label="one seed")
    right.scatter(missed, np.full(len(missed), 1.6 * epochs), marker="x", color=PALETTE["red"],
                  label=f"not below {tex_num(threshold)} in {epochs}")
    rates = np.array(variation["values"], dtype=float)
    c = float(np.mean([lr * np.mean(ns) for lr, ns in updates.items() if None not in ns]))
    right.plot(rates, c / rates, "--", color="gray", lw=1, label=f"{c:.0f} / lr")
    right.set(xscale="log", yscale="log", xlabel="learning rate",
              ylabel=f"updates until loss $<$ {tex_num(threshold)}", title="convergence speed")
    right.legend(fontsize=7)
    save(fig, out)


def init_curves(r: dict, out: Path) -> None:
    """Loss curves per initialisation, and final loss against the saturated share at the start."""
    variation = r["variations"]["init"]
    fig, (left, right) = new_figure(2, height=2.7)
    common.band_curves(left, _losses(variation), _labels(variation), _colours(variation))
    _loss_axes(left, "loss per initialisation")
    left.legend(fontsize=7)
    for runs, name, colour in zip(variation["runs"], _labels(variation), _colours(variation),
                                  strict=True):
        right.scatter([100 * run["start"]["saturated"][0] for run in runs],
                      [run["loss"][-1] for run in runs], color=colour, s=18, label=name,
                      edgecolors="black", linewidths=0.4)
    right.set(yscale="log", xlabel="saturated hidden outputs at the start (%)",
              ylabel="final mean squared error", title="saturation and trainability")
    right.legend(fontsize=7)
    save(fig, out)
