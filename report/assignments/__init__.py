"""Every report the toolkit builds, by id. Each module is one assignment's thin layer."""

from __future__ import annotations

from report.assignments import dl2023_a1
from report.spec import FigureSpec, Report

REPORTS: dict[str, Report] = {r.id: r for r in (dl2023_a1.REPORT,)}


def figure_index(reports: dict[str, Report] = REPORTS) -> dict[str, tuple[Report, FigureSpec]]:
    """Every figure name across all reports; names are unique so `--figure NAME` is enough."""
    index: dict[str, tuple[Report, FigureSpec]] = {}
    for report in reports.values():
        for figure in report.figures:
            if figure.name in index:
                raise ValueError(f"figure name {figure.name!r} is used by two reports")
            index[figure.name] = (report, figure)
    return index
