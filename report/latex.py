"""LaTeX-safe Jinja2 rendering: every injected value is escaped unless marked raw.

Raw LaTeX is marked with PyLaTeX's `NoEscape` (a `str` subclass), so fragments built by PyLaTeX
and by our own helpers pass through, and everything else (names from the config, numbers,
strings from results) is escaped on the way into the document.
"""

from __future__ import annotations

import functools
import re
import subprocess
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from pylatex.utils import NoEscape, escape_latex

# Numbers are typeset by one module; these names stay for the report modules that use them.
from report.numbers import fix as fmt_fixed
from report.numbers import num as fmt_num
from report.numbers import pct as fmt_pct

__all__ = ["NoEscape", "beyond_latin_modern", "engine_for", "escape", "fallback_fonts",
           "fmt_num", "make_environment", "pdftex_chars"]


_LITERAL = {
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "'": r"\textquotesingle{}",
    "`": r"\textasciigrave{}",
    '"': r"\textquotedbl{}",
    r"\^{}": r"\textasciicircum{}",
}


def _strong(char: str) -> str:
    """"R" for a right-to-left letter, "L" for a left-to-right one, "" for anything else."""
    kind = unicodedata.bidirectional(char)
    return "R" if kind in ("R", "AL") else "L" if kind == "L" or char == "\n" else ""


def _direction_runs(text: str) -> list[tuple[bool, str]]:
    """`text` cut into (is_rtl, piece) runs.

    A right-to-left run spans from one strong RTL letter to the last one that follows it without
    a left-to-right letter (or a line break) between them, so the spaces and digits inside an
    Arabic or Hebrew name go with it and the neutral characters around it stay outside.
    """
    runs: list[tuple[bool, str]] = []
    start = end = None
    last = 0
    for i, char in enumerate(text):
        kind = _strong(char)
        if kind == "R":
            start = i if start is None else start
            end = i + 1
        elif kind == "L" and start is not None:
            runs += [(False, text[last:start]), (True, text[start:end])]
            last, start = end, None
    if start is not None:
        runs += [(False, text[last:start]), (True, text[start:end])]
        last = end
    runs.append((False, text[last:]))
    return [run for run in runs if run[1]]


def _noto(name: str, script: str = "") -> str:
    tag = f"script={script};" if script else ""
    return f"file:{name}-Regular.ttf:mode=harf;{tag}"


# Fallback fonts by the first word of the Unicode names of the characters they are for: Computer
# Modern Unicode (fonts-cmu) first, whose Greek and Cyrillic match Latin Modern's design, then
# Debian's Noto fonts (fonts-noto-core, fonts-noto-cjk) for every other script. Complex scripts
# are shaped by HarfBuzz with their OpenType script tag (Arabic letters join only when given).
_GENERAL = "file:cmunrm.ttf:mode=harf;"  # Latin beyond Latin Modern's, Greek, Cyrillic
_WIDE = _noto("NotoSerif")  # what Computer Modern Unicode lacks of them (e.g. Vietnamese)
_SYMBOLS = (_noto("NotoSansSymbols"), _noto("NotoSansMath"))
_CJK = "file:NotoSerifCJK-Regular.ttc(2):mode=harf;"  # face 2: Simplified Chinese forms
_SCRIPT_FONTS = {
    "ARABIC": _noto("NotoNaskhArabic", "arab"),
    "HEBREW": _noto("NotoSerifHebrew", "hebr"),
    **dict.fromkeys(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC",
                     "KANGXI", "FULLWIDTH", "HALFWIDTH", "KATAKANA-HIRAGANA"), _CJK),
    "DEVANAGARI": _noto("NotoSerifDevanagari", "dev2"),
    "BENGALI": _noto("NotoSerifBengali", "bng2"),
    "GURMUKHI": _noto("NotoSerifGurmukhi", "gur2"),
    "GUJARATI": _noto("NotoSerifGujarati", "gjr2"),
    "ORIYA": _noto("NotoSansOriya", "ory2"),
    "TAMIL": _noto("NotoSerifTamil", "tml2"),
    "TELUGU": _noto("NotoSerifTelugu", "tel2"),
    "KANNADA": _noto("NotoSerifKannada", "knd2"),
    "MALAYALAM": _noto("NotoSerifMalayalam", "mlm2"),
    "SINHALA": _noto("NotoSerifSinhala", "sinh"),
    "THAI": _noto("NotoSerifThai", "thai"),
    "LAO": _noto("NotoSerifLao", "lao"),
    "KHMER": _noto("NotoSerifKhmer", "khmr"),
    "MYANMAR": _noto("NotoSerifMyanmar", "mym2"),
    "TIBETAN": _noto("NotoSerifTibetan", "tibt"),
    "GEORGIAN": _noto("NotoSerifGeorgian"),
    "ARMENIAN": _noto("NotoSerifArmenian"),
    "ETHIOPIC": _noto("NotoSerifEthiopic"),
    "THAANA": _noto("NotoSansThaana", "thaa"),
    "SYRIAC": _noto("NotoSansSyriac", "syrc"),
    "MONGOLIAN": _noto("NotoSansMongolian", "mong"),
    "CHEROKEE": _noto("NotoSansCherokee"),
    "CANADIAN": _noto("NotoSansCanadianAboriginal"),
}
_GENERIC = {"LATIN", "GREEK", "CYRILLIC", "COMBINING", "MODIFIER"}
ALL_FALLBACKS = tuple(dict.fromkeys((_GENERAL, _WIDE, *_SCRIPT_FONTS.values(), *_SYMBOLS)))


