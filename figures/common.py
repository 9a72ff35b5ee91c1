"""The one figure style of every report, and byte-stable saving as vector PDF.

Figures are drawn at the width they are shown (a fraction of the body's `\\textwidth`, read once
from the base template's page geometry), in Computer Modern like the body text, 8-10 pt, with a
colour-blind-safe palette whose curves also differ by line style and marker, so they survive
greyscale printing. Constrained layout places colour bars and labels so that nothing overlaps.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import numpy as np
from cycler import cycler

from report.numbers import mantissa_exponent

matplotlib.use("pdf")
import matplotlib.pyplot as plt  # noqa: E402

# matplotlib's bundled cmr10 has a zero creation date, which fontTools reports on every save.
logging.getLogger("fontTools").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parent.parent
_PAPER_WIDTH_CM = {"a4paper": 21.0, "letterpaper": 21.59}
_CM = {"cm": 1.0, "mm": 0.1, "in": 2.54, "pt": 2.54 / 72.27}


def text_width_in(template: Path = ROOT / "templates" / "base.tex.j2") -> float:
    """`\\textwidth` in inches, from the `geometry` options of the base template.

    Only `paper` and `margin` (or `left`/`right`) are read: those are the options the base
    template uses. Without a geometry line, A4 with geometry's default margins.
    """
    match = re.search(r"\\usepackage\[([^\]]*)\]\{geometry\}", template.read_text())
    options = dict.fromkeys(["a4paper"], "")
    if match:
        options = {k.strip(): v.strip() for k, _, v in
                   (o.partition("=") for o in match.group(1).split(","))}
    paper = next((_PAPER_WIDTH_CM[k] for k in options if k in _PAPER_WIDTH_CM), 21.0)

    def length(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)\s*(cm|mm|in|pt)", text).groups()
        return float(value) * _CM[unit]

    if "margin" in options:
        left = right = length(options["margin"])
    elif "left" in options or "right" in options:
        left = length(options.get("left", options.get("right")))
        right = length(options.get("right", options.get("left")))
    else:
        # geometry's default: the body is 70% of the paper width, centred.
        left = right = 0.15 * paper
    return (paper - left - right) / 2.54


TEXT_WIDTH_IN = text_width_in()
"""The body's \\textwidth in inches: a figure this wide is shown at 100 %, so 9 pt stays 9 pt."""

# Paul Tol's "bright" scheme: distinguishable under the common colour-vision deficiencies.
PALETTE = {
    "blue": "#4477AA", "red": "#EE6677", "green": "#228833", "yellow": "#CCBB44",
    "cyan": "#66CCEE", "purple": "#AA3377", "grey": "#BBBBBB", "black": "#000000",
}
CYCLE_COLOURS = [PALETTE[k] for k in ("blue", "red", "green", "yellow", "cyan", "purple",
                                      "grey")]
LINE_STYLES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]

plt.rcParams.update(
    {
        # Computer Modern, as in the body: matplotlib's bundled cmr10 for text and its
        # "cm" mathtext for formulas. cmr10 has no minus glyph, so ticks are set as mathtext.
        "font.family": "serif",
        "font.serif": ["cmr10", "DejaVu Serif"],
        "mathtext.fontset": "cm",
        "axes.formatter.use_mathtext": True,
        "axes.unicode_minus": True,
        "font.size": 9,
        "axes.titlesize": 9,
        "axes.labelsize": 9,
        "legend.fontsize": 8,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "axes.prop_cycle": cycler(color=CYCLE_COLOURS) + cycler(linestyle=LINE_STYLES),
        "lines.linewidth": 1.2,
        "lines.markersize": 3.5,
        "image.cmap": "viridis",
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        # A legend over a contour plot stays readable on a light, borderless box.
        "legend.frameon": True,
        "legend.framealpha": 0.85,
        "legend.edgecolor": "none",
        "pdf.fonttype": 42,
        # Constrained layout keeps colour bars, labels and titles apart, and the figure keeps
        # the size it was drawn at (no "tight" bounding box that would rescale it on the page).
        "figure.constrained_layout.use": True,
        # Room between panels, so a colour bar's label never touches the next panel's label.
        "figure.constrained_layout.wspace": 0.06,
        "savefig.bbox": None,
        "savefig.pad_inches": 0.02,
    }
)


