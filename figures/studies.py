"""Whole figures of studies several reports run the same way, named in a `FigureSpec` as they
are: §1.1's gradient descent on `model.optim2d.f`, the activations of `model.functional`, a
strip of `model.data.digits_overview`'s digits.

Apart from `figures.common` because they read the model: a figure's cache key covers the
modules its code imports, and every figure imports `figures.common`, which therefore imports
nothing of the model (an edit of `model.optim2d` redraws these figures, not every figure).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures.common import (
    accuracy_heatmap,
    curves_figure,
    descent_figure,
    function_panels,
    image_strip,
)
from model.functional import relu, relu_grad, sigmoid, sigmoid_grad
from model.optim2d import f
from model.runstats import phase_panels, setting_panels


def gd_path(r: dict, out: Path) -> None:
    """One gradient-descent run on `model.optim2d.f` beside the minima on the contours, and f
    after each step: `r` holds "minima" (`find_minima`) and one run under any name (`run_gd`,
    or a `run_gd_grid` grid, of which its best run is drawn)."""
    (run,) = (value for name, value in r.items() if name != "minima")
    descent_figure(out, f, r["minima"]["minima"], [run.get("best", run)])


def gd_step_sizes(r: dict, out: Path) -> None:
    """The paths of `model.optim2d.run_gd_compare` (too small, good, too large a step, say)
    side by side, each titled by its step size and final f: `r` holds "minima" and the runs."""
    (runs,) = (value for name, value in r.items() if name != "minima")
    descent_figure(
        out, f, r["minima"]["minima"], list(runs.values()), objective=False, height=2.2,
        titles=[f"step {eta}: final $f = {run['f']:.3f}$" for eta, run in runs.items()])


def sigmoid_relu_panels(r: dict, out: Path) -> None:
    """The sigmoid and the ReLU and their gradients (`model.functional`), 2 x 2, over
    [-10, 10]; `r` is not read (the figure depends on the code alone)."""
    function_panels(out, {"sigmoid": sigmoid, "ReLU": relu, "sigmoid gradient": sigmoid_grad,
                          "ReLU gradient": relu_grad}, np.linspace(-10, 10, 401))


def digits_strip(r: dict, out: Path) -> None:
    """The first ten 8 x 8 digits with their binary labels: `r` holds one
    `model.data.digits_overview` result, under any name."""
    (stats,) = r.values()
    image_strip(stats["first_ten"], [f"label {int(y)}" for y in stats["first_ten_labels"]],
                out, shape=(8, 8))


def sweep_heatmap(r: dict, out: Path, key: str, label: str) -> None:
    """The mean over seeds of `key` (the final validation or test accuracy, named `label`) over
    learning rate x minibatch size: `r` holds one `report.sweep.grid_arrays` sweep over
    `LR_MB_SEED`, under any name."""
    (sweep,) = r.values()
    accuracy_heatmap(sweep, key, label, out)


def learning_curves(r: dict, out: Path, phases: tuple[tuple[str, str], ...],
                    pick: str | None = None, **options) -> None:
    """BCE loss (log axis) and accuracy per epoch, a panel each, a curve per phase ((label,
    history prefix): ("validation", "val") for the history val_loss, val_acc); over seeds, a
    mean with its range. `r` holds one result: a run, a list of runs, or with `pick` the entry
    of a dict of runs lists (`variants`, "64-32-1"). Options go to `curves_figure`."""
    (runs,) = r.values()
    runs = runs[pick] if pick is not None else runs
    panels = phase_panels(runs if isinstance(runs, list) else [runs], phases,
                          (("BCE loss", "loss"), ("accuracy", "acc")))
    curves_figure(out, panels, log=["BCE loss"], **options)


def labelled_images(r: dict, out: Path, title: str = "{}", **options) -> None:
    """Images in a row, each titled `title.format(label)`: `r` holds one result, under any name,
    with its `images` and their `labels` (the first training images of a data set, say).
    Options go to `image_strip` (`height`, `vmin`, `vmax`)."""
    (result,) = r.values()
    image_strip(result["images"], [title.format(int(v)) for v in result["labels"]], out, **options)


def setting_curves(r: dict, out: Path, keys: tuple[tuple[str, str], ...], **options) -> None:
    """Learning curves of several settings side by side, a panel per (title, history key) of
    `keys` and in it a curve per setting (mean, band from the lowest to the highest seed): `r`
    holds one {setting: runs} result (`report.sweep.each_over_seeds`: every architecture, say).
    Options go to `curves_figure` (`log`, `legend`, `height`)."""
    (settings,) = r.values()
    curves_figure(out, setting_panels(settings, keys), **options)
