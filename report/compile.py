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

TEX_PACKAGES = (
    "latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra "
    "texlive-fonts-recommended lmodern poppler-utils"
)
INSTALL_HINT = f"sudo apt-get install -y --no-install-recommends {TEX_PACKAGES}"

# With -file-line-error, TeX writes errors as `./name.tex:12: message`.
_ERROR = re.compile(r"^(?P<file>[^\s:][^:]*\.(?:tex|sty|cls)):(?P<line>\d+): (?P<msg>.*)$")
_CONTEXT = re.compile(r"^l\.(?P<line>\d+) (?P<text>.*)$")


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
    """The first `file:line: message` error in a LaTeX log and the text TeX stopped at."""
    lines = log.splitlines()
    for i, text in enumerate(lines):
        match = _ERROR.match(text)
        if not match:
            continue
        context = ""
        for after in lines[i + 1 : i + 12]:
            ctx = _CONTEXT.match(after)
            if ctx:
                context = ctx["text"]
                break
        return Diagnostic(match["file"], int(match["line"]), match["msg"].strip(), context)
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
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def compile_pdf(
    tex: Path, pdf: Path, *, templates: list[Path], source_date_epoch: int, root: Path
) -> list[str]:
    """Compile `tex` into `pdf`, replacing `pdf` only when the compile succeeded.

    Returns the layout warnings (undefined references, badly overfull lines) of the final run.
    """
    if not latexmk_available():
        raise TexMissing(
            f"no TeX engine (latexmk/pdflatex) on PATH; the LaTeX source is at "
            f"{display(tex, root)}. Install TeX Live with: {INSTALL_HINT}"
        )
    _discard_interrupted_run(tex)
    tmp = pdf.with_name(f".{pdf.name}.tmp")
    tmp.unlink(missing_ok=True)  # left by a build killed while it copied the PDF
    marker = tex.with_name(".compiling")
    marker.touch()
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(source_date_epoch), FORCE_SOURCE_DATE="1")
    cmd = [
        "latexmk", "-pdf", "-halt-on-error", "-file-line-error", "-interaction=nonstopmode",
        "-silent", tex.name,
    ]
    proc = subprocess.run(cmd, cwd=tex.parent, env=env, capture_output=True, text=True)
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
    return layout_warnings(log_path.read_text(errors="replace"))


_UNDEFINED = re.compile(r"^LaTeX Warning: (?:Reference|Citation) .* undefined", re.M)
_OVERFULL = re.compile(r"^Overfull \\hbox \((?P<pt>[\d.]+)pt too wide\).*$", re.M)


def layout_warnings(log: str, tolerance_pt: float = 10.0) -> list[str]:
    """Undefined references, and overfull boxes wider than `tolerance_pt`, from a LaTeX log."""
    found = [m.group(0) for m in _UNDEFINED.finditer(log)]
    found += [m.group(0) for m in _OVERFULL.finditer(log) if float(m["pt"]) > tolerance_pt]
    return found


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
    bad = source[diag.line - 1] if 0 < diag.line <= len(source) else diag.context
    found = locate_in_templates(bad, templates)
    if found:
        where, line = found
        text = where.read_text().splitlines()[line - 1]
        head = f"{display(where, root)}:{line}: {diag.message}"
        origin = f"(generated {display(generated, root)}:{diag.line})"
        return f"{head}\n  {line} | {text.strip()}\n  {origin}"
    head = f"{display(generated, root)}:{diag.line}: {diag.message}"
    return f"{head}\n  {diag.line} | {bad.strip()}"
