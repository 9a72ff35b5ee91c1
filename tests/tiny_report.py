"""A report small enough to build in a couple of seconds, for testing the pipeline itself."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from figures.common import new_figure, save
from model import Identity, Linear, Net
from model.data import load_mnist
from model.losses import MSE
from model.train import Diverged, fit
from report.spec import Experiment, FigureSpec, Report, claim


def square(config: dict) -> dict:
    return {"value": config["x"] ** 2, "runs": 1}


def tiny_plot(r: dict, out: Path) -> None:
    fig, ax = new_figure(height=1.5)
    ax.plot([0, 1], [0, r["tiny"]["value"]])
    save(fig, out)


def pid_plot(r: dict, out: Path) -> None:
    """`tiny_plot`, leaving the id of the process that drew it beside the figure."""
    tiny_plot(r, out)
    out.with_suffix(".pid").write_text(str(os.getpid()))


def broken_plot(r: dict, out: Path) -> None:
    """A figure with a programming error on its second line."""
    scale = r["tiny"]["value"] / 0
    raise AssertionError(scale)


def context(r: dict) -> dict:
    claim(r["tiny"]["value"] > 1, "the square exceeds one")
    return {}


TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = (TEMPLATE_DIR / "tiny.tex.j2").read_text()


def make_report(x: float = 1.5, template_dir: Path = TEMPLATE_DIR) -> Report:
    """The tiny report; `template_dir` holds its `tiny.tex.j2` (tests pass broken copies)."""
    return Report(
        id="tiny",
        title="Tiny report",
        template="tiny.tex.j2",
        experiments=(Experiment("tiny", square, {"x": x, "seed": 7}),),
        figures=(FigureSpec("tiny_fig", tiny_plot, ("tiny",)),),
        context=context,
        template_dirs=(template_dir,),
    )


def slow_square(config: dict) -> dict:
    """`square`, slowly, announcing its start in $TINY_MARKER so a test can kill it mid-run."""
    marker = os.environ.get("TINY_MARKER")
    if marker:
        Path(marker).write_text("started")
    time.sleep(config["sleep"])
    return square(config)


def train_to_divergence(config: dict) -> dict:
    """A linear regression with a learning rate far too large: its loss overflows."""
    rng = np.random.default_rng(config["seed"])
    x = rng.normal(size=(64, 3))
    net = Net([Linear(3, 1, rng=rng), Identity()])
    history = fit(net, MSE(), x, x @ np.ones((3, 1)), epochs=50, lr=config["lr"],
                  batch_size=16, seed=config["seed"], progress=False)
    return {"value": history.epoch_loss[-1]}


def load_digits_of_mnist(config: dict) -> dict:
    (x, _), _, _ = load_mnist(final=True)
    return {"value": float(x.shape[0])}


def make_variant(fn, config: dict) -> Report:
    """The tiny report with its experiment replaced by `fn(config)`."""
    base = make_report()
    return replace(base, experiments=(Experiment("tiny", fn, config),), context=lambda r: {})


def divergence_is_expected(config: dict) -> dict:
    """A run the report expects to diverge: the build records where it stopped and goes on."""
    try:
        return {"value": train_to_divergence(config)["value"], "diverged": None}
    except Diverged as err:
        return {"value": float("nan"), "diverged": {"step": err.step, "epoch": err.epoch,
                                                    "lr": err.lr}}


def _sleep_and_report_pid(seconds: float) -> int:
    marker = os.environ.get("TINY_MARKER")
    if marker:
        Path(marker).with_name(f"worker-{os.getpid()}").write_text("started")
    time.sleep(seconds)
    return os.getpid()


def slow_in_workers(config: dict) -> dict:
    """Two joblib workers that sleep; each announces its pid next to $TINY_MARKER."""
    import joblib

    pids = joblib.Parallel(n_jobs=2)(joblib.delayed(_sleep_and_report_pid)(config["sleep"])
                                     for _ in range(2))
    return {"value": float(len(set(pids))) + 1, "runs": 1}
