"""What a report is made of: experiments, figures, derivations, a template, and its claims.

A claim asserts, at build time, that a result-dependent sentence still holds. In a template the
sentence and its assertion are one piece of text:

    <% call claimed("c-local", r.gd_b.f > global_min.f + 1) %>The path ...<% endcall %>
    << claim("c-small", small.f > good.f + 1, "A too small step is still far from a minimum.") >>

Both render the sentence itself. A block that ends a line closes with `<% endcall +%>`: the `+`
keeps the line break that the environment's trim_blocks would otherwise swallow. (In Jinja,
`a is not b` is a test, not identity: compare values, or compute the fact in the context.)
`claim(holds, statement)` in a report module (and `check` in a template, its old name there)
renders nothing. While a build renders, every claim is recorded with where it was made
(`recording`); `build.py --claims ID` lists them.
"""

from __future__ import annotations

import contextvars
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from pylatex.utils import NoEscape

from report.cache import Experiment
from report.latex import escape

__all__ = ["Claim", "ClaimError", "Experiment", "FigureSpec", "Report", "claim", "claimed",
           "recording", "template_claim"]

ROOT = Path(__file__).resolve().parent.parent
_JINJA = os.path.dirname(jinja2.__file__)


class ClaimError(AssertionError):
    """A sentence of the report is contradicted by the results it is about."""


@dataclass(frozen=True)
class Claim:
    """One claim of a build: the sentence it guards, whether it held, and where it was made.

    `where` is `templates/<id>.tex.j2:LINE` for a template claim, `file.py:LINE` for one made
    in a report module; `id` is the template claim's name (None for the module form).
    """

    sentence: str
    holds: bool
    where: str
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Log:
    def __init__(self, collect: bool) -> None:
        self.claims: list[Claim] = []
        self.collect = collect


_log: contextvars.ContextVar[_Log | None] = contextvars.ContextVar("claims", default=None)


@contextmanager
def recording(collect: bool = False) -> Iterator[list[Claim]]:
    """Record every claim made inside the block into the yielded list.

    A contradicted claim raises `ClaimError` at once, unless `collect` is set: then it is only
    recorded (with holds=False), so that a listing can show every claim of a report.
    """
    log = _Log(collect)
    token = _log.set(log)
    try:
        yield log.claims
    finally:
        _log.reset(token)


def _where() -> str:
    """The template line, or the Python line outside this module and Jinja, making the claim."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            line = template.get_corresponding_lineno(frame.f_lineno)
            return f"{_display(template.filename)}:{line}"
        name = frame.f_code.co_filename
        if name != __file__ and not name.startswith(_JINJA) and not name.startswith("<"):
            return f"{_display(name)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def _display(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def _one_line(text: str) -> str:
    """The sentence on one line, its siunitx numbers as plain text (`\\num{2.25}` -> 2.25), as
    `--claims` and the failure messages show it."""
    plain = re.sub(r"\\(?:num|SI|si)\{([^{}]*)\}", r"\1", str(text))
    return " ".join(plain.split())


def _assert(holds: Any, sentence: str, claim_id: str | None) -> None:
    if isinstance(holds, str):  # arguments swapped: a non-empty sentence would always hold
        raise TypeError(f"a claim's condition must be a truth value, not the text {holds!r}")
    held = bool(holds)
    sentence = _one_line(sentence)
    log = _log.get()
    if log is not None:
        log.claims.append(Claim(sentence, held, _where(), claim_id))
    if not held and (log is None or not log.collect):
        named = f"claim {claim_id!r}" if claim_id else "claim"
        raise ClaimError(f"{named} contradicted by the results: {sentence}")


def claim(holds: bool, statement: str) -> str:
    """Assert a result-dependent statement at build time; renders as nothing in a template."""
    _assert(holds, statement, None)
    return ""


def template_claim(claim_id: str, holds: bool, sentence: str) -> NoEscape:
    """A template's `<< claim("id", holds, "sentence") >>`: asserts, then renders the sentence.

    The sentence is plain text and is escaped; a sentence with numbers or maths in it uses the
    block form, `claimed`.
    """
    _assert(holds, sentence, claim_id)
    return escape(sentence)


def claimed(claim_id: str, holds: bool, caller: Callable[[], str]) -> NoEscape:
    """A template's `<% call claimed("id", holds) %>sentence<% endcall %>`.

    Renders the sentence between the tags (LaTeX, with its `<< values >>` already escaped)
    and asserts `holds` for it, so the assertion cannot drift away from the words it guards.
    """
    sentence = caller()
    _assert(holds, sentence, claim_id)
    return NoEscape(sentence)


@dataclass(frozen=True)
class FigureSpec:
    """One figure: `fn(results, out_path)` draws it from the results of `needs`."""

    name: str
    fn: Callable[[dict[str, Any], Path], None]
    needs: tuple[str, ...]


ContextFn = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Report:
    """An assignment's thin layer: template, experiment configs, figures, extra context.

    `context(results)` returns extra template variables computed from the results (and may
    assert claims); several such functions (a tuple, one per section, say) give their dicts
    merged, a name given twice being an error. The template reaches results as
    `r.<experiment name>`.
    """

    id: str
    title: str
    template: str
    experiments: tuple[Experiment, ...]
    figures: tuple[FigureSpec, ...] = ()
    context: ContextFn | tuple[ContextFn, ...] = field(default=lambda results: {})
    template_dirs: tuple[Path, ...] = ()  # searched before templates/
    # Seconds of a cold build of this report alone, roughly (2 cores): which report to start
    # first when several build side by side and none has been built yet. A literal number,
    # because the build reads it from the source (report.registry.estimated_seconds), without
    # importing every report.
    cold_seconds: float | None = None

    @property
    def context_fns(self) -> tuple[ContextFn, ...]:
        return self.context if isinstance(self.context, tuple) else (self.context,)

    def experiment(self, name: str) -> Experiment:
        return next(e for e in self.experiments if e.name == name)

    def needed_for(self, figure: FigureSpec) -> list[Experiment]:
        return [self.experiment(name) for name in figure.needs]
