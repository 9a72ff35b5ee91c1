"""The one figure style of every report, and byte-stable saving as vector PDF (filled contours
as an image under vector lines and text).

Figures are drawn at the width they are shown (a fraction of the body's `\\textwidth`, read once
from the base template's page geometry), in Computer Modern like the body text, 8-10 pt, with a
colour-blind-safe palette whose curves also differ by line style and marker, so they survive
greyscale printing. Constrained layout places colour bars and labels so that nothing overlaps.
"""

from __future__ import annotations

import functools
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


def _share_mathtext_layouts() -> None:
    """Lay out each mathtext string once per process, not once per renderer.

    Every tick label is mathtext (see `axes.formatter.use_mathtext` below), and matplotlib's
    pyparsing-based parser takes ~10 ms a label. Its own cache is per renderer and holds 50
    entries, while constrained layout and the PDF writer each use fresh renderers, so the same
    `$\\mathdefault{0.5}$` was parsed anew some six times a figure: about a third of a figure's
    time. The layout depends only on the string, dpi, font and flags (the cache's key), and
    the parser's output type, so one shared cache gives byte-identical PDFs.
    """
    from matplotlib import mathtext

    parse = mathtext.MathTextParser._parse_cached
    layout = getattr(parse, "__wrapped__", None)
    if layout is None:  # not the lru_cache'd method this patch knows: leave matplotlib alone
        return
    parsers: dict[str, mathtext.MathTextParser] = {}

    @functools.lru_cache(4096)
    def shared(output: str, s: str, dpi: float, prop, antialiased: bool, flags: int):
        return layout(parsers[output], s, dpi, prop, antialiased, flags)

    def parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
        parsers.setdefault(self._output_type, self)
        return shared(self._output_type, s, dpi, prop, antialiased, load_glyph_flags)

    mathtext.MathTextParser._parse_cached = parse_cached


_share_mathtext_layouts()

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
        # Hidden ticks are still laid out, for every panel, whenever a title is placed; with
        # none, a strip of 40 images draws a third faster and looks the same to the pixel.
        ax.set(xticks=[], yticks=[])
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
                color=text_colour_on(image.cmap(image.norm(value))))
    ax.set_xticks(range(len(sweep["mbs"])), [str(m) for m in sweep["mbs"]])
    ax.set_yticks(range(len(sweep["lrs"])), [str(v) for v in sweep["lrs"]])
    ax.set_xlabel("minibatch size")
    ax.set_ylabel("learning rate")
    ax.grid(False)
    fig.colorbar(image, ax=ax, label=f"{label}\n(mean of {sweep[key].shape[-1]} seeds)")
    save(fig, out)


RASTER_DPI = 300
"""Resolution of the layers drawn as images (`rasterized=True`: filled contours): print sharp at
the size they are shown; lines, text and axes over them stay vector."""


