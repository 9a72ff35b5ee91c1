"""Code listings cut from the live objects (by `inspect`), highlighted by Pygments for LaTeX.

A listing is always the source of the function or class that the tests import and run, never a
pasted copy. No minted and no -shell-escape: Pygments writes the `Verbatim` environment itself.

A listing shows the answer, not the toolkit around it:
- the caption says what it is ("The backward pass of `Linear`"), given by the template;
- docstrings are shown as clean text (backtick quotes and LaTeX math spelled plainly);
- lines between `# listing: elide` and `# listing: end` in the source are shown as one `...`
  (progress bars, divergence guards), and `only=` shows just the named methods of a class;
- a listing that fits on a page is set unbreakable; a longer one breaks between functions.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import re
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from pygments import highlight
from pygments.formatters import LatexFormatter
from pygments.lexers import PythonLexer

from report.latex import NoEscape, escape

ROOT = Path(__file__).resolve().parent.parent
_FORMATTER = LatexFormatter(verboptions=r"fontsize=\footnotesize,frame=lines,framesep=1.5mm")
# The pieces of a listing cut between functions share one frame: a rule above the first piece,
# one below the last, none in between.
_PIECE_FORMATTERS = {frame: LatexFormatter(
    verboptions=rf"fontsize=\footnotesize,frame={frame},framesep=1.5mm")
    for frame in ("topline", "bottomline", "none")}

PAGE_LINES = 60
"""Lines of \\footnotesize code that fit on a page with a caption: longer listings may break."""

ELIDE = re.compile(r"^(\s*)# listing: elide\b.*$")
END = re.compile(r"^\s*# listing: end\b.*$")
ELLIPSIS = "..."

# LaTeX in docstrings, as plain text a code listing can show (ASCII, so any engine sets it).
_TEX_WORDS = {
    "cdot": "*", "times": "x", "odot": "*", "top": "T", "partial": "d", "nabla": "grad",
    "sum": "sum", "log": "log", "exp": "exp", "sqrt": "sqrt", "le": "<=", "leq": "<=",
    "ge": ">=", "geq": ">=", "ne": "!=", "neq": "!=", "approx": "~", "to": "->",
    "mathbb": "", "mathbf": "", "mathrm": "", "operatorname": "", "text": "", "hat": "",
    "left": "", "right": "", "quad": " ", "in": "in", "leftarrow": "<-", "gets": "<-",
    "rightarrow": "->",
}


def style_definitions() -> str:
    """The preamble commands the highlighted listings need."""
    # T1 fonts set ' and ` as curly quotes; code needs the straight ones.
    return (_FORMATTER.get_style_defs() + "\n\\def\\PYZsq{\\textquotesingle}"
            "\n\\def\\PYZbq{\\textasciigrave}\n")


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


def _plain_math(math: str) -> str:
    """`\\sigma'(z) \\odot \\delta` -> `sigma'(z) * delta`: LaTeX math as listing text."""
    math = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", math)
    math = re.sub(r"\\hat\s*\{?([A-Za-z])\}?", r"\1_hat", math)
    math = re.sub(r"\\([A-Za-z]+)", lambda m: _TEX_WORDS.get(m[1], m[1]), math)
    math = re.sub(r"\^\{([^{}]*)\}", r"^\1", math)
    math = re.sub(r"_\{([^{}]*)\}", r"_\1", math)
    return " ".join(math.replace("{", "").replace("}", "").split())


def clean_docstring(text: str) -> str:
    """A docstring as clean text: no backtick quotes, `$...$` math spelled in plain text."""
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\$([^$]+)\$", lambda m: _plain_math(m[1]), text)
    # \hat y is y_hat, as the code names it: dropping the hat would leave (y - y).
    text = re.sub(r"\\hat\s*\{?([A-Za-z])\}?", r"\1_hat", text)
    # LaTeX commands outside $...$ (raw docstrings); two letters at least, so \n stays.
    text = re.sub(r"\\([A-Za-z]{2,})", lambda m: _TEX_WORDS.get(m[1], m[1]), text)
    # e^{...} is TeX's exponent; in code it reads exp(...). Innermost braces first.
    while (plain := re.sub(r"\be\^\{([^{}]*)\}", r"exp(\1)", text)) != text:
        text = plain
    return text


def _docstring_spans(tree: ast.AST) -> list[tuple[int, int]]:
    """(first, last) 1-based lines of every docstring in `tree`."""
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                spans.append((body[0].lineno, body[0].end_lineno))
    return spans


def _elide(lines: list[str], where: str) -> list[str]:
    """Replace each `# listing: elide` ... `# listing: end` block by one `...` line."""
    out, open_at = [], None
    for number, line in enumerate(lines, 1):
        if open_at is None and (m := ELIDE.match(line)):
            open_at = number
            out.append(m[1] + ELLIPSIS)
        elif open_at is not None and END.match(line):
            open_at = None
        elif open_at is None:
            out.append(line)
    if open_at is not None:
        raise ValueError(f"{where}: '# listing: elide' without '# listing: end'")
    return out


def _only(source: str, names: Sequence[str], where: str) -> str:
    """A class's header and docstring with just the methods `names`, the rest as `...`."""
    tree = ast.parse(source)
    cls = tree.body[0]
    if not isinstance(cls, ast.ClassDef):
        raise ValueError(f"{where}: only= needs a class")
    lines = source.splitlines()
    defs = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    missing = [n for n in names if n not in defs]
    if missing:
        raise ValueError(f"{where}: no method {', '.join(missing)} in {cls.name}")
    first_body = cls.body[0]
    has_doc = isinstance(first_body, ast.Expr) and isinstance(first_body.value, ast.Constant)
    head_end = first_body.end_lineno if has_doc else cls.lineno
    indent = " " * (first_body.col_offset)
    out = lines[:head_end]
    for name in names:
        node = defs[name]
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        out += ["", *lines[start - 1:node.end_lineno]]
    if len(defs) > len(names):
        out += ["", indent + ELLIPSIS]
    return "\n".join(out) + "\n"