def new_figure(ncols: int = 1, nrows: int = 1, height: float = 2.6, width: float = 1.0,
               **kwargs):
    """A figure `width` times the text width, `height` inches per row, with its axes.

    Extra keyword arguments go to `plt.subplots` (`sharex`, `layout`, ...).
    """
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=(width * TEXT_WIDTH_IN, height * nrows), **kwargs)


def style(i: int) -> dict:
    """Colour, line style and marker of the i-th curve, for plots that pick them by index."""
    n = len(CYCLE_COLOURS)
    return {"color": CYCLE_COLOURS[i % n], "linestyle": LINE_STYLES[i % n],
            "marker": MARKERS[i % n]}


def tex_num(value: float, digits: int = 2) -> str:
    """A number for a label, in mathtext: `$8.1 \\times 10^{-4}$`, `$10^{-5}$`, `$0.25$`.

    Values from 0.001 to 10 000 are written out (`digits` significant digits); others get a
    power of ten, without the mantissa when it is 1. Never Python's `1e-05`.
    """
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return f"${value:.{digits}g}$"
    mantissa, exponent = mantissa_exponent(value, digits)
    if float(mantissa) in (1.0, -1.0):
        return f"${'-' if value < 0 else ''}10^{{{exponent}}}$"
    return rf"${mantissa} \times 10^{{{exponent}}}$"


def log_axes(ax, x: bool = False, y: bool = True) -> None:
    """Log scale on the axes that span decades, with ticks at the powers of ten."""
    if x:
        ax.set_xscale("log")
    if y:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(False, which="minor")


def image_strip(images: Sequence[np.ndarray], titles: Sequence[str], out: Path, *,
                ncols: int | None = None, height: float = 0.9, vmin: float | None = None,
                vmax: float | None = None, shape: tuple[int, int] | None = None) -> None:
    """Grey images in a row (or rows of `ncols`), each titled, as one figure file."""
    ncols = ncols or len(images)
    nrows = -(-len(images) // ncols)
    fig, axes = new_figure(ncols, nrows, height=height, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles, strict=False):
        image = np.asarray(image)
        ax.imshow(image.reshape(shape) if shape else image, cmap="gray_r", vmin=vmin, vmax=vmax)
        ax.set_title(title, fontsize=8, linespacing=1.1)
    save(fig, out)


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


# --- decision boundaries and curves over seeds (appended by t-lab4) ---------------------------

BOUNDARY_CMAP = "RdBu_r"  # output 0 blue, 1 red, 0.5 white: the boundary sits where colour fades


def class_points(ax, x: np.ndarray, labels: np.ndarray, size: float = 40) -> None:
    """Two-class points in the plane: class 0 blue circles, class 1 red triangles, black edges
    (the markers tell the classes apart in greyscale too)."""
    labels = np.ravel(labels)
    for label, marker, colour in ((0, "o", PALETTE["blue"]), (1, "^", PALETTE["red"])):
        pts = x[labels == label]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, c=colour, edgecolors="black",
                   linewidths=1.0, s=size, zorder=3, label=f"class {label}")


def decision_boundary(ax, axis: np.ndarray, out: np.ndarray, x: np.ndarray, labels: np.ndarray,
                      size: float = 40):
    """A classifier's output in [0, 1] over a square grid (out[row, col] at (axis[col],
    axis[row]), as `model.data.square_grid` lays it out) as filled contours, its 0.5 level as a
    black line, and the points. Returns the contour set, for a colour bar."""
    filled = ax.contourf(axis, axis, out, np.linspace(0, 1, 11), cmap=BOUNDARY_CMAP, vmin=0,
                         vmax=1)
    if out.min() < 0.5 < out.max():  # a constant output has no boundary to draw
        ax.contour(axis, axis, out, [0.5], colors="black", linewidths=1.0)
    class_points(ax, x, labels, size)
    ax.set_aspect("equal")
    ax.grid(False)
    return filled


