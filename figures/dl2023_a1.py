"""Figures of dl2023-a1; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures import common
from model.functional import relu, relu_grad, sigmoid, sigmoid_grad
from model.optim2d import f


def gd_path(r: dict, out: Path) -> None:
    """§1.1 (b), (d) and (h): the one run in `r` beside the minima (of a grid, its best run) on
    the contours, and f after each step."""
    (run,) = (value for name, value in r.items() if name != "minima")
    common.descent_figure(out, f, r["minima"]["minima"], [run.get("best", run)])



def gd_step_sizes(r: dict, out: Path) -> None:
    """§1.1 (e): paths for a too small, a good and a too large step size, side by side."""
    runs = r["gd_compare"]
    common.descent_figure(
        out, f, r["minima"]["minima"], list(runs.values()), objective=False, height=2.2,
        titles=[f"step {eta}: final $f = {run['f']:.3f}$" for eta, run in runs.items()])


def fd_eps(r: dict, out: Path) -> None:
    """§1.2 (d): error of finite differences against the step size, on log-log axes."""
    run = r["fd_eps"]
    errors = {f"{kind} difference": run[kind] for kind in ("central", "forward")}
    common.error_vs_step(out, run["eps"], errors, ylabel=r"largest $|$numerical $-$ exact$|$",
                         mark_best="central difference")


def activations(r: dict, out: Path) -> None:
    """§1.2 (g): the sigmoid and ReLU and their gradients, 2 x 2."""
    common.function_panels(out, {"sigmoid": sigmoid, "ReLU": relu, "sigmoid gradient": sigmoid_grad,
                                 "ReLU gradient": relu_grad}, np.linspace(-10, 10, 401))


def digits_strip(r: dict, out: Path) -> None:
    """§1.6: the first ten digits of the data set, with their binary labels."""
    stats = r["digits_stats"]
    common.image_strip(stats["first_ten"], [f"label {int(y)}" for y in stats["first_ten_labels"]],
                       out, shape=(8, 8))


def sweep_heatmap(r: dict, out: Path) -> None:
    """§1.6 (c): mean final test accuracy over learning rate x minibatch size."""
    common.accuracy_heatmap(r["sweep"], "test_acc", "test accuracy", out)


def curves_tuned(r: dict, out: Path) -> None:
    """§1.6 (b): learning curves of the tuned 64-32-1 network."""
    run, phases = r["tuned"], ("train", "test")
    common.curves_figure(out, {title: {phase: [run[f"{phase}_{key}"]] for phase in phases}
                               for title, key in (("BCE loss", "loss"), ("accuracy", "acc"))},
                         log=["BCE loss"], height=2.4)


def curves_variants(r: dict, out: Path) -> None:
    """§1.6 (d)-(i): learning curves of every architecture (mean over seeds, band = min..max)."""
    common.curves_figure(out, {title: {arch: [run[key] for run in runs]
                                       for arch, runs in r["variants"].items()}
                               for title, key in (("training loss", "train_loss"),
                                                  ("test accuracy", "test_acc"))},
                         log=["training loss"], legend=["test accuracy"], height=2.7)
