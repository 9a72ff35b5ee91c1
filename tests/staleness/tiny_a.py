"""A small report for tests/test_staleness.py: copied into report/assignments/ of a project copy."""

from __future__ import annotations

from figures.tiny_a import tiny_a_fig
from model.tiny_extra import offset
from report.assignments.tiny_helpers import double

from model.data import read_mnist
from report.spec import Experiment, FigureSpec, Report

PLAIN = {"x": 1.5}


def run_plain(config: dict) -> dict:
    return {"value": double(config["x"]) ** 2}


def run_extra(config: dict) -> dict:
    return {"value": offset() + config["x"]}


def run_inner(config: dict) -> dict:
    from model.tiny_inner import SCALE

    return {"value": SCALE * config["x"]}


def run_mnist(config: dict) -> dict:
    _, train_labels, _, _ = read_mnist(download=False)
    return {"value": int(train_labels.sum())}


REPORT = Report(
    id="tiny-a",
    title="Tiny report A",
    template="tiny-a.tex.j2",
    experiments=(
        Experiment("plain", run_plain, PLAIN),
        Experiment("extra", run_extra, {"x": 1.0}),
        Experiment("inner", run_inner, {"x": 1.0}),
        Experiment("mnist", run_mnist, {}, data=("mnist",)),
    ),
    figures=(FigureSpec("tiny_a_fig", tiny_a_fig, ("plain",)),),
)