# Where Debian's fonts-noto-core puts its fonts: one file per script, named after the script.
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
# The words after which a character's Unicode name stops naming its script.
_NAME_KINDS = {"LETTER", "DIGIT", "SIGN", "VOWEL", "CONSONANT", "MARK", "SYLLABLE", "NUMBER",
               "PUNCTUATION", "SYMBOL", "CHARACTER", "LIGATURE", "COMMA", "FULL", "SMALL",
               "CAPITAL", "VIRAMA", "DANDA", "ABBREVIATION"}


def _script_font(name: str) -> str | None:
    """The Noto font named after the script of a character (e.g. OL CHIKI LETTER LA), if any."""
    words = []
    for word in name.split(" "):
        if word in _NAME_KINDS:
            break
        words.append(word.replace("-", " ").title().replace(" ", ""))
    script = "".join(words)
    for family in ("NotoSerif", "NotoSans"):
        path = NOTO_DIR / f"{family}{script}-Regular.ttf"
        if script and path.exists():
            return f"file:{path.name}:mode=harf;"
    return None


# The faces the body is set in (fonts.tex.j2): a character all of them have needs no fallback.
_LATIN_MODERN = ("lmroman10-regular.otf", "lmsans10-regular.otf", "lmmono10-regular.otf")


@functools.cache
def latin_modern_chars() -> frozenset[int]:
    """The code points every Latin Modern face of the body has (its roman, sans and mono share
    their weights' and shapes' repertoire): empty when the fonts cannot be read, so that every
    non-ASCII character then brings in the fallbacks, as it always did."""
    try:
        from fontTools.ttLib import TTFont  # matplotlib's dependency; read only the cmap

        paths = subprocess.run(["kpsewhich", *_LATIN_MODERN], capture_output=True, text=True,
                               check=True).stdout.split()
        if len(paths) != len(_LATIN_MODERN):
            return frozenset()
        return frozenset.intersection(*(frozenset(TTFont(p, lazy=True).getBestCmap())
                                         for p in paths))
    except (OSError, subprocess.CalledProcessError, ImportError, KeyError):
        return frozenset()


def beyond_latin_modern(text: str) -> str:
    """The characters of `text` (each once, in order) that Latin Modern does not have."""
    covered = latin_modern_chars()
    return "".join(dict.fromkeys(c for c in text if not c.isascii() and ord(c) not in covered))


# The LaTeX kernel's UTF-8 input definitions (texlive-latex-base): utf8.def's own, which hold
# for every font encoding (the ellipsis, say), and those for the two encodings the pdfLaTeX
# preamble uses (fonts.tex.j2). Every TS1 symbol they name is in lmodern's TS1 fonts: the
# kernel declares them `\DeclareEncodingSubset{TS1}{lmr}{1}` (lmss, lmtt likewise), and no
# symbol needs a subset below 1.
_PDFTEX_DEFINITIONS = ("utf8.def", "t1enc.dfu", "ts1enc.dfu")
_DECLARED = re.compile(r"^\\DeclareUnicodeCharacter\{(?P<code>[0-9A-Fa-f]+)\}", re.M)


