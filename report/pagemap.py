"""The page map a grader tags pages with: every section and question, and the pages it spans.

The base template's `\\nnmark` writes `\\nnpage{level}{title}{page}` into the .aux file at each
section and question; this module reads those lines back after the compile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ENTRY = re.compile(r"^\\nnpage\{(\d+)\}\{(.*)\}\{(\d+)\}\s*$")
_COMMAND = re.compile(r"\\[A-Za-z@]+\*?\s*")


@dataclass(frozen=True)
class Entry:
    level: int
    title: str
    first: int
    last: int


def _clean(title: str) -> str:
    """The title as plain text: TeX commands, braces and dollar signs dropped."""
    text = _COMMAND.sub("", re.sub(r"\\([_&%$#{}])", r"\1", title))
    text = text.replace("{", "").replace("}", "").replace("$", "")
    return " ".join(text.replace("~", " ").split())


def read_page_map(aux: Path) -> list[Entry]:
    """Sections (level 1), subsections (2) and questions (3) in order, with their page ranges.

    An entry runs to the page before the next entry of its level or higher starts (or to the
    page that entry starts on, as it may start mid-page); the base template's end mark (level
    0) closes the last ones.
    """
    if not aux.exists():
        return []
    marks = [(int(m[1]), _clean(m[2]), int(m[3])) for line in aux.read_text(errors="replace")
             .splitlines() if (m := _ENTRY.match(line))]
    entries = []
    for i, (level, title, page) in enumerate(marks):
        if level == 0:  # the end-of-document mark: an end, not an entry
            continue
        following = [p for lv, _, p in marks[i + 1:] if lv <= level]
        end = following[0] if following else page
        entries.append(Entry(level, title, page, max(page, end)))
    return entries


def format_page_map(entries: list[Entry]) -> str:
    """`  1.1 Gradient descent  p. 2-4` lines, questions indented under their section."""
    lines = []
    for e in entries:
        pages = f"p. {e.first}" if e.first == e.last else f"pp. {e.first}-{e.last}"
        lines.append(f"{'    ' * (e.level - 1)}{e.title:<{48 - 4 * (e.level - 1)}} {pages}")
    return "\n".join(lines)
