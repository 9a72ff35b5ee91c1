"""A report small enough to build in a couple of seconds, for testing the pipeline itself."""

from __future__ import annotations

from pathlib import Path

from figures.common import new_figure, save
from report.spec import Experiment, FigureSpec, Report, claim


def square(config: dict) -> dict:
    return {"value": config["x"] ** 2, "runs": 1}


def tiny_plot(r: dict, out: Path) -> None:
    fig, ax = new_figure(height=1.5)
    ax.plot([0, 1], [0, r["tiny"]["value"]])
    save(fig, out)


def context(r: dict) -> dict:
    claim(r["tiny"]["value"] > 1, "the square exceeds one")
    return {}


TEMPLATE = r"""<% extends "base.tex.j2" %>
<% block body %>
\section*{Tiny}
The square is << r.tiny.value|num(3) >>.
<< figure("tiny_fig", "A tiny figure.") >>
<% endblock %>
"""


def make_report(x: float = 1.5, template: str = "tiny.tex.j2") -> Report:
    return Report(
        id="tiny",
        title="Tiny report",
        template=template,
        experiments=(Experiment("tiny", square, {"x": x, "seed": 7}),),
        figures=(FigureSpec("tiny_fig", tiny_plot, ("tiny",)),),
        context=context,
    )