def lay_out(fig) -> None:
    """Place the figure's axes with its layout engine now, as `savefig` would, and fix them.

    With a layout engine, `savefig` draws the whole figure once with output disabled, only so
    that the engine runs inside that draw, then draws it again for real: every tick, label and
    contour path is prepared twice. Running the engine alone, at the 72 dpi the PDF writer
    lays out at (so text extents round as they do there), places every axes where that draw
    would, and `savefig` then draws once: the PDF is byte for byte the same.
    """
    engine = fig.get_layout_engine()
    if engine is None or not fig.axes:
        return
    dpi = fig.dpi
    fig.dpi = 72
    try:
        engine.execute(fig)
    finally:
        fig.dpi = dpi
    # No engine at all: "none" would leave a placeholder, for which savefig still draws twice.
    with matplotlib.rc_context({"figure.autolayout": False,
                                "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


def warm_up() -> None:
    """Draw and write one small figure with text, mathtext and a legend, to memory.

    The first figure a process draws pays for the font look-ups, the mathtext parser and the
    PDF writer's font subsetting (about 0.2-0.3 CPU-s more than any later one). Called once in
    the build's parent before it forks its report workers, which then start with all of that
    loaded instead of each paying for it again.
    """
    import io

    import matplotlib.pyplot as plt

    fig, ax = new_figure(height=1.0)
    ax.plot([0, 1], [0, 1], label=r"$\sigma(x)$")
    ax.set(xlabel="step", ylabel=r"$\eta_0 d^t$", title="warm-up")
    ax.legend()
    _write_pdf(fig, io.BytesIO())
    plt.close(fig)


def save(fig, path: Path) -> None:
    """Write the figure as PDF without creation dates, then rename it into place."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    _write_pdf(fig, tmp)
    plt.close(fig)
    os.replace(tmp, path)


def _write_pdf(fig, target) -> None:
    """Lay the figure out once and write it as PDF, without creation dates, to `target` (a
    path or a binary file)."""
    lay_out(fig)
    # Only for a figure with an image layer (ours, or the one a colour bar of many colours
    # makes): the dpi is also what imshow's images are resampled to, and a figure without
    # such a layer (the digit strips) keeps its 100 dpi images unchanged.
    rasterized = any(a.get_rasterized() for ax in fig.axes for a in ax.get_children())
    fig.savefig(target, format="pdf", dpi=RASTER_DPI if rasterized else "figure",
                metadata={"CreationDate": None, "ModDate": None})


# --- text on colour, curves over seeds, descent on a 2-D surface -------------------------------


def text_colour_on(rgba: Sequence[float]) -> str:
    """"black" or "white", whichever contrasts more with the colour `rgba` (0-1 channels).

    WCAG's relative luminance L of the sRGB colour decides: black text contrasts more exactly
    when (L + 0.05) / 0.05 > 1.05 / (L + 0.05), i.e. when L > 0.179.
    """
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if luminance > 0.179 else "white"


def band_curve(ax, values: Sequence[Sequence[float]], label: str, i: int = 0,
               x: Sequence[float] | None = None, **line) -> None:
    """`seed_band` over epochs 1, 2, ... (or `x`) with a min..max band, drawn as a plain line
    (no markers): values (seeds, steps), e.g. a loss per epoch for every seed."""
    values = np.asarray(values, dtype=float)
    x = np.arange(1, values.shape[1] + 1) if x is None else x
    seed_band(ax, x, values, i, label, band="range", **({"marker": None} | line))


def curves_figure(out: Path, panels: dict[str, dict[str, Sequence[Sequence[float]]]], *,
                  log: Sequence[str] = (), ylim: dict[str, tuple[float, float]] | None = None,
                  legend: Sequence[str] | None = None, ncols: int | None = None,
                  height: float = 2.5, share_y: Sequence[str] = ()) -> None:
    """Learning curves over seeds, one panel per entry of `panels`, saved to `out`.

    panels: {panel title: {curve label: values (seeds, epochs)}}; every curve is a `band_curve`,
    its style fixed by its position in the panel. Panels named in `log` get a log y axis, in
    `ylim` those y limits; the panels named in `share_y` one y range, from a quarter below
    (on a log scale) their lowest value to a quarter above their highest, so that they read
    against each other (training and validation loss). `legend` names the panels with a legend
    (default: all). `ncols` (default: all panels in one row) wraps the panels into rows that
    share their x axis.
    """
    if share_y:
        values = [np.asarray(v, dtype=float) for p in share_y for v in panels[p].values()]
        shared = (min(map(np.min, values)) / 1.25, 1.25 * max(map(np.max, values)))
        ylim = dict.fromkeys(share_y, shared) | (ylim or {})
    ncols = ncols or len(panels)
    nrows = -(-len(panels) // ncols)
    fig, axes = new_figure(ncols, nrows, height=height, squeeze=False, sharex=True)
    for ax, (title, curves) in zip(axes.flat, panels.items(), strict=True):
        for i, (label, values) in enumerate(curves.items()):
            band_curve(ax, values, label, i)
        if title in log:
            log_axes(ax)
        ax.set_ylim(*(ylim or {}).get(title, (None, None)))
        ax.set_title(title)
        if legend is None or title in legend:
            ax.legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    save(fig, out)


View = tuple[tuple[float, float], tuple[float, float]]


def in_view(view: View, x: float, y: float) -> bool:
    """Whether the point (x, y) lies inside `view` ((x0, x1), (y0, y1))."""
    (x0, x1), (y0, y1) = view
    return x0 <= x <= x1 and y0 <= y <= y1


def draw_surface(ax, fn, minima: Sequence[dict], view: View, *, top: float | None = None,
                 colorbar: bool = True, n_levels: int = 31) -> None:
    """Filled contours of the 2-D function `fn(x, y)` over `view` ((x0, x1), (y0, y1)), with
    its `minima` (dicts with x, y; the first is the global one) marked.

    The colours run from the lowest value in view to `top` (default: the highest), so a view
    of the basins is not washed out by the rim; values above `top` share the last colour.
    """
    (x0, x1), (y0, y1) = view
    xx, yy = np.meshgrid(np.linspace(x0, x1, 281), np.linspace(y0, y1, 221))
    zz = fn(xx, yy)
    levels = np.linspace(zz.min(), zz.max() if top is None else top, n_levels)
    # The fills as an image: some 300 polygons of thousands of vertices each were most of the
    # figure's PDF (and of what LaTeX reads); the contour lines over them stay vector.
    filled = ax.contourf(xx, yy, zz, levels, cmap="viridis", extend="max", rasterized=True)
    ax.contour(xx, yy, zz, levels, colors="black", linewidths=0.2, alpha=0.4)
    if colorbar:
        from matplotlib.ticker import MaxNLocator

        ax.figure.colorbar(filled, ax=ax, fraction=0.046, pad=0.03, label="f(x, y)",
                           ticks=MaxNLocator(6))
    others = [m for m in minima[1:] if in_view(view, m["x"], m["y"])]
    if others:  # a zoomed view without them keeps them out of the legend too
        ax.plot([m["x"] for m in others], [m["y"] for m in others], "o", color="white",
                markeredgecolor="black", markersize=4, linestyle="none", label="local minima")
    ax.plot(minima[0]["x"], minima[0]["y"], marker="*", color="white", markersize=11,
            markeredgecolor="black", linestyle="none", label="global minimum")
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y", aspect="equal")
    ax.grid(False)


def draw_path(ax, run: dict, *, start: bool = True, last: int = 0) -> None:
    """A descent path (run x_hist, y_hist) as dots joined by lines; its start, and its `last`
    points (the cycle a run ends in, say), marked."""
    ax.plot(run["x_hist"], run["y_hist"], ".-", color=PALETTE["red"], markersize=3, lw=0.8,
            label="path")
    if start:
        ax.plot(run["x_hist"][0], run["y_hist"][0], "o", color=PALETTE["red"], label="start")
    if last:
        ax.plot(run["x_hist"][-last:], run["y_hist"][-last:], "o", color=PALETTE["green"],
                markeredgecolor="black", linestyle="none", label=f"last {last} points")


def draw_objective(ax, runs: dict[str, dict], f_min: float, *, gap: bool = False,
                   linthresh: float | None = None) -> None:
    """f after each step of every run ({label: run with f_hist}), against the global minimum.

    With `gap`, f - f_min on a log axis (how far from the minimum); otherwise f itself with
    f_min as a dashed line. `linthresh` makes the step axis logarithmic past that step (the
    default does so past step 1 for runs longer than 100 steps, whose first steps would
    otherwise be squeezed against the axis).
    """
    for i, (label, run) in enumerate(runs.items()):
        values = np.array(run["f_hist"]) - (f_min if gap else 0.0)
        ax.plot(values, ".-", color=style(i + 1)["color"], markersize=3, lw=0.8, label=label)
    n = max(len(run["f_hist"]) for run in runs.values())
    linthresh = linthresh or (1 if n > 101 else None)
    if linthresh:
        ax.set_xscale("symlog", linthresh=linthresh)
        ax.set_xlim(0, n - 1)
    if gap:
        log_axes(ax)
    else:
        ax.axhline(f_min, color="black", ls="--", lw=0.8, label="global minimum")
    ax.set(xlabel="step", ylabel="f - global minimum" if gap else "f")
    ax.legend()


def run_title(run: dict) -> str:
    """A descent run's settings in a few words: "step 0.1, 10 steps", or "decaying step from
    0.2, 50 steps" when its step size decays."""
    step = "step" if run["decay"] == 1 else "decaying step from"
    return f"{step} {run['step_size']}, {run['steps']} steps"


def descent_figure(out: Path, fn, minima: Sequence[dict], runs: Sequence[dict], *,
                   titles: Sequence[str] | None = None, view: View = ((-3, 4), (-2.5, 3)),
                   top: float | None = 25, objective: bool = True, last: int = 0,
                   linthresh: float | None = None, ylim: tuple[float, float] | None = None,
                   height: float = 2.8) -> None:
    """Gradient descent on `fn`: each run's path on the contours (`draw_surface`, `draw_path`),
    titled by `titles`; with `objective` (one run), f per step beside it (`draw_objective`),
    titled by the next title, within `ylim` if given. `last` marks a run's last points. The
    default titles are each run's `run_title`, and its final f over the objective panel.
    """
    titles = titles or [*map(run_title, runs), f"final $f = {runs[-1]['f']:.4f}$"]
    if objective and len(runs) != 1:
        raise ValueError(f"the objective panel is drawn for one run, not {len(runs)}")
    fig, axes = new_figure(len(runs) + objective, height=height, squeeze=False)
    for ax, run, title in zip(axes[0], runs, titles, strict=False):
        draw_surface(ax, fn, minima, view, top=top, colorbar=objective)
        draw_path(ax, run, start=objective and in_view(view, run["x_hist"][0], run["y_hist"][0]),
                  last=last)
        ax.set_title(title)
        if objective:
            ax.legend(loc="lower left", fontsize=7)
    if objective:
        draw_objective(axes[0, 1], {"f after each step": runs[0]}, minima[0]["f"],
                       linthresh=linthresh)
        axes[0, 1].set(title=titles[1], ylim=ylim)
    save(fig, out)


def error_vs_step(out: Path, steps: Sequence[float], errors: dict[str, Sequence[float]], *,
                  ylabel: str, mark_best: str | None = None, height: float = 2.8,
                  refs: Sequence[tuple[str, float, str]] = ()) -> None:
    """Finite-difference error against the step on log-log axes, one curve per entry of
    `errors` ({label: error per step}); `mark_best` circles that curve's smallest error, and
    each of `refs` ("x" or "y", value, label) is a labelled reference line: a dashed vertical
    one at a step (the checker's), a dotted horizontal one at an error (a tolerance)."""
    fig, ax = new_figure(height=height)
    for i, (label, values) in enumerate(errors.items()):
        ax.loglog(steps, values, ".-", color=CYCLE_COLOURS[i], label=label)
    for axis, value, label in refs:
        line = ax.axvline if axis == "x" else ax.axhline
        line(value, color="black", ls="--" if axis == "x" else ":", lw=0.8, label=label)
    if mark_best is not None:
        best = int(np.argmin(errors[mark_best]))
        ax.plot(steps[best], errors[mark_best][best], "o", mfc="none", ms=10, color="black",
                label=rf"best {mark_best}: $\epsilon$ = {tex_num(steps[best], 1)}")
    log_axes(ax, x=True)
    ax.set(xlabel=r"step $\epsilon$", ylabel=ylabel)
    ax.legend()
    save(fig, out)


def function_panels(out: Path, panels: dict[str, object], x: np.ndarray, *, ncols: int = 2,
                    height: float = 1.9) -> None:
    """Functions of one variable, one panel each ({title: fn}, fn elementwise on x), in rows
    of `ncols` sharing their x axis; a panel's colour follows its column."""
    nrows = -(-len(panels) // ncols)
    fig, axes = new_figure(ncols, nrows, height=height, squeeze=False, sharex=True)
    for k, (ax, (title, fn)) in enumerate(zip(axes.flat, panels.items(), strict=False)):
        ax.plot(x, fn(x), color=CYCLE_COLOURS[k % ncols])
        ax.set_title(title)
    for ax in axes[-1]:
        ax.set_xlabel("x")
    save(fig, out)


# --- decision boundaries and curves over seeds ------------------------------------------------

BOUNDARY_CMAP = "RdBu_r"  # output 0 blue, 1 red, 0.5 white: the boundary sits where colour fades


def class_points(ax, x: np.ndarray, labels: np.ndarray, size: float = 40, **kwargs) -> None:
    """Two-class points in the plane: class 0 blue circles, class 1 red triangles, black edges
    (the markers tell the classes apart in greyscale too). Keyword arguments go to `scatter`
    (`linewidths=0` and `zorder=1` for a cloud of thousands of tiny points under a contour)."""
    labels = np.ravel(labels)
    for label, marker, colour in ((0, "o", PALETTE["blue"]), (1, "^", PALETTE["red"])):
        pts = x[labels == label]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, c=colour, label=f"class {label}",
                   **{"edgecolors": "black", "linewidths": 1.0, "s": size, "zorder": 3} | kwargs)


def decision_boundary(ax, axis: np.ndarray, out: np.ndarray, x: np.ndarray, labels: np.ndarray,
                      size: float = 40, rasterized: bool = True):
    """A classifier's output in [0, 1] over a square grid (out[row, col] at (axis[col],
    axis[row]), as `model.data.square_grid` lays it out) as filled contours (an image with
    `rasterized`, else paths), its 0.5 level as a black line, and the points. Returns the
    contour set, for a colour bar."""
    filled = ax.contourf(axis, axis, out, np.linspace(0, 1, 11), cmap=BOUNDARY_CMAP, vmin=0,
                         vmax=1, rasterized=rasterized)
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
                           squeeze=False)
    for (r, c), ax in np.ndenumerate(axes):
        # Paths, not an image: each panel's image is drawn on a canvas of the whole figure
        # at 300 dpi, which for a dozen panels cost a quarter more CPU than writing the paths.
        filled = decision_boundary(ax, *panels[r][c], x, labels, size=22, rasterized=False)
        ax.tick_params(labelsize=7)
        ax.locator_params(nbins=3)  # small panels: three ticks per axis stay readable
        if r == 0:
            ax.set_title(col_titles[c])
        if c == 0:
            ax.set_ylabel(row_titles[r])
    # What sharex/sharey would show (one view for all, tick labels on the outer panels only),
    # without linking the panels: every limit change of a shared axis visits all its
    # siblings, which made a 3 x 5 grid spend a third of its time there.
    (x0, x1), (y0, y1) = [(min(v[0] for v in lims), max(v[1] for v in lims))
                          for lims in ([ax.get_xlim() for ax in axes.flat],
                                       [ax.get_ylim() for ax in axes.flat])]
    for ax in axes.flat:
        ax.set(xlim=(x0, x1), ylim=(y0, y1))
        ax.label_outer()
    fig.colorbar(filled, ax=axes, ticks=[0, 0.5, 1], shrink=0.6).set_label("network output")
    save(fig, path)


def sweep_colours(n: int, ordered: bool = True) -> list:
    """Colours for n swept values: viridis order for an ordered sweep (rates, sizes), the
    palette for unordered ones (initialisation schemes)."""
    if ordered:
        return list(matplotlib.colormaps["viridis"](np.linspace(0, 0.85, n)))
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
        seed_band(ax, steps, values[:, steps], label=label, band="range", centre=centre,
                  color=colour, lw=1.2, linestyle="-", marker=None)


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


# --- curves over seeds (t-mnist): a mean line with its band ------------------------------------

def moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean over a sliding window of `window` values (the valid part: len - window + 1)."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


def seed_band(ax, x: np.ndarray, runs: np.ndarray, i: int = 0, label: str = "",
              band: str = "std", floor: float | None = None, centre: str = "mean",
              **line) -> None:
    """The mean (or, with `centre="median"`, the median) over seeds (axis 0 of `runs`, shape
    (seeds, len(x))) as curve `style(i)`, with a shaded band: one standard deviation around
    the mean (`band="std"`) or lowest to highest seed (`band="range"`). `floor` keeps the
    band's lower edge above it (for log axes); extra keyword arguments go to the line (`lw`,
    `marker=None`, ...)."""
    runs = np.asarray(runs, dtype=np.float64)
    mean = runs.mean(axis=0)
    low, high = ((mean - runs.std(axis=0), mean + runs.std(axis=0)) if band == "std"
                 else (runs.min(axis=0), runs.max(axis=0)))
    middle = np.median(runs, axis=0) if centre == "median" else mean
    kw = {k: v for k, v in style(i).items() if not (k == "linestyle" and "ls" in line)} | line
    (mean_line,) = ax.plot(x, middle, label=label, **kw)
    if len(runs) > 1:  # one seed has no spread to shade
        ax.fill_between(x, low if floor is None else np.maximum(low, floor), high,
                        color=mean_line.get_color(), alpha=0.2, lw=0)


def train_test_curves(ax, train: Sequence[float], test_steps: Sequence[int],
                      test: Sequence[float], per_epoch: int, start: int = 0) -> None:
    """A run's training curve (one value per step, the step's mini-batch) and its test curve
    (values after the steps `test_steps`), from step `start` on, with dotted epoch boundaries
    every `per_epoch` steps."""
    steps = np.arange(1, len(train) + 1)
    ax.plot(steps[start:], train[start:], color=PALETTE["blue"], lw=0.6, alpha=0.6,
            label="training (the step's mini-batch)")
    keep = np.asarray(test_steps) > start
    ax.plot(np.asarray(test_steps)[keep], np.asarray(test)[keep], color=PALETTE["red"], lw=1.4,
            ls="--", label="test (all test images)")
    for boundary in range(per_epoch, len(steps), per_epoch):
        ax.axvline(boundary, color="grey", lw=0.6, ls=":")
    ax.set_xlim(start, len(steps))
    ax.set_xlabel("step (dotted: epoch boundaries)")


# --- a noisy per-step curve read through its running mean -----------------------------------------

def smoothed_curve(ax, values: Sequence[float], window: int, label: str, *,
                   raw: str | None = None, per_x: float = 1.0, **line) -> None:
    """A per-step curve too noisy to read (the loss of each batch or instance) as its
    `moving_mean` over `window` steps, step k drawn at x = k / per_x (1000: thousands of steps);
    with `raw` (its label), the steps themselves as a thin grey line beneath. Other keyword
    arguments go to the mean's line."""
    values = np.asarray(values, dtype=np.float64)
    if raw is not None:
        ax.plot(np.arange(1, len(values) + 1) / per_x, values, color=PALETTE["grey"], lw=0.3,
                label=raw)
    ax.plot(np.arange(window, len(values) + 1) / per_x, moving_mean(values, window), label=label,
            **line)


# --- a sample's histogram against the normal density it should follow --------------------------

def histogram_vs_normal(ax, density: Sequence[float], edges: Sequence[float], var: float,
                        label: str) -> None:
    """Bars of a density histogram (`np.histogram(..., density=True)`: `density` per bin, bin
    `edges`) labelled `label`, under the N(0, var) density drawn at the bin centres, so an
    initialiser's samples read against the distribution it should draw from."""
    edges = np.asarray(edges, dtype=float)
    centres = (edges[:-1] + edges[1:]) / 2
    ax.bar(centres, density, width=np.diff(edges), color=PALETTE["blue"], alpha=0.6, label=label)
    ax.plot(centres, np.exp(-centres**2 / (2 * var)) / np.sqrt(2 * np.pi * var), color="black",
            lw=1, label=f"N(0, {var:g}) density")


# --- how many steps each seed needs, per swept value --------------------------------------------

def threshold_scatter(ax, values: Sequence[float], curves: Sequence[np.ndarray], threshold: float,
                      name: str = "lr", steps: str = "updates") -> None:
    """Per swept value (`name`, e.g. a learning rate), on log-log axes: the step at which each
    seed's curve (curves[k], an array (seeds, steps + 1)) first gets below `threshold`, one dot
    per seed; a cross above the last step for a seed that never does; and, dashed, c / value,
    c being value x mean step averaged over the values whose every seed gets there."""
    from model.diagnostics import first_below, inverse_law

    last = np.shape(curves[0])[1] - 1
    hits = {v: [first_below(c, threshold) for c in runs]
            for v, runs in zip(values, curves, strict=True)}
    reached = [(v, n) for v, ns in hits.items() for n in ns if n is not None]
    missed = [v for v, ns in hits.items() for n in ns if n is None]
    ax.scatter(*zip(*reached, strict=True), s=14, color=PALETTE["blue"], alpha=0.7,
               label="one seed")
    ax.scatter(missed, np.full(len(missed), 1.6 * last), marker="x", color=PALETTE["red"],
               label=f"not below {tex_num(threshold)} in {last}")
    c = inverse_law(values, [None if None in ns else ns for ns in hits.values()])["c"]
    x = np.array(values, dtype=float)
    ax.plot(x, c / x, "--", color="gray", lw=1, label=f"{c:.0f} / {name}")
    ax.set(xscale="log", yscale="log", ylabel=f"{steps} until loss $<$ {tex_num(threshold)}")
    ax.legend(fontsize=7)


def schedules_figure(out: Path, runs: dict[str, dict], f_min: float, height: float = 2.5) -> None:
    """Step-size schedules side by side ({label: a `model.optim2d.descend` run, which keeps
    its `etas`}): every step's size on a log axis (left), and each run's distance from the
    global minimum `f_min` after every step (right, `draw_objective`)."""
    fig, (left, right) = new_figure(2, height=height)
    for i, (label, run) in enumerate(runs.items()):
        # The colours of draw_objective's curves, so each schedule keeps its colour.
        left.semilogy(run["etas"], ".-", color=style(i + 1)["color"], label=label)
    left.set(xlabel="step t", ylabel="step size", title="step size per step")
    left.legend()
    draw_objective(right, runs, f_min, gap=True)
    right.set_title("distance from the global minimum")
    save(fig, out)
