"""Every report the toolkit builds: each module here is one assignment's thin layer, named after
its report id (`dl2023-a1` lives in `dl2023_a1.py`) and defining `REPORT`. Adding an assignment
means adding a module; nothing else is registered.

Modules are imported only when asked for, so building one report (or a worker process that
unpickles one experiment function) does not import every other report.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from report.spec import FigureSpec, Report


def report_ids() -> list[str]:
    """The id of every report, from the module names alone (nothing is imported)."""
    return sorted(info.name.replace("_", "-") for info in pkgutil.iter_modules(__path__))


def load(report_id: str) -> Report:
    """Import one report's module and return its REPORT."""
    report = importlib.import_module(f"{__name__}.{report_id.replace('-', '_')}").REPORT
    if report.id != report_id:
        raise ValueError(f"module for {report_id!r} defines a report with id {report.id!r}")
    return report


@cache
def all_reports() -> dict[str, Report]:
    return {report_id: load(report_id) for report_id in report_ids()}


def figure_index(reports: dict[str, Report]) -> dict[str, tuple[Report, FigureSpec]]:
    """Every figure name across `reports`; names are unique so `--figure NAME` is enough."""
    index: dict[str, tuple[Report, FigureSpec]] = {}
    for report in reports.values():
        for figure in report.figures:
            if figure.name in index:
                raise ValueError(f"figure name {figure.name!r} is used by two reports")
            index[figure.name] = (report, figure)
    return index