@functools.cache
def pdftex_chars() -> frozenset[int]:
    """The code points pdfLaTeX typesets natively with T1 fontenc and lmodern: printable ASCII,
    tab and line feed, and every character the kernel's utf8 definitions map for T1, TS1 or any
    encoding. Empty when the definitions cannot be read, so that every text then goes to
    LuaLaTeX, as it always did."""
    try:
        paths = subprocess.run(["kpsewhich", *_PDFTEX_DEFINITIONS], capture_output=True,
                               text=True, check=True).stdout.split()
        if len(paths) != len(_PDFTEX_DEFINITIONS):
            return frozenset()
        declared = {int(m["code"], 16) for path in paths
                    for m in _DECLARED.finditer(Path(path).read_text(errors="replace"))}
    except (OSError, subprocess.CalledProcessError):
        return frozenset()
    return frozenset({*range(0x20, 0x7F), ord("\t"), ord("\n"), *declared})


def engine_for(text: str) -> str:
    """"pdflatex" when pdfLaTeX typesets every character of `text` natively, else "lualatex".

    pdfLaTeX runs about twice as fast (0.8 CPU-s a pass against 1.7 for a report, 0.07 against
    0.43 for an empty document), but it has no fallback fonts and no right-to-left text: any
    other character (a Greek or CJK name, an Arabic one set by \\nnrtl) needs LuaLaTeX.
    """
    covered = pdftex_chars()
    return "pdflatex" if covered and all(ord(c) in covered for c in set(text)) else "lualatex"


def fallback_fonts(texts: Iterable[str]) -> list[str]:
    """The luaotfload fallback fonts that `texts` need: none when Latin Modern has every
    character, else the common ones, then one per script.

    Loading fallback fonts costs time in every LuaLaTeX run (the common two about 0.2 s; all of
    them about two seconds), so only the scripts that occur are loaded. A script without an
    entry above gets the Noto font named after it when fonts-noto-core has one; a character no
    font covers is named by LuaTeX's "Missing character" warning, which the compile step
    reports.
    """
    beyond = beyond_latin_modern("".join(texts))
    if not beyond:
        return []
    wanted = [_GENERAL, _WIDE]
    for char in beyond:
        category = unicodedata.category(char)
        name = unicodedata.name(char, "")
        word = name.split(" ")[0]
        if word in _SCRIPT_FONTS:
            font = _SCRIPT_FONTS[word]
        elif category[0] in "SNP" and word not in _GENERIC:
            wanted += [f for f in _SYMBOLS if f not in wanted]
            continue
        elif category[0] in "LM" and word not in _GENERIC:
            font = _script_font(name)
        else:
            continue
        if font and font not in wanted:
            wanted.append(font)
    # A fixed order, so that the same text always gives the same document.
    known = [f for f in ALL_FALLBACKS if f in wanted]
    return known + sorted(f for f in wanted if f not in known)


def escape(value: Any) -> NoEscape:
    """Escape any value for LaTeX text mode; `NoEscape` values pass through unchanged.

    Runs of right-to-left script (Arabic, Hebrew, ...) are wrapped in `\\nnrtl{...}` (defined in
    templates/fonts.tex.j2) so that they are set right to left inside the line.
    """
    if isinstance(value, NoEscape):
        return value
    return NoEscape("".join(rf"\nnrtl{{{_escape_ltr(piece)}}}" if rtl else _escape_ltr(piece)
                            for rtl, piece in _direction_runs(str(value))))


def _escape_ltr(value: str) -> str:
    text = escape_latex(value)
    # Spell out characters that TeX's font ligatures would otherwise turn into other glyphs
    # (`<<`/`>>` guillemets, curly quotes) and the accent that `\^{}` produces.
    for char, command in _LITERAL.items():
        text = text.replace(char, command)
    return text


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
    env.globals["fallback_fonts"] = fallback_fonts
    return env
