"""Figures of hw2-mnist; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from figures import common as fc
from model.gradcheck import SMOOTH_BAND, H

DIGIT = {0: "3", 1: "9"}  # hw2's labels: a 3 is class 0, a 9 is class 1


def fd_eps(r: dict, out: Path) -> None:
    """§1.2 (a): relative error of the checker against back-propagation, over the step."""
    fc.error_vs_step(out, r["toy"]["eps"], {"central differences": r["toy"]["error"]},
                     ylabel="relative error", height=2.2,
                     refs=[("x", H, f"the checker's step, {fc.tex_num(H, 1)}"),
                           ("y", SMOOTH_BAND, f"relative error {fc.tex_num(SMOOTH_BAND, 1)}")])


def loss_curves(r: dict, out: Path) -> None:
    """§1.3 (e)(i): mini-batch training loss and test loss after every step (log scale)."""
    rec, fig, ax = r["main"]["curve"]["record"], *fc.new_figure(height=2.6)
    fc.train_test_curves(ax, rec["train_loss"], rec["test_step"], rec["test_loss"],
                         r["main"]["curve"]["steps_per_epoch"])
    fc.log_axes(ax)
    ax.set_ylabel("mean logistic loss")
    ax.legend(fontsize=8)
    fc.save(fig, out)


def accuracy_curves(r: dict, out: Path) -> None:
    """§1.3 (e)(ii): mini-batch training and test accuracy after every step; the right panel
    zooms in on the steps after the first epoch."""
    rec, per_epoch = r["main"]["curve"]["record"], r["main"]["curve"]["steps_per_epoch"]
    fig, axes = fc.new_figure(2, height=2.5)
    for ax, start in zip(axes, (0, per_epoch), strict=True):
        fc.train_test_curves(ax, rec["train_acc"], rec["test_step"], rec["test_acc"], per_epoch,
                             start)
    axes[0].set_xscale("log")  # the first epoch's rise, spread out
    axes[0].set(xlim=(1, len(rec["train_acc"])), ylabel="accuracy", title="all steps",
                xlabel="step (log scale; dotted: epoch boundaries)")
    axes[1].set(title="after the first epoch (zoomed)", ylim=(0.94, 1.0005))
    axes[0].legend(loc="lower right", fontsize=7)
    fc.save(fig, out)


def misclassified(r: dict, out: Path) -> None:
    """§1.3 (e)(iii): every test image the trained network gets wrong, 3s first."""
    curve = r["main"]["curve"]
    y, p = curve["test_y"][curve["wrong"]], curve["test_p"][curve["wrong"]]
    order = np.lexsort((p, y))
    fc.image_strip([curve["wrong_images"][i] for i in order],
                ["\n".join((f"a {DIGIT[int(y[i])]}", f"p(9) = {p[i]:.2f}")) for i in order],
                out, ncols=8, height=1.0, vmin=0, vmax=1)


def big_step(r: dict, out: Path) -> None:
    """§1.3 (e)(iv): step size 10 against 0.1: mini-batch loss (step size 10: mean over seeds,
    band from the lowest to the highest) and test accuracy of every run."""
    main, runs = r["main"]["curve"]["record"], r["big_step"]["runs"]
    line = {"marker": None}
    fig, axes = fc.new_figure(2, height=2.5)
    fc.band_curve(axes[0], [main["train_loss"]], "step size 0.1", 0, lw=0.5)
    fc.band_curve(axes[0], [run["record"]["train_loss"] for run in runs],
                  f"step size 10, {len(runs)} seeds", 1, lw=0.7)
    axes[1].plot(main["test_step"], main["test_acc"], label="step size 0.1", **fc.style(0) | line)
    for i, run in enumerate(runs, start=1):
        axes[1].plot(run["record"]["test_step"], run["record"]["test_acc"], lw=0.8,
                     label=f"step size 10, seed {run['seed']}", **fc.style(i) | line)
    fc.log_axes(axes[0], x=True)
    axes[1].set_xscale("log")
    axes[0].set(ylabel="training loss (mini-batch)", xlabel="step (log scale)")
    axes[1].set(ylabel="test accuracy", xlabel="step (log scale)")
    axes[0].legend(loc="lower right", fontsize=7)
    axes[1].legend(loc="center right", fontsize=7)
    fc.save(fig, out)


def memorise(r: dict, out: Path) -> None:
    """§1.3 (f): training accuracy on 100 random images after every full-batch step (mean over
    seeds, band from the lowest to the highest seed)."""
    fig, ax = fc.new_figure(height=2.8)
    for i, run in enumerate(r["memorise"]["runs"]):
        fc.band_curve(ax, [s["acc"] for s in run["seeds"]], run["label"], i,
                      marker=fc.style(i)["marker"], ms=3)
    ax.set(xscale="log", xlabel="full-batch steps (log scale)", ylabel="training accuracy")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    fc.save(fig, out)
