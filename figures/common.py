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

# pyplot is imported by the functions that draw, not here: a build that imports a report (to
# read its cached results, or to render its text) draws nothing, and pyplot alone costs a
# second of start-up. The backend and the style below need only `matplotlib`.
matplotlib.use("pdf")

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

matplotlib.rcParams.update(
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
    import matplotlib.pyplot as plt

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
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    plt.close(fig)
    os.replace(tmp, path)
