"""LaTeX-safe Jinja2 rendering: every injected value is escaped unless marked raw.

Raw LaTeX is marked with PyLaTeX's `NoEscape` (a `str` subclass), so fragments built by PyLaTeX
and by our own helpers pass through, and everything else (names from the config, numbers,
strings from results) is escaped on the way into the document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from pylatex.utils import NoEscape, escape_latex

# Numbers are typeset by one module; these names stay for the report modules that use them.
from report.numbers import fix as fmt_fixed
from report.numbers import num as fmt_num
from report.numbers import pct as fmt_pct

__all__ = ["NoEscape", "escape", "fmt_num", "make_environment"]


_LITERAL = {
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}",
    '"': r"\textquotedbl{}",
    r"\^{}": r"\textasciicircum{}",
}


def escape(value: Any) -> NoEscape:
    """Escape any value for LaTeX text mode; `NoEscape` values pass through unchanged."""
    if isinstance(value, NoEscape):
        return value
    text = escape_latex(str(value))
    # Spell out characters that T1 fonts would otherwise turn into other glyphs: `<<`/`>>`
    # ligatures (guillemets), curly quotes, and the accent that `\^{}` produces.
    for char, command in _LITERAL.items():
        text = text.replace(char, command)
    return NoEscape(text)


def _finalize(value: Any) -> Any:
    # Jinja calls this on every `<< expression >>` result before it is written out.
    return "" if value is None else escape(value)


def make_environment(template_dirs: tuple[Path, ...]) -> jinja2.Environment:
    """A Jinja2 environment whose delimiters do not clash with LaTeX's braces and percents.

    `<< expr >>` prints (escaped), `<% stmt %>` is a statement, `<# ... #>` a comment.
    Undefined names are errors, never silently empty.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        variable_start_string="<<",
        variable_end_string=">>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        autoescape=False,
    )
    env.filters["num"] = fmt_num
    env.filters["pct"] = fmt_pct
    env.filters["fix"] = fmt_fixed
    env.filters["raw"] = NoEscape
    env.filters["e"] = escape
    return env
