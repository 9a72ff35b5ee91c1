"""Code listings cut from the live objects (by `inspect`), highlighted by Pygments for LaTeX.

A listing is always the source of the function or class that the tests import and run, never a
pasted copy. No minted and no -shell-escape: Pygments writes the `Verbatim` environment itself.
"""

from __future__ import annotations

import importlib
import inspect
import textwrap
from pathlib import Path

from pygments import highlight
from pygments.formatters import LatexFormatter
from pygments.lexers import PythonLexer

from report.latex import NoEscape, escape

ROOT = Path(__file__).resolve().parent.parent
_FORMATTER = LatexFormatter(verboptions=r"fontsize=\footnotesize,frame=lines,framesep=1.5mm")


def style_definitions() -> str:
    """The preamble commands the highlighted listings need."""
    return _FORMATTER.get_style_defs()


def resolve(dotted: str) -> object:
    """Import `package.module.attr[.attr...]`, e.g. 'model.optim2d.optimize_f'."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attr in parts[split:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"cannot resolve {dotted!r} to a module attribute")


def listing(target: str | object, caption: bool = True) -> NoEscape:
    """Highlighted source of a function, class or module, with its file and line range."""
    obj = resolve(target) if isinstance(target, str) else target
    lines, start = inspect.getsourcelines(obj)
    source = textwrap.dedent("".join(lines)).rstrip() + "\n"
    code = highlight(source, PythonLexer(), _FORMATTER)
    if not caption:
        return NoEscape(code)
    path = Path(inspect.getsourcefile(obj)).resolve().relative_to(ROOT).as_posix()
    end = start + max(len(lines) - 1, 0)
    where = escape(path) + (f", lines {start}--{end}" if start else "")
    return NoEscape(
        r"\par\noindent{\footnotesize\texttt{" + where + "}}\\nopagebreak\n" + code
    )
