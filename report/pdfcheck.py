"""Reads a built PDF's text as a grader would and lists the marks of a machine dump.

Each report's test calls `dump_markers` on its PDF (built with real names in the config) and
asserts the list is empty: placeholder names, Python's `1e-07` numbers, raw LaTeX or backtick
quotes leaking out of listings, other reports' ids, listing captions that are file paths.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

PLACEHOLDERS = ("Student Name", "s0000000", "Group 0")
"""The front matter report.toml ships with: a submission that shows them is not filled in."""

_CHECKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Python's repr and %e of floats: 1e-07, 2.50e-05, 3E+04. A literal in code (1e-15) has no
    # leading zero in its exponent, so a listing's code is not flagged.
    ("Python-style number", re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][-+]0\d\b")),
    # 0.0 × 10^0 and its kin: a zero written in scientific notation.
    ("zero in scientific notation", re.compile(r"(?<![\d.])0(?:\.0+)? ?[×x] ?10")),
    ("raw LaTeX", re.compile(r"\\[A-Za-z]{2,}|\$[^$\n]{1,40}\$")),
    # A backtick-quoted name in a docstring comes out of T1 fonts as ‘name’.
    ("backtick quote", re.compile(r"‘[\w.()\[\]=]+’")),
    ("file path as a listing caption", re.compile(r"\b[\w/]+\.py, lines \d+")),
)


def pdf_text(pdf: Path) -> str:
    """The text of a PDF as pdftotext reads it, typographic minus signs made plain."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return out.replace("\u2212", "-")


def dump_markers(text: str, *, report_id: str, all_ids: Iterable[str] = (),
                 placeholders: Iterable[str] = PLACEHOLDERS) -> list[str]:
    """Every machine-dump mark in `text`, one `kind: 'excerpt'` string each (empty: clean).

    `all_ids` are the ids of every report: any but `report_id` in the text is a mark.
    `placeholders` are front-matter defaults that must not appear (pass () to allow them).
    """
    found = []
    for kind, pattern in _CHECKS:
        found += [f"{kind}: {m.group(0)!r}" for m in pattern.finditer(text)]
    found += [f"placeholder front matter: {p!r}" for p in placeholders if p in text]
    found += [f"another report's id: {other!r}" for other in all_ids
              if other != report_id and re.search(rf"(?<![\w-]){re.escape(other)}(?![\w-])",
                                                  text)]
    return found
