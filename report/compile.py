"""Compile a .tex file with latexmk and turn a LaTeX failure into a short `file:line` message.

The PDF is produced in a private work folder and only moved into place (an atomic rename)
after a successful run, so a failed or interrupted compile leaves the previous PDF untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from report.latex import engine_for

# Keep in step with tools/setup.sh, which installs them (pdfLaTeX is texlive-latex-base's, its
# Type 1 Latin Modern lmodern's; LuaLaTeX is texlive-luatex's).
TEX_PACKAGES = (
    "latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra "
    "texlive-fonts-recommended texlive-luatex texlive-science lmodern fonts-cmu fonts-noto-core "
    "fonts-noto-cjk poppler-utils"
)
INSTALL_HINT = f"sudo apt-get install -y --no-install-recommends {TEX_PACKAGES}"

# With -file-line-error, TeX writes errors as `./name.tex:12: message`; LaTeX's own errors
# raised while reading a file name (a missing package) still start with `! `.
_ERROR = re.compile(r"^(?P<file>[^\s:][^:]*\.(?:tex|sty|cls)):(?P<line>\d+): (?P<msg>.*)$")
_BANG = re.compile(r"^! (?P<msg>.*)$")
_CONTEXT = re.compile(r"^l\.(?P<line>\d+) (?P<text>.*)$")
_MISSING = re.compile(r"File `(?P<name>[^']+)\.(?P<ext>sty|cls)' not found")

# The Debian package that ships a LaTeX package, for the ones reports are likely to ask for;
# anything else on CTAN is most often in texlive-latex-extra.
DEBIAN_PACKAGE = {
    **dict.fromkeys(("siunitx", "algorithm2e", "algorithmicx", "algpseudocode", "algorithm",
                     "mhchem", "physics"), "texlive-science"),
    **dict.fromkeys(("listings", "booktabs", "microtype", "fontspec", "unicode-math",
                     "mathtools", "xcolor", "caption", "subcaption", "float", "fancyvrb",
                     "pdfpages", "polyglossia"), "texlive-latex-recommended"),
    **dict.fromkeys(("amsmath", "graphicx", "hyperref", "geometry", "fancyhdr", "url",
                     "natbib", "bm", "tabularx", "longtable", "babel"), "texlive-latex-base"),
    **dict.fromkeys(("tikz", "pgf", "pgfplots"), "texlive-pictures"),
    **dict.fromkeys(("luaotfload", "luacode", "luatexbase"), "texlive-luatex"),
    **dict.fromkeys(("biblatex",), "texlive-bibtex-extra"),
    **dict.fromkeys(("luabidi", "bidi", "arabxetex"), "texlive-lang-arabic"),
    **dict.fromkeys(("pythontex",), "texlive-extra-utils"),
}


def install_hint(filename: str) -> str:
    """Which Debian package to install for a missing `x.sty`/`x.cls`, as a short clause."""
    package = DEBIAN_PACKAGE.get(filename.rsplit(".", 1)[0])
    if package:
        return f"install it with: sudo apt-get install {package}"
    return ("it is most likely in texlive-latex-extra (sudo apt-get install texlive-latex-extra); "
            "https://packages.debian.org/file:" + filename + " names the package otherwise")


class LatexError(Exception):
    """A LaTeX run failed; the message is short and points at the source line."""


class TexMissing(LatexError):
    """No TeX engine on PATH."""


@dataclass(frozen=True)
class Diagnostic:
    file: str
    line: int
    message: str
    context: str


def first_error(log: str) -> Diagnostic | None:
    """The first `file:line: message` error in a LaTeX log and the text TeX stopped at.

    An "Emergency stop" only says that TeX gave up; the `! ` message before it (e.g. a missing
    package) is the cause, and is what the diagnostic reports.
    """
    lines = log.splitlines()
    cause = ""
    for i, text in enumerate(lines):
        bang = _BANG.match(text)
        if bang and not cause:
            cause = bang["msg"].strip()
        match = _ERROR.match(text)
        if not match:
            continue
        context = ""
        for after in lines[i + 1 : i + 12]:
            ctx = _CONTEXT.match(after)
            if ctx:
                context = ctx["text"]
                break
        message = match["msg"].strip()
        if message.startswith("Emergency stop") and cause:
            message = cause
        return Diagnostic(match["file"], int(match["line"]), message, context)
    return None


_JINJA = re.compile(r"<<.*?>>|<%.*?%>|<#.*?#>")


def locate_in_templates(generated_line: str, templates: list[Path]) -> tuple[Path, int] | None:
    """The template line that most plausibly produced `generated_line`.

    Each template line becomes a pattern in which every Jinja expression matches anything;
    the line whose literal text matches and is longest wins (earlier templates win ties).
    """
    best: tuple[int, Path, int] | None = None
    for path in templates:
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            literals = [part.strip() for part in _JINJA.split(text) if part.strip()]
            score = sum(map(len, literals))
            if score < 4 or (best and score <= best[0]):
                continue
            pattern = ".*?".join(re.escape(part) for part in literals)
            if re.search(pattern, generated_line):
                best = (score, path, number)
    return (best[1], best[2]) if best else None


def latexmk_available() -> bool:
    """Whether latexmk and the LuaLaTeX engine, which can typeset every document, are on PATH."""
    return shutil.which("latexmk") is not None and shutil.which("lualatex") is not None


def choose_engine(text: str) -> str:
    """The engine for a document: pdfLaTeX when it typesets every character of `text` natively
    (report.latex.engine_for) and is installed, else LuaLaTeX."""
    if shutil.which("pdflatex") is None:
        return "lualatex"
    return engine_for(text)


# latexmk's option for each engine's rule.
_LATEXMK_RULE = {"pdflatex": "-pdf", "lualatex": "-lualatex"}


def compile_pdf(
    tex: Path, pdf: Path, *, templates: list[Path], source_date_epoch: int, root: Path,
    engine: str | None = None,
) -> list[str]:
    """Compile `tex` into `pdf`, replacing `pdf` only when the compile succeeded.

    `engine` ("pdflatex" or "lualatex") is chosen from the text of `tex` unless given.
    Returns the layout warnings (undefined references, badly overfull lines) of the final run.
    """
    if not latexmk_available():
        raise TexMissing(
            f"no TeX engine (latexmk/lualatex) on PATH; the LaTeX source is at "
            f"{display(tex, root)}. Install TeX Live with: {INSTALL_HINT}"
        )
    # A change of engine needs nothing here: latexmk keeps its record per engine, so the other
    # engine's rule has never run on these files and runs (tests/test_typesetting.py).
    engine = engine or choose_engine(tex.read_text())
    _discard_interrupted_run(tex)
    tmp = pdf.with_name(f".{pdf.name}.tmp")
    tmp.unlink(missing_ok=True)  # left by a build killed while it copied the PDF
    marker = tex.with_name(".compiling")
    marker.touch()
    # max_print_line: TeX wraps its log at 79 columns by default, which cuts file names and
    # messages in half; a wide log keeps each message on one line for the parsers below.
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(source_date_epoch), FORCE_SOURCE_DATE="1",
               max_print_line="10000", error_line="254", half_error_line="238")
    flags = ["-halt-on-error", "-file-line-error", "-interaction=nonstopmode"]
    if not tex.with_suffix(".aux").exists():
        # A first build needs two passes (references, longtable widths, the page map all come
        # from the .aux). The first writes no PDF (--draftmode: no figures or fonts embedded,
        # ~0.4 s of 2.5), and latexmk's own pass then finds the .aux in place and is the last.
        # A failing draft pass is not reported here: latexmk's pass fails the same way.
        subprocess.run([engine, "--draftmode", *flags, tex.name], cwd=tex.parent, env=env,
                       capture_output=True)
    cmd = ["latexmk", _LATEXMK_RULE[engine], *flags, "-silent", tex.name]
    # errors="replace": pdfTeX writes the bytes of a character it lacks (Missing character) raw.
    proc = subprocess.run(cmd, cwd=tex.parent, env=env, capture_output=True, text=True,
                          errors="replace")
    log_path = tex.with_suffix(".log")
    if proc.returncode != 0:
        log = log_path.read_text(errors="replace") if log_path.exists() else proc.stdout
        raise LatexError(_describe_failure(tex, log, templates, root))
    built = tex.with_suffix(".pdf")
    try:
        shutil.copyfile(built, tmp)
        os.replace(tmp, pdf)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk must not leave a half-written copy
    marker.unlink()
    return located_warnings(log_path.read_text(errors="replace"), tex, templates, root)


_UNDEFINED = re.compile(r"^LaTeX Warning: (?:Reference|Citation) .* undefined", re.M)
_OVERFULL = re.compile(r"^Overfull \\hbox \((?P<pt>[\d.]+)pt too wide\).*$", re.M)
# A character that no font (fallbacks included) has: it would silently vanish from the PDF.
_NO_GLYPH = re.compile(r"^Missing character: There is no .*$", re.M)
# A text symbol in math mode (`$a – b$`): pdfLaTeX drops it or sets another glyph in its place.
_TEXT_IN_MATH = re.compile(r"^LaTeX Warning: Command \\\S+ invalid in math mode on input line "
                           r"\d+\.$", re.M)


def layout_warnings(log: str, tolerance_pt: float = 10.0) -> list[str]:
    """Undefined references, overfull boxes wider than `tolerance_pt`, characters missing
    from every font and text symbols in math mode, from a LaTeX log."""
    found = list(dict.fromkeys(m.group(0) for m in _NO_GLYPH.finditer(log)))
    found += list(dict.fromkeys(m.group(0) for m in _TEXT_IN_MATH.finditer(log)))
    found += [m.group(0) for m in _UNDEFINED.finditer(log)]
    found += [m.group(0) for m in _OVERFULL.finditer(log) if float(m["pt"]) > tolerance_pt]
    return found


_WARNING_LINE = re.compile(
    r"at lines? (?P<first>\d+)(?:--(?P<last>\d+))?|input line (?P<input>\d+)"
)


def located_warnings(log: str, tex: Path, templates: list[Path], root: Path) -> list[str]:
    """`layout_warnings` as `file:line: warning`, at the template line that produced each.

    TeX numbers the lines of the generated .tex; like errors, a warning is mapped back to the
    template line whose text produced it, with the generated line for reference.
    """
    source = tex.read_text().splitlines() if tex.exists() else []
    located = []
    for warning in layout_warnings(log):
        match = _WARNING_LINE.search(warning)
        if not match:
            located.append(warning)
            continue
        first = int(match["first"] or match["input"])
        last = int(match["last"] or first)
        origin = f"{display(tex, root)}:{first}"
        where = None
        for number in range(first, min(last, len(source)) + 1):
            where = locate_in_templates(source[number - 1], templates)
            if where:
                break
        if where:
            located.append(f"{display(where[0], root)}:{where[1]}: {warning} "
                           f"(generated {origin})")
        else:
            located.append(f"{origin}: {warning}")
    return located


# The TeX engine records its inputs in `<engine><pid>.fls` and renames that to `<job>.fls` at
# the end, so a killed run leaves it behind.
_ENGINE_RECORDER = re.compile(r"^(?:pdf|lua|xe)?latex\d+\.fls$")


def _discard_interrupted_run(tex: Path) -> None:
    """After a killed LaTeX run, drop its auxiliary and temporary files so latexmk starts clean."""
    for path in tex.parent.iterdir():
        if path.is_file() and _ENGINE_RECORDER.match(path.name):
            path.unlink()
    if not tex.with_name(".compiling").exists():
        return
    for path in tex.parent.iterdir():
        if path.is_file() and path != tex and path.stem == tex.stem:
            path.unlink()


def display(path: Path, root: Path) -> str:
    """`path` relative to the project when it lies inside it, else as it is."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _describe_failure(tex: Path, log: str, templates: list[Path], root: Path) -> str:
    diag = first_error(log)
    if diag is None:
        return f"{display(tex, root)}: LaTeX failed; see {display(tex.with_suffix('.log'), root)}"
    generated = (tex.parent / diag.file).resolve()
    source = generated.read_text().splitlines() if generated.exists() else []
    number, message = diag.line, diag.message
    missing = _MISSING.search(message)
    if missing:
        # TeX stops at the line after the \usepackage (or at \begin{document}); the line that
        # asks for the file is the one to show.
        number = _requesting_line(source, missing["name"]) or number
        message = f"{message.rstrip('.')}; {install_hint(missing['name'] + '.' + missing['ext'])}"
    bad = source[number - 1] if 0 < number <= len(source) else diag.context
    found = locate_in_templates(bad, templates)
    if found:
        where, line = found
        text = where.read_text().splitlines()[line - 1]
        head = f"{display(where, root)}:{line}: {message}"
        origin = f"(generated {display(generated, root)}:{number})"
        return f"{head}\n  {line} | {text.strip()}\n  {origin}"
    head = f"{display(generated, root)}:{number}: {message}"
    return f"{head}\n  {number} | {bad.strip()}"


def _requesting_line(source: list[str], name: str) -> int | None:
    """The line that asks for package `name` (a \\usepackage or \\documentclass), if any."""
    asks = re.compile(r"\\(?:usepackage|RequirePackage|documentclass)\s*(?:\[[^\]]*\])?\s*"
                      r"\{[^}]*\b" + re.escape(name) + r"\b[^}]*\}")
    for number, text in enumerate(source, start=1):
        if asks.search(text.split("%", 1)[0]):
            return number
    return None
