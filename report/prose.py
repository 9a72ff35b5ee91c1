"""Find the explanations in a template's prose that no claim guards.

An explanation is a sentence with a causal word: "because", "since", "due to", "explains" (or
"explain", "explained") or "so". It is guarded when a claim is attached to it: the sentence lies
(at least partly) inside a `claimed` block or a `claim(...)` expression, or a `check(...)`
stands inside it or right after its full stop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "so" as a word, not the start of "so-called".
CAUSAL = re.compile(r"\b(because|since|due to|explain(?:s|ed)?|so(?!-))\b", re.IGNORECASE)

# Where a claim stood: OWN guards the sentence it is in (the claim renders that sentence),
# AFTER also the sentence before it (a `check` placed after a full stop).
_OWN, _AFTER = "\x00", "\x01"
_COMMENT = re.compile(r"<#.*?#>", re.DOTALL)
# Group "text" is the guarded sentence: a block's body, or a claim's last (string) argument.
_CALL_BLOCK = re.compile(r"<%[-+]?\s*call\s+claimed\(.*?%>(?P<text>.*?)"
                         r"<%[-+]?\s*endcall\s*[-+]?%>", re.DOTALL)
_CLAIM_EXPR = re.compile(r"<<-?\s*claim\((?P<text>.*?)[\"']\s*\)\s*-?>>", re.DOTALL)
_CHECK_EXPR = re.compile(r"<<-?\s*check\(.*?>>", re.DOTALL)
_EXPR = re.compile(r"<<.*?>>", re.DOTALL)
_STMT = re.compile(r"<%.*?%>", re.DOTALL)
_HEADING = re.compile(r"\\(?:question|section\*?|subsection\*?)\{[^}]*\}")
_BREAK = re.compile(r"(?<=[.!?])\s+(?=\S)|\n[ \t]*\n")


@dataclass(frozen=True)
class Unguarded:
    """An explanatory sentence with no claim: its template line, causal word and text."""

    line: int
    word: str
    sentence: str


def _blank(text: str, pattern: re.Pattern[str], first: str = "", last: str = "") -> str:
    """Replace every match by `first`, spaces and `last`, keeping newlines (so offsets and
    line numbers stay those of the source). last="end" keeps the guarded text's own final
    full stop, so a claimed sentence ends where its text does, and a claimed clause does not."""
    def repl(match: re.Match[str]) -> str:
        body = re.sub(r"[^\n]", " ", match.group(0))
        tail = last
        if last == "end":
            tail = "." if match.group("text").rstrip()[-1:] in (".", "!", "?") else ""
        return first + body[len(first):len(body) - len(tail)] + tail
    return pattern.sub(repl, text)


def unguarded_sentences(source: str) -> list[Unguarded]:
    """The explanatory sentences of a template's source that have no claim attached.

    Jinja comments are ignored; values (`<< x >>`) count as words, statements as nothing,
    headings (`\\question{...}`, `\\section*{...}`) end a sentence.
    """
    masked = _blank(source, _COMMENT)
    masked = _blank(masked, _CALL_BLOCK, _OWN, "end")
    masked = _blank(masked, _CLAIM_EXPR, _OWN, "end")
    masked = _blank(masked, _CHECK_EXPR, _AFTER, ".")
    masked = _blank(masked, _EXPR, "0")
    masked = _blank(masked, _STMT)
    masked = _blank(masked, _HEADING, ".")
    bounds = [0, *(m.end() for m in _BREAK.finditer(masked)), len(masked)]
    pieces = [(a, masked[a:b]) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]
    found = []
    for k, (start, text) in enumerate(pieces):
        after = pieces[k + 1][1].lstrip() if k + 1 < len(pieces) else ""
        if _OWN in text or _AFTER in text or after.startswith(_AFTER):
            continue
        match = CAUSAL.search(text)
        if match is None:
            continue
        original = source[start:start + len(text)]
        found.append(Unguarded(line=source.count("\n", 0, start + match.start()) + 1,
                               word=match.group(1).lower(), sentence=" ".join(original.split())))
    return found
