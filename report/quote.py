"""A student copy's printed values checked against our runs: one `Quote` per printed value.

A TA grading another copy of an assignment records what it printed (as data) and reruns its
settings (`rerun`); `quote(printed, ours, tol)` compares the printed value with ours (one value,
or one per seed) and gives the verdict, how far outside our range it lies, and table cells.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pylatex.utils import NoEscape

from report.fragments import table
from report.numbers import num, pm
from report.sweep import over_seeds

__all__ = ["Quote", "quote", "quote_table", "rerun", "student_copy", "summary", "verdict"]


def verdict(agrees: bool) -> str:
    """The word every report's verdict column uses."""
    return "agrees" if agrees else "differs"


@dataclass(frozen=True)
class Quote:
    """A printed value, our values (one per seed, or one), and the tolerance of the comparison.

    The printed value agrees when it lies within [min(ours) - tol, max(ours) + tol]: the range
    our seeds span, widened by what the copy's rounding (and more) allows.
    """

    printed: float
    ours: np.ndarray
    tol: float

    @property
    def agrees(self) -> bool:
        return bool(self.ours.min() - self.tol <= self.printed <= self.ours.max() + self.tol)

    @property
    def verdict(self) -> str:
        return verdict(self.agrees)

    @property
    def outside(self) -> float:
        """How far the printed value lies outside our (unwidened) range; 0 inside it."""
        return float(max(self.ours.min() - self.printed, self.printed - self.ours.max(), 0.0))

    @property
    def spread(self) -> float:
        """The width of our range (max - min over seeds)."""
        return float(np.ptp(self.ours))

    def range_cell(self, digits: int = 3) -> NoEscape:
        """Our values as `min--max` (a single value as itself)."""
        if self.spread == 0:
            return num(self.ours[0], digits)
        return NoEscape(f"{num(self.ours.min(), digits)}--{num(self.ours.max(), digits)}")

    def pm_cell(self, digits: int = 3) -> NoEscape:
        """Our values as mean ± population standard deviation, in math mode."""
        return NoEscape(f"${pm(self.ours, digits)}$")


def quote(printed: float, ours: float | Sequence[float] | np.ndarray, tol: float) -> Quote:
    """A `Quote` of `printed` against `ours` (a number, or one value per seed)."""
    return Quote(float(printed), np.atleast_1d(np.asarray(ours, dtype=float)), float(tol))


def rerun(fn: Callable[[dict], dict], settings: Sequence[Mapping[str, Any]], seeds: Sequence[int],
          histories: Sequence[str], desc: str = "reruns") -> list[list[dict[str, list]]]:
    """The per-epoch `histories` of fn(setting | {"seed": s}) for every setting and seed.

    All points run as one sweep (`report.sweep.over_seeds`). A setting that equals another but
    for fewer "epochs" is read off the longer run, cut to its length: a run's first epochs are
    the same steps, so it costs nothing. Only histories are returned, since what a run records
    after its last epoch belongs to the longer run. Setting values must be hashable.
    """
    def rest(setting: Mapping[str, Any]) -> tuple:
        return tuple(sorted((k, v) for k, v in setting.items() if k != "epochs"))

    longest: dict[tuple, int] = {}
    for setting in settings:
        longest[rest(setting)] = max(setting["epochs"], longest.get(rest(setting), 0))
    runs = over_seeds(fn, {key: dict(key) | {"epochs": epochs} for key, epochs in longest.items()},
                      seeds, desc)
    return [[{key: run[key][:setting["epochs"]] for key in histories}
             for run in runs[rest(setting)]] for setting in settings]


def summary(quotes: Sequence[Quote]) -> dict[str, Any]:
    """How a copy's quotes came out, for the sentence under their table: `n` quotes, how many
    `agree`, `n_differ`, the `widest` range our seeds span in one quote, and how far the
    furthest differing printed value lies `outside` our range (0 when all agree)."""
    differ = [q for q in quotes if not q.agrees]
    return {"n": len(quotes), "agree": len(quotes) - len(differ), "n_differ": len(differ),
            "widest": max(q.spread for q in quotes),
            "outside": max((q.outside for q in differ), default=0.0)}


def quote_table(header: Sequence[str], rows: Sequence[tuple[Sequence, Sequence[Quote]]],
                digits: tuple[int, int] = (4, 6)) -> tuple[NoEscape, dict[str, Any]]:
    """A copy's printed values against ours, one row per (label cells, quotes), and the
    `summary` of all the quotes (for the claims and the sentence under the table).

    A row is its label cells, each quote's printed value (`digits[0]` decimals), then ours
    (`digits[1]`; min--max over seeds), then one verdict: agrees when all its quotes agree.
    `header` names every column, the verdict's last.
    """
    body = [[*labels, *(num(q.printed, digits[0]) for q in quotes),
             *(q.range_cell(digits[1]) for q in quotes), verdict(all(q.agrees for q in quotes))]
            for labels, quotes in rows]
    n_labels, n_quotes = len(rows[0][0]), len(rows[0][1])
    align = "l" * n_labels + "S" * (2 * n_quotes) + "l"
    return table(header, body, align), summary([q for _, quotes in rows for q in quotes])


def _frozen(value: Any) -> Any:
    """TOML arrays as tuples, all the way down, tables left as dicts."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def student_copy(report_module: str | Path) -> dict[str, Any]:
    """What a report's student copy printed: the TOML file beside the report module, named
    after it (`report/assignments/<module>.student.toml`), its arrays as tuples.

    Tuples, because a printed value is fixed (a report cannot change it by accident), settings
    made of them are hashable (`rerun` needs that), and a printed shape then compares equal to
    the `tuple(x.shape)` a data summary gives. The experiment cache keys a run by its config and
    code, not by the files its module read at import: a printed value an experiment uses must
    reach it through its config. The render needs nothing more: it is never cached, every build
    process imports the report module (and so reads the file) anew, and the up-to-date check
    digests every file of the tree, this one included.
    """
    with Path(report_module).with_suffix(".student.toml").open("rb") as file:
        return _frozen(tomllib.load(file))
