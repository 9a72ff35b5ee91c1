"""A second small report: a comment here must not rerun anything of tiny-a."""

from __future__ import annotations

from report.spec import Experiment, Report


def run_other(config: dict) -> dict:
    return {"value": config["x"] + 1}


REPORT = Report(
    id="tiny-b",
    title="Tiny report B",
    template="tiny-b.tex.j2",
    experiments=(Experiment("other", run_other, {"x": 2.0}),),
)
