"""What a report is made of: experiments, figures, derivations, a template, and its claims."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from report.cache import Experiment

__all__ = ["ClaimError", "Experiment", "FigureSpec", "Report", "claim"]


class ClaimError(AssertionError):
    """A sentence of the report is contradicted by the results it is about."""


def claim(holds: bool, statement: str) -> str:
    """Assert a result-dependent statement at build time; renders as nothing in a template."""
    if not holds:
        raise ClaimError(f"claim contradicted by the results: {statement}")
    return ""


@dataclass(frozen=True)
class FigureSpec:
    """One figure: `fn(results, out_path)` draws it from the results of `needs`."""

    name: str
    fn: Callable[[dict[str, Any], Path], None]
    needs: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """An assignment's thin layer: template, experiment configs, figures, extra context.

    `context(results)` returns extra template variables computed from the results (and may
    assert claims); the template reaches results as `r.<experiment name>`.
    """

    id: str
    title: str
    template: str
    experiments: tuple[Experiment, ...]
    figures: tuple[FigureSpec, ...] = ()
    context: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda results: {})
    template_dirs: tuple[Path, ...] = ()  # searched before templates/

    def experiment(self, name: str) -> Experiment:
        return next(e for e in self.experiments if e.name == name)

    def needed_for(self, figure: FigureSpec) -> list[Experiment]:
        return [self.experiment(name) for name in figure.needs]