def boundary_figure(axis: np.ndarray, out: np.ndarray, x: np.ndarray, labels: np.ndarray,
                    title: str, path: Path, size: tuple[float, float] = (3.2, 2.45)) -> None:
    """One decision boundary with its colour bar and a legend of the classes, `size` inches
    (shown at its own size, not the text width)."""
    fig, ax = new_figure()
    fig.set_size_inches(*size)
    filled = decision_boundary(ax, axis, out, x, labels)
    fig.colorbar(filled, ax=ax, ticks=[0, 0.25, 0.5, 0.75, 1]).set_label("network output")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    save(fig, path)


def boundary_grid(panels: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]], x: np.ndarray,
                  labels: np.ndarray, col_titles: Sequence[str], row_titles: Sequence[str],
                  path: Path) -> None:
    """Decision boundaries in rows x columns (panels[row][col] = (axis, out)), e.g. swept
    settings across and seeds down, with square panels and one colour bar."""
    nrows, ncols = len(panels), len(panels[0])
    # Square panels: the height follows from the width each column gets.
    fig, axes = new_figure(ncols, nrows, height=(nrows * 4.5 / ncols + 0.6) / nrows,
                           sharex=True, sharey=True, squeeze=False)
    for (r, c), ax in np.ndenumerate(axes):
        filled = decision_boundary(ax, *panels[r][c], x, labels, size=22)
        ax.tick_params(labelsize=7)
        ax.locator_params(nbins=3)  # small panels: three ticks per axis stay readable
        if r == 0:
            ax.set_title(col_titles[c])
        if c == 0:
            ax.set_ylabel(row_titles[r])
    fig.colorbar(filled, ax=axes, ticks=[0, 0.5, 1], shrink=0.6).set_label("network output")
    save(fig, path)


def sweep_colours(n: int, ordered: bool = True) -> list:
    """Colours for n swept values: viridis order for an ordered sweep (rates, sizes), the
    palette for unordered ones (initialisation schemes)."""
    if ordered:
        return list(plt.get_cmap("viridis")(np.linspace(0, 0.85, n)))
    return [CYCLE_COLOURS[i % len(CYCLE_COLOURS)] for i in range(n)]


def band_curves(ax, curves: Sequence[np.ndarray], labels: Sequence[str],
                colours: Sequence | None = None, *, centre: str = "median",
                log_x: bool = False, points: int = 400) -> None:
    """Per entry of `curves` (an array (seeds, steps), step k at x = k): the median (or mean)
    over the seeds as a line and a band from the lowest to the highest seed.

    About `points` steps are drawn, evenly spread on a linear or (from step 1) a log axis:
    enough for a smooth curve, and a PDF a tenth the size of one with every step.
    """
    colours = colours or sweep_colours(len(curves), ordered=False)
    for values, label, colour in zip(curves, labels, colours, strict=True):
        values = np.asarray(values)
        n = values.shape[1]
        steps = np.unique((np.geomspace(1, n - 1, points) if log_x
                           else np.linspace(0, n - 1, points)).astype(int))
        values = values[:, steps]
        middle = np.median(values, axis=0) if centre == "median" else values.mean(axis=0)
        ax.plot(steps, middle, color=colour, lw=1.2, label=label)
        ax.fill_between(steps, values.min(axis=0), values.max(axis=0), color=colour, alpha=0.2,
                        lw=0)


def loss_panels(loss: Sequence[float], path: Path, ylabel: str = "loss",
                xlabel: str = "update") -> None:
    """One run's loss after every update, on a linear (left) and a log (right) scale, the
    final value marked: the fall and the slow tail both readable."""
    fig, axes = new_figure(2, height=2.3)
    for ax, scale in zip(axes, ("linear", "log"), strict=True):
        ax.plot(np.arange(len(loss)), loss, color=PALETTE["red"], lw=1.2)
        ax.set(yscale=scale, xlabel=xlabel, ylabel=ylabel, title=f"{scale} scale")
    axes[1].annotate(f"final {tex_num(loss[-1])}", (len(loss) - 1, loss[-1]),
                     textcoords="offset points", xytext=(-60, 12), fontsize=8)
    save(fig, path)
