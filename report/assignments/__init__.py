"""Every report the toolkit builds, by id: each module here is one assignment's thin layer and
defines `REPORT`. Adding an assignment means adding a module; nothing else is registered."""

from __future__ import annotations

import importlib
import pkgutil

from report.spec import FigureSpec, Report


def _discover() -> dict[str, Report]:
    reports = [importlib.import_module(f"{__name__}.{info.name}").REPORT
               for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)]
    return {report.id: report for report in reports}


REPORTS: dict[str, Report] = _discover()


def figure_index(reports: dict[str, Report] = REPORTS) -> dict[str, tuple[Report, FigureSpec]]:
    """Every figure name across all reports; names are unique so `--figure NAME` is enough."""
    index: dict[str, tuple[Report, FigureSpec]] = {}
    for report in reports.values():
        for figure in report.figures:
            if figure.name in index:
                raise ValueError(f"figure name {figure.name!r} is used by two reports")
            index[figure.name] = (report, figure)
    return index