def view(obj: object, only: Sequence[str] | None = None) -> str:
    """The source a listing shows: elided blocks as `...`, clean docstrings, `only` methods."""
    lines, start = inspect.getsourcelines(obj)
    where = f"{_display_file(obj)}:{start}"
    source = textwrap.dedent("\n".join(_elide([ln.rstrip("\n") for ln in lines], where)))
    if only:
        source = _only(source, only, where)
    tree = ast.parse(source)
    out = source.splitlines()
    for first, last in _docstring_spans(tree):
        block = clean_docstring("\n".join(out[first - 1:last])).split("\n")
        out[first - 1:last] = block + [None] * (last - first + 1 - len(block))
    return "\n".join(line for line in out if line is not None).rstrip() + "\n"


def _chunks(source: str) -> list[str]:
    """The source cut before each function or method definition (with its decorators)."""
    lines = source.splitlines()
    tree = ast.parse(source)
    starts = sorted({min([n.lineno, *(d.lineno for d in n.decorator_list)])
                     for n in ast.walk(tree)
                     if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                     and n.col_offset <= 4} | {1})
    pieces = []
    for a, b in zip(starts, [*starts[1:], len(lines) + 1], strict=True):
        piece = "\n".join(lines[a - 1:b - 1]).strip("\n")
        if piece:
            pieces.append(piece + "\n")
    return pieces


def _display_file(obj: object) -> str:
    path = Path(inspect.getsourcefile(obj)).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def _caption_text(caption: str) -> str:
    """Caption text: escaped, with `name` set in typewriter."""
    parts = caption.split("`")
    return "".join(rf"\texttt{{{escape(p)}}}" if i % 2 else escape(p)
                   for i, p in enumerate(parts))


def _default_caption(obj: object) -> str:
    """`Name`: the first sentence of its docstring, for templates that give no caption."""
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", "code"))
    doc = inspect.getdoc(obj) or ""
    first = clean_docstring(doc.split("\n\n")[0].replace("\n", " "))
    first = re.split(r"\. |; ", first)[0].rstrip(".")
    return f"`{name}`" + (f": {first}" if first and len(first) <= 70 else "")


def listing(target: str | object, caption: bool | str = True, *,
            only: Sequence[str] | None = None) -> NoEscape:
    """Highlighted source of a function, class or module, named by a caption.

    `caption` is what the listing is ("The backward pass of `Linear`"; backticks mark code);
    True gives `name`: the first sentence of its docstring, False none. The file it comes from
    follows in small print. `only` lists the methods of a class to show.
    """
    obj = resolve(target) if isinstance(target, str) else target
    source = view(obj, only)
    head = ""
    if caption is not False:
        text = _default_caption(obj) if caption is True else caption
        head = (r"\listingcaption{" + _caption_text(text) + "}{" + escape(_display_file(obj))
                + "}\n")
    if source.count("\n") <= PAGE_LINES:
        # Caption and code in one unbreakable box, so the caption never ends a page alone.
        return NoEscape(_box(head + _code(source)))
    pieces = _chunks(source)
    out = []
    for i, piece in enumerate(pieces):
        frame = "topline" if i == 0 else "bottomline" if i == len(pieces) - 1 else "none"
        code = _code(piece, _PIECE_FORMATTERS[frame])
        # The caption goes in the first piece's box; a piece longer than a page may break.
        code = (head if i == 0 else "") + code
        out.append(_box(code) if piece.count("\n") <= PAGE_LINES else code)
    return NoEscape("".join(out))


def call_text(fn: Callable, *args: str) -> str:
    """How `fn` is called with `args` (names, as "r", "out"), with the arguments a
    `functools.partial` binds to it (before `args`) and its keywords (after), as Python would
    write them: `labelled_images(r, out, height=0.95)`."""
    bound: list[str] = []
    if isinstance(fn, functools.partial):
        bound = [f"{k}={v!r}" for k, v in fn.keywords.items()]
        args = (*map(repr, fn.args), *args)
        fn = fn.func
    return f"{fn.__name__}({', '.join([*args, *bound])})"


def call_listing(fn: Callable, *args: str) -> NoEscape:
    """`call_text` as a one-line listing."""
    return NoEscape(_box(_code(call_text(fn, *args))))


def _code(source: str, formatter: LatexFormatter = _FORMATTER) -> str:
    return highlight(source, PythonLexer(), formatter)


def _box(content: str) -> str:
    """`content` in the base template's unbreakable listing box."""
    return "\\begin{nnlisting}\n" + content + "\\end{nnlisting}\n"
