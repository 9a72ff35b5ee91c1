"""Figures of lab4-backprop; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from figures.common import CYCLE_COLOURS, PALETTE, new_figure, save, tex_num

LEVELS = np.linspace(0, 1, 11)
CMAP = "RdBu_r"  # output 0 blue, 1 red, 0.5 white: the boundary sits where the colour fades
SHOWN_SEEDS = 3  # rows of seeds in the boundary grids: enough to see them differ
SMALL = (3.2, 2.45)  # inches: a single boundary plot, shown at its own size


def _points(ax, data: dict, size: float = 40) -> None:
    x, y = data["x"], data["y"]
    for label, marker, colour in ((0, "o", PALETTE["blue"]), (1, "^", PALETTE["red"])):
        pts = x[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, c=colour, edgecolors="black",
                   linewidths=1.0, s=size, zorder=3, label=f"class {label}")


def _boundary(ax, run: dict, data: dict, grid: str = "grid", size: float = 40):
    """The network output over the square as filled contours, the 0.5 level as a black line."""
    axis, out = run["axis"], run[grid]
    filled = ax.contourf(axis, axis, out, LEVELS, cmap=CMAP, vmin=0, vmax=1)
    if out.min() < 0.5 < out.max():  # a constant output (zero init) has no boundary to draw
        ax.contour(axis, axis, out, [0.5], colors="black", linewidths=1.0)
    _points(ax, data, size)
    ax.set_aspect("equal")
    ax.grid(False)
    return filled


def _single(run: dict, data: dict, grid: str, title: str, out: Path) -> None:
    fig, ax = new_figure(layout="constrained")
    fig.set_size_inches(*SMALL)
    filled = _boundary(ax, run, data, grid)
    bar = fig.colorbar(filled, ax=ax, ticks=[0, 0.25, 0.5, 0.75, 1])
    bar.set_label("network output")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    save(fig, out)


def boundary_start(r: dict, out: Path) -> None:
    """In [4]: the output of the untrained network over the square, with the five points."""
    _single(r["base"], r["data"], "start_grid", "before training", out)


def boundary_trained(r: dict, out: Path) -> None:
    """In [7]: the same after 2500 full-batch updates."""
    _single(r["base"], r["data"], "grid", "after training", out)


def loss_curve(r: dict, out: Path) -> None:
    """In [6]: the loss after every update of the prescribed run, on a log scale."""
    loss = r["base"]["loss"]
    fig, (left, right) = new_figure(2, height=2.3, layout="constrained")
    for ax, scale in ((left, "linear"), (right, "log")):
        ax.plot(np.arange(len(loss)), loss, color=PALETTE["red"], lw=1.2)
        ax.set_yscale(scale)
        ax.set_xlabel("update")
        ax.set_ylabel("mean squared error")
        ax.set_title(f"{scale} scale")
    right.annotate(f"final {tex_num(loss[-1])}", (len(loss) - 1, loss[-1]),
                   textcoords="offset points", xytext=(-60, 12), fontsize=8)
    save(fig, out)


def _boundary_grid(variation: dict, data: dict, labels: list[str], out: Path) -> None:
    """Columns: the swept values; rows: the first seeds. Each panel is one trained network."""
    columns = len(variation["values"])
    # Square panels: the height follows from the width each of the columns gets.
    height = SHOWN_SEEDS * 4.5 / columns + 0.6
    fig, axes = new_figure(columns, SHOWN_SEEDS, height=height / SHOWN_SEEDS,
                             sharex=True, sharey=True, layout="constrained")
    for c, runs in enumerate(variation["runs"]):
        for row in range(SHOWN_SEEDS):
            ax = axes[row, c]
            filled = _boundary(ax, runs[row], data, size=22)
            ax.tick_params(labelsize=7)
            ax.set_xticks([-2, 0, 2])
            ax.set_yticks([-2, 0, 2])
            if row == 0:
                ax.set_title(labels[c])
            if c == 0:
                ax.set_ylabel(f"seed {variation['seeds'][row]}")
    bar = fig.colorbar(filled, ax=axes, ticks=[0, 0.5, 1], shrink=0.6)
    bar.set_label("network output")
    save(fig, out)


INIT_NAMES = {"zeros": "zeros", "normal(0.01)": "N(0, 0.01²)", "glorot_uniform": "Glorot",
              "normal(1)": "N(0, 1)", "normal(10)": "N(0, 10²)"}


def label(vary: str, value) -> str:
    """How a swept value is named in legends, column titles and tables: 2-8-1, 0.25, N(0, 1)."""
    if vary == "hidden":
        return "-".join(map(str, [2, *value, 1]))
    if vary == "init":
        return INIT_NAMES[value]
    return f"{value:g}"  # plain text: the report's tables use these labels too


# cmr10 has no superscript-two glyph: in figures the normal distributions are set as mathtext.
_MATH_INIT = {"normal(0.01)": r"$\mathcal{N}(0, 0.01^2)$", "normal(1)": r"$\mathcal{N}(0, 1)$",
              "normal(10)": r"$\mathcal{N}(0, 10^2)$"}


def _labels(variation: dict) -> list[str]:
    if variation["vary"] == "init":
        return [_MATH_INIT.get(v, label("init", v)) for v in variation["values"]]
    return [label(variation["vary"], value) for value in variation["values"]]


def depth_boundaries(r: dict, out: Path) -> None:
    """Decision boundaries for 1 to 4 hidden layers of 8 units, three seeds each."""
    depth = r["variations"]["depth"]
    _boundary_grid(depth, r["data"], _labels(depth), out)


def width_boundaries(r: dict, out: Path) -> None:
    """Decision boundaries for one hidden layer of 2 to 32 units, three seeds each."""
    width = r["variations"]["width"]
    _boundary_grid(width, r["data"], _labels(width), out)


def init_boundaries(r: dict, out: Path) -> None:
    """Decision boundaries after training from each initialisation, three seeds each."""
    init = r["variations"]["init"]
    _boundary_grid(init, r["data"], _labels(init), out)


def _colours(variation: dict) -> list:
    """An ordered sweep in viridis order; initialisations, which have no order, in the palette."""
    if variation["vary"] == "init":
        return [CYCLE_COLOURS[i % len(CYCLE_COLOURS)] for i in range(len(variation["values"]))]
    return list(plt.get_cmap("viridis")(np.linspace(0, 0.85, len(variation["values"]))))


def _steps(n: int, log: bool) -> np.ndarray:
    """About 400 of the n update numbers, even on a linear or a log axis: enough for a smooth
    curve, and a PDF a tenth the size of one with every update."""
    if log:
        return np.unique(np.geomspace(1, n - 1, 400).astype(int))
    return np.unique(np.linspace(0, n - 1, 400).astype(int))


def _curves(ax, variation: dict, labels: list[str], title: str, legend: bool = True,
            log_x: bool = False) -> None:
    """Median loss over the seeds per swept value, with a band from the lowest to the highest."""
    colours = _colours(variation)
    for runs, label, colour in zip(variation["runs"], labels, colours, strict=True):
        losses = np.array([run["loss"] for run in runs])
        steps = _steps(losses.shape[1], log_x)
        losses = losses[:, steps]
        ax.plot(steps, np.median(losses, axis=0), color=colour, lw=1.2, label=label)
        ax.fill_between(steps, losses.min(axis=0), losses.max(axis=0), color=colour, alpha=0.2,
                        lw=0)
    ax.set_yscale("log")
    ax.set_xlabel("update")
    ax.set_ylabel("mean squared error")
    ax.set_title(title)
    if legend:
        ax.legend(fontsize=7)


def arch_curves(r: dict, out: Path) -> None:
    """Loss curves for the depth and the width sweeps."""
    fig, (left, right) = new_figure(2, height=2.6, layout="constrained", sharey=True)
    for ax, name in ((left, "depth"), (right, "width")):
        variation = r["variations"][name]
        _curves(ax, variation, _labels(variation), name)
    right.set_ylabel("")  # the axes share the left one's
    save(fig, out)


def lr_speed(r: dict, out: Path) -> None:
    """Loss curves per learning rate (log-log), and the updates each seed needs to reach the
    threshold loss."""
    variation = r["variations"]["lr"]
    epochs = len(variation["runs"][0][0]["loss"]) - 1
    threshold = variation["runs"][0][0]["threshold"]
    fig, (left, right) = new_figure(2, height=2.7, layout="constrained")
    _curves(left, variation, [f"lr {label}" for label in _labels(variation)],
            "loss per learning rate", legend=False, log_x=True)
    left.set_xscale("log")
    left.set_xlim(1, epochs)
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center",
               ncol=len(variation["values"]), fontsize=7)
    reached, missed, products = [], [], []
    for lr, runs in zip(variation["values"], variation["runs"], strict=True):
        for run in runs:
            if run["updates_to_threshold"] is None:
                missed.append(lr)
            else:
                reached.append((lr, run["updates_to_threshold"]))
        if all(run["updates_to_threshold"] is not None for run in runs):
            products.append(lr * np.mean([run["updates_to_threshold"] for run in runs]))
    lr, updates = np.array(reached, dtype=float).T
    right.scatter(lr, updates, s=14, color=PALETTE["blue"], alpha=0.7, label="one seed")
    right.scatter(missed, np.full(len(missed), 1.6 * epochs), marker="x", color=PALETTE["red"],
                  label=f"not below {tex_num(threshold)} in {epochs}")
    rates = np.array(variation["values"], dtype=float)
    c = float(np.mean(products))
    right.plot(rates, c / rates, "--", color="gray", lw=1, label=f"{c:.0f} / lr")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("learning rate")
    right.set_ylabel(f"updates until loss $<$ {tex_num(threshold)}")
    right.set_title("convergence speed")
    right.legend(fontsize=7)
    save(fig, out)


def init_curves(r: dict, out: Path) -> None:
    """Loss curves per initialisation, and final loss against the saturated share at the start."""
    variation = r["variations"]["init"]
    labels = _labels(variation)
    fig, (left, right) = new_figure(2, height=2.7, layout="constrained")
    _curves(left, variation, labels, "loss per initialisation")
    for runs, label, colour in zip(variation["runs"], labels, _colours(variation), strict=True):
        right.scatter([100 * run["start"]["saturated"][0] for run in runs],
                      [run["loss"][-1] for run in runs], color=colour, s=18, label=label,
                      edgecolors="black", linewidths=0.4)
    right.set_yscale("log")
    right.set_xlabel("saturated hidden outputs at the start (%)")
    right.set_ylabel("final mean squared error")
    right.set_title("saturation and trainability")
    right.legend(fontsize=7)
    save(fig, out)
