"""Every report the toolkit builds: each module of `report/assignments/` that defines `REPORT`
is one assignment's thin layer, named after its report id (`dl2023-a1` lives in `dl2023_a1.py`).
Adding an assignment means adding a module; nothing else is registered. Modules without
`REPORT` are helpers the reports may share.

Modules are imported only when asked for, so building one report (or a worker process that
unpickles one experiment function) does not import every other report. This lives outside
`report/assignments/` on purpose: the package's `__init__` runs whenever a report module is
imported, so a dynamic import there would tie every report's cache keys to every file.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import traceback
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from report import assignments

if TYPE_CHECKING:  # report.spec loads Jinja and PyLaTeX: not needed to list the report ids
    from report.spec import FigureSpec, Report

HERE = Path(assignments.__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGE = assignments.__name__


class ReportModuleError(Exception):
    """A report module cannot be loaded; the message names it (and its line, if known)."""


def _defines_report(path: Path) -> bool:
    """Does the module at `path` assign `REPORT` at top level? (read, not imported)"""
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except SyntaxError:
        return True  # meant as a report or not, load() reports the error with its line
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == "REPORT" for t in targets):
            return True
    return False


def report_ids() -> list[str]:
    """The id of every report: modules that define `REPORT` (read, nothing is imported)."""
    return sorted(info.name.replace("_", "-") for info in pkgutil.iter_modules([str(HERE)])
                  if not info.ispkg and _defines_report(HERE / f"{info.name}.py"))


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def load(report_id: str) -> Report:
    """Import one report's module and return its REPORT."""
    module = f"{PACKAGE}.{report_id.replace('-', '_')}"
    path = _rel(str(HERE / f"{report_id.replace('-', '_')}.py"))
    try:
        report = importlib.import_module(module).REPORT
    except SyntaxError as err:
        raise ReportModuleError(f"{_rel(err.filename or path)}:{err.lineno}: report module "
                                f"{module} does not parse: {err.msg}") from None
    except Exception as err:
        # The innermost frame of the project's own code says where the import went wrong.
        frames = [f for f in traceback.extract_tb(err.__traceback__)
                  if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename
                  and not f.filename.endswith("report/registry.py")]
        where = f"{_rel(frames[-1].filename)}:{frames[-1].lineno}: " if frames else f"{path}: "
        raise ReportModuleError(f"{where}report module {module} failed to import: "
                                f"{type(err).__name__}: {err}") from None
    if report.id != report_id:
        raise ReportModuleError(f"{path}: module for {report_id!r} defines a report with id "
                                f"{report.id!r}")
    return report


@cache
def all_reports() -> dict[str, Report]:
    return {report_id: load(report_id) for report_id in report_ids()}


def figure_owners(name: str, build_dir: Path | None = None) -> list[str]:
    """The ids of the reports whose module may define figure `name`: a `FigureSpec("name", ...)`
    with that literal name, or a FigureSpec whose name is computed (an f-string, a variable).
    If that is not one report and `build_dir` is given, the reports a build there drew `name`
    for (`drawn_for`): a name a helper makes, such as `report.studies.descent_figures`.

    Read from the source and the build folder, nothing imported: a hint for `--figure NAME`,
    which then imports only those reports and finds the figure in them (or, if not, looks
    through every report).
    """
    owners = []
    for report_id in report_ids():
        path = HERE / f"{report_id.replace('-', '_')}.py"
        try:
            tree = ast.parse(path.read_bytes(), str(path))
        except SyntaxError:
            continue
        names = [node.args[0] for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and node.args
                 and getattr(node.func, "id", getattr(node.func, "attr", None)) == "FigureSpec"]
        if any(_may_be(arg, name) for arg in names):
            owners.append(report_id)
    if len(owners) != 1 and build_dir is not None:
        return drawn_for(name, build_dir)
    return owners


def drawn_for(name: str, build_dir: Path) -> list[str]:
    """The ids of the reports for which a build into `build_dir` drew figure `name` (its
    `<id>/figures/<name>.pdf`)."""
    return [report_id for report_id in report_ids()
            if (build_dir / report_id / "figures" / f"{name}.pdf").is_file()]


def estimated_seconds(report_id: str) -> float | None:
    """The `cold_seconds` literal of the report's `Report(...)` (None without one), read from
    the source: the build orders reports that were never built by it, importing none of them."""
    path = HERE / f"{report_id.replace('-', '_')}.py"
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError):
        return None  # the worker that loads the report reports the error
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Report":
            for keyword in node.keywords:
                value = keyword.value
                if (keyword.arg == "cold_seconds" and isinstance(value, ast.Constant)
                        and isinstance(value.value, int | float)):
                    return float(value.value)
    return None


def _may_be(arg: ast.expr, name: str) -> bool:
    """Whether the FigureSpec name `arg` can be `name`: a literal equal to it, an f-string whose
    literal parts fit it (f"lab4_{name}" fits every name starting "lab4_"), anything else."""
    if isinstance(arg, ast.Constant):
        return arg.value == name
    if isinstance(arg, ast.JoinedStr):
        pattern = "".join(re.escape(part.value) if isinstance(part, ast.Constant) else ".*"
                          for part in arg.values)
        return re.fullmatch(pattern, name, re.DOTALL) is not None
    return True


def figure_index(reports: dict[str, Report]) -> dict[str, tuple[Report, FigureSpec]]:
    """Every figure name across `reports`; names are unique so `--figure NAME` is enough."""
    index: dict[str, tuple[Report, FigureSpec]] = {}
    for report in reports.values():
        for figure in report.figures:
            if figure.name in index:
                raise ValueError(f"figure name {figure.name!r} is used by two reports")
            index[figure.name] = (report, figure)
    return index
