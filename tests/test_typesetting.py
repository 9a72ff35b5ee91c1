"""Typesetting: pdfLaTeX or LuaLaTeX by the characters, names in any script, the title page, TeX
messages mapped to templates."""

from __future__ import annotations

import logging
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from conftest import ROOT, needs_tex, pdf_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny_report import TEMPLATE, make_report

from report.compile import LatexError, compile_pdf, install_hint
from report.config import Config
from report.latex import ALL_FALLBACKS, engine_for, escape, fallback_fonts, make_environment
from report.pipeline import TEMPLATES, Builder

SCRIPTS = {
    "Latin with diacritics": "Zoë Łukasiewicz-Nguyễn",
    "Greek": "Αλέξανδρος Παπαδόπουλος",
    "Cyrillic": "Иван Петров",
    "CJK": "王小明",
    "Arabic": "محمد علي",
    "Hebrew": "דוד כהן",
}
# A script without an entry in report.latex's table: its Noto font is found by the script's name.
OL_CHIKI = "ᱚᱞ ᱪᱤᱠᱤ"
# 119 characters: the longest kind of name the config accepts, which must wrap, not overflow.
LONG_NAME = " ".join(["Maximiliana"] * 10)
NUMBERS = tuple(f"s{n:07d}" for n in range(1, len(SCRIPTS) + 2))
CERTIFICATION = "We wrote every answer ourselves.\n\nWe shared no code."
# pdftotext marks right-to-left runs with Unicode embedding controls; the text is what counts.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                       "\u2066\u2067\u2068\u2069"))


def config(**changes) -> Config:
    front = dict(names=(*SCRIPTS.values(), LONG_NAME), group="Группа 7 · グループ",
                 mnist_dir=None, student_numbers=NUMBERS, collaborators=("Ada Lovelace", OL_CHIKI),
                 certification=CERTIFICATION)
    return Config(**{**front, **changes})


def producer(pdf: Path) -> str:
    """The PDF's Producer entry, which names the engine that wrote it (pdfTeX or LuaTeX)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return re.search(r"^Producer:\s*(.*)$", info, re.M)[1]


def tiny_with(tmp_path: Path, template: str):
    folder = tmp_path / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.tex.j2").write_text(template)
    return make_report(template_dir=folder)


def flat_text(pdf: Path, *pages: int) -> str:
    if pages:
        out = subprocess.run(["pdftotext", "-layout", "-f", str(pages[0]), "-l", str(pages[-1]),
                              str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    else:
        out = pdf_text(pdf)
    # Arabic glyphs may be extracted as their contextual presentation forms (U+FE70...), which
    # NFKC maps back to the letters; the bidi controls only mark direction.
    return " ".join(unicodedata.normalize("NFKC", out.translate(BIDI_CONTROLS)).split())


@pytest.fixture(scope="module")
def six_scripts(tmp_path_factory) -> tuple[Path, list[str]]:
    """The tiny report with names in six scripts, built once; its PDF and layout warnings."""
    build = tmp_path_factory.mktemp("scripts") / "build"
    builder = Builder(build, config())
    tex = builder.build(make_report(), tex_only=True)
    pdf = build / "tiny.pdf"
    warnings = compile_pdf(tex, pdf, templates=[TEMPLATES / "base.tex.j2"],
                           source_date_epoch=builder.source.epoch, root=ROOT)
    return pdf, warnings


@needs_tex
@pytest.mark.parametrize("script", SCRIPTS)
def test_name_in_script_reaches_the_pdf_text(six_scripts, script):
    assert SCRIPTS[script] in flat_text(six_scripts[0])


@needs_tex
def test_title_page_holds_numbers_group_collaborators_and_certification(six_scripts):
    first = flat_text(six_scripts[0], 1)
    assert all(number in first for number in NUMBERS)
    assert "Группа 7 · グループ" in first
    assert f"Worked with Ada Lovelace, {OL_CHIKI}." in first
    assert "We wrote every answer ourselves. We shared no code." in first
    assert first.count("Date") == 1 and "Signature" in first


@needs_tex
def test_every_character_of_the_names_has_a_glyph(six_scripts):
    assert not [w for w in six_scripts[1] if "Missing character" in w]


@needs_tex
def test_missing_glyph_is_reported_as_a_warning(tmp_path, caplog):
    # U+1F0A1 (a playing card) is in none of the installed fonts.
    with caplog.at_level(logging.WARNING, logger="build"):
        Builder(tmp_path / "build", Config(("A \U0001F0A1",), "G", None)).build(make_report())
    missing = [r.getMessage() for r in caplog.records if "Missing character" in r.getMessage()]
    assert len(missing) == 1 and "(U+1F0A1)" in missing[0]


@needs_tex
def test_body_characters_latin_modern_lacks_bring_their_fallback_and_claims_stay_single(
        tmp_path):
    plain = Builder(tmp_path / "plain", Config(("Ada",), "G", None))
    assert "add_fallback" not in plain.render_text(make_report(), plain.run(make_report()))[0]
    # The front matter is ASCII; the body has Greek, which Latin Modern lacks (not the arrow).
    template = TEMPLATE.replace("The square is", "Weights α → β. The square is")
    report = tiny_with(tmp_path, template)
    builder = Builder(tmp_path / "build", Config(("Ada",), "G", None))
    text, claims = builder.render_text(report, builder.run(report), collect=True)
    assert "file:cmunrm.ttf" in text
    assert len(claims) == 1  # rendered twice, its claim recorded once
    builder.build(report)
    assert "Weights α → β." in flat_text(tmp_path / "build" / "tiny.pdf")


@needs_tex
def test_long_name_wraps_on_the_title_page_without_overfull_boxes(six_scripts):
    pdf, warnings = six_scripts
    assert flat_text(pdf, 1).count("Maximiliana") == 2 * 10  # title block and signature row
    assert not [w for w in warnings if "Overfull" in w]
    lines = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert not [line for line in lines if LONG_NAME in line]


@needs_tex
def test_rebuild_with_names_in_every_script_is_byte_identical(six_scripts, tmp_path):
    again = Builder(tmp_path / "build", config()).build(make_report())
    assert again.read_bytes() == six_scripts[0].read_bytes()


@needs_tex
def test_declaration_page_comes_first_on_its_own_when_the_template_asks(tmp_path):
    template = TEMPLATE.replace('<% extends "base.tex.j2" %>',
                                '<% extends "base.tex.j2" %>\n<% set declaration_page = true %>')
    pdf = Builder(tmp_path / "build", config(names=("Ada Lovelace",), student_numbers=("s1",))
                  ).build(tiny_with(tmp_path, template))
    first, second = flat_text(pdf, 1), flat_text(pdf, 2)
    assert first.startswith("Collaboration and certification")
    assert "We shared no code." in first and "Signature" in first
    assert "Tiny report" in second and "We shared no code." not in second


@needs_tex
def test_worked_alone_is_stated_on_the_title_page(tmp_path):
    front = Config(("Ada Lovelace", "Bob"), "G1", None, worked_alone=True)
    pdf = Builder(tmp_path / "build", front).build(make_report())
    first = flat_text(pdf, 1)
    assert "Worked alone: no one but the authors named above contributed" in first
    assert "Signature" not in first


def test_placeholder_front_matter_is_warned_once_per_report(tmp_path, caplog):
    front = Config(("Student Name",), "Group 0", None, ("s0000000",))
    with caplog.at_level(logging.WARNING, logger="build"):
        Builder(tmp_path / "build", front).build(make_report(), tex_only=True)
    warned = [r.getMessage() for r in caplog.records if "placeholder" in r.getMessage()]
    assert warned == ["tiny: warning: the front matter still holds report.toml's placeholders "
                      "(names, student_numbers, group); copy report.toml, fill it in, and pass "
                      "--config FILE"]


@needs_tex
def test_missing_package_names_the_file_the_debian_package_and_the_template_line(tmp_path):
    # A name long enough that TeX's default 79-column log lines would cut the message.
    package = "nosuchpackage" + "x" * 70
    template = TEMPLATE.replace("<% block body %>", "<% block preamble %>\n"
                                f"\\usepackage{{{package}}}\n<% endblock %>\n<% block body %>")
    line = template.splitlines().index(f"\\usepackage{{{package}}}") + 1
    builder = Builder(tmp_path / "build", Config(("A",), "G", None))
    with pytest.raises(LatexError) as err:
        builder.build(tiny_with(tmp_path, template))
    first = str(err.value).splitlines()[0]
    assert first.endswith(f"templates/tiny.tex.j2:{line}: LaTeX Error: File `{package}.sty' not "
                          "found; it is most likely in texlive-latex-extra (sudo apt-get install "
                          f"texlive-latex-extra); https://packages.debian.org/file:{package}.sty "
                          "names the package otherwise")
    assert "Emergency stop" not in str(err.value)


def test_install_hint_knows_the_debian_package_of_common_packages():
    assert install_hint("siunitx.sty") == "install it with: sudo apt-get install texlive-science"
    assert install_hint("tikz.sty").endswith("texlive-pictures")


@needs_tex
def test_overfull_box_warning_points_at_the_template_line(tmp_path, caplog):
    bad = r"\noindent\rule{1.3\textwidth}{1pt} An overfull rule."
    template = TEMPLATE.replace("The square is", bad + "\n\nThe square is")
    line = template.splitlines().index(bad) + 1
    with caplog.at_level(logging.WARNING, logger="build"):
        Builder(tmp_path / "build", Config(("A",), "G", None)).build(tiny_with(tmp_path, template))
    overfull = [r.getMessage() for r in caplog.records if "Overfull" in r.getMessage()]
    assert len(overfull) == 1
    assert re.match(rf"tiny: \S*templates/tiny\.tex\.j2:{line}: Overfull \\hbox \([\d.]+pt too "
                    r"wide\) in paragraph at lines \d+--\d+ \(generated \S+tiny\.tex:\d+\)$",
                    overfull[0])


def test_engine_is_pdflatex_only_for_characters_the_kernel_sets_in_t1_and_ts1():
    # ë, Ł and – from t1enc.dfu; § and ² from ts1enc.dfu; … from utf8.def itself.
    assert engine_for("Zoë Łukasiewicz – § 2² …\n\t{x}") == "pdflatex"
    for other in ("Ζωή", "Иван", "王", "محمد", "\u2264", "\U0001F0A1", "a\x07"):
        assert engine_for(f"Ada {other}") == "lualatex", other


@needs_tex
@pytest.mark.parametrize(("name", "engine"), [("Zoë Łukasiewicz", "pdfTeX"),
                                              ("Αλέξανδρος Zoë", "LuaTeX"), ("王小明", "LuaTeX")])
def test_latin_names_are_typeset_by_pdflatex_and_others_by_lualatex(tmp_path, name, engine,
                                                                   caplog):
    with caplog.at_level(logging.INFO, logger="build"):
        pdf = Builder(tmp_path / "build", Config((name,), "G", None)).build(make_report())
    assert producer(pdf).startswith(engine)
    assert name in flat_text(pdf, 1)
    # The build log's compile line names the engine that ran.
    (line,) = [r.getMessage() for r in caplog.records if re.match(r"\S+ +compile ", r.getMessage())]
    assert line.endswith("pdflatex" if engine == "pdfTeX" else "lualatex")


@needs_tex
def test_a_change_of_engine_recompiles_and_matches_a_clean_build(tmp_path):
    # The same build folder: Latin (pdfLaTeX), then Greek (LuaLaTeX), then Latin again.
    latin, greek = Config(("Ada",), "G", None), Config(("Ada Ζωή",), "G", None)
    for front, engine in ((latin, "pdfTeX"), (greek, "LuaTeX"), (latin, "pdfTeX")):
        pdf = Builder(tmp_path / "build", front).build(make_report())
        assert producer(pdf).startswith(engine)
        clean = Builder(tmp_path / f"clean-{engine}", front).build(make_report())
        assert pdf.read_bytes() == clean.read_bytes()


@needs_tex
def test_the_same_tex_compiled_by_the_other_engine_is_compiled_again(tmp_path):
    # The .tex is unchanged (pdflatex installed or removed): latexmk must still run the engine.
    builder = Builder(tmp_path / "build", Config(("Ada",), "G", None))
    tex = builder.build(make_report(), tex_only=True)
    pdf = tmp_path / "tiny.pdf"
    for engine, producer_name in (("pdflatex", "pdfTeX"), ("lualatex", "LuaTeX"),
                                  ("pdflatex", "pdfTeX")):
        compile_pdf(tex, pdf, templates=[TEMPLATES / "base.tex.j2"],
                    source_date_epoch=builder.source.epoch, root=ROOT, engine=engine)
        assert producer(pdf).startswith(producer_name)


@needs_tex
def test_missing_glyph_under_pdflatex_is_reported_as_a_warning(tmp_path, caplog):
    # Slot 200 of cmr10 (OT1, 128 glyphs) is empty: pdfTeX drops the character.
    template = TEMPLATE.replace("The square is", r"{\usefont{OT1}{cmr}{m}{n}\char200}The square is")
    with caplog.at_level(logging.WARNING, logger="build"):
        pdf = Builder(tmp_path / "build", Config(("A",), "G", None)).build(
            tiny_with(tmp_path, template))
    assert producer(pdf).startswith("pdfTeX")
    missing = [r.getMessage() for r in caplog.records if "Missing character" in r.getMessage()]
    assert len(missing) == 1 and "in font cmr10!" in missing[0]


@needs_tex
def test_a_text_symbol_in_math_is_reported_at_its_template_line(tmp_path, caplog):
    # pdfLaTeX sets the en dash of `$a – b$` as another glyph; only LaTeX's warning says so.
    bad = "Math $a – b$ here."
    template = TEMPLATE.replace("The square is", bad + "\n\nThe square is")
    line = template.splitlines().index(bad) + 1
    with caplog.at_level(logging.WARNING, logger="build"):
        pdf = Builder(tmp_path / "build", Config(("A",), "G", None)).build(
            tiny_with(tmp_path, template))
    assert producer(pdf).startswith("pdfTeX")
    found = [r.getMessage() for r in caplog.records if "invalid in math mode" in r.getMessage()]
    assert len(found) == 1
    assert re.match(rf"tiny: \S*templates/tiny\.tex\.j2:{line}: LaTeX Warning: Command "
                    r"\\textendash invalid in math mode on input line \d+\. \(generated ", found[0])


def test_escape_sets_right_to_left_runs_apart_and_keeps_neutrals_outside():
    assert escape("Dr. محمد علي (x)") == r"Dr. \nnrtl{محمد علي} (x)"
    assert escape("דוד and שרה") == r"\nnrtl{דוד} and \nnrtl{שרה}"
    assert escape("100% Zoë") == r"100\% Zoë"


def test_fallback_fonts_load_only_the_scripts_that_occur():
    # Latin Modern has every letter of these: no fallback font is loaded at all.
    assert fallback_fonts(["Ada", "Zoë", "Łukasz Żółć", "§2 – …"]) == []
    assert fallback_fonts(["Ζωή"]) == list(ALL_FALLBACKS[:2])  # Greek: the common two
    arabic = fallback_fonts(["محمد"])
    assert len(arabic) == 3 and "NotoNaskhArabic" in arabic[2] and "script=arab" in arabic[2]
    assert fallback_fonts(["王小明", "김민준", "やまだ"])[2:] == [
        "file:NotoSerifCJK-Regular.ttc(2):mode=harf;"]
    # Ol Chiki has no entry of its own: the Noto font named after the script is found.
    assert fallback_fonts(["\u1c5a\u1c5b"])[2:] == ["file:NotoSansOlChiki-Regular.ttf:mode=harf;"]


PRINTABLE = st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl",
                                                      "Zp"), include_characters=" "),
                    min_size=1, max_size=12).filter(str.isprintable)


@needs_tex
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(PRINTABLE, min_size=4, max_size=8))
def test_escaped_printable_unicode_compiles_in_a_small_document(tmp_path, texts):
    env = make_environment((TEMPLATES,))
    document = env.from_string(
        "\\documentclass{article}\n<% with user_text = texts %><% include 'fonts.tex.j2' %>"
        "<% endwith %>\n\\begin{document}\n<% for t in texts %>\n<< t >>\\par\n<% endfor %>\n"
        "\\end{document}\n").render(texts=texts)
    tex = tmp_path / "escaped.tex"
    tex.write_text(document)
    run = subprocess.run(["lualatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, f"{texts!r} did not compile:\n{run.stdout[-1500:]}"


@needs_tex
def test_more_than_seven_signing_authors_get_the_declaration_on_the_next_page(tmp_path):
    """Eight authors and their signature lines do not fit under the title: the title page
    keeps the names, the page after it has the declaration, and nothing spills over."""
    names = tuple(f"Author Number{k} Longsurname-Doublebarrelled" for k in range(1, 9))
    front = config(names=names, student_numbers=tuple(f"s{k}" for k in range(1, 9)))
    builder = Builder(tmp_path / "build", front)
    tex = builder.build(make_report(), tex_only=True)
    warnings = compile_pdf(tex, tmp_path / "tiny.pdf", templates=[TEMPLATES / "base.tex.j2"],
                           source_date_epoch=builder.source.epoch, root=ROOT)
    first, second = flat_text(tmp_path / "tiny.pdf", 1), flat_text(tmp_path / "tiny.pdf", 2)
    assert "Tiny report" in first and all(name in first for name in names)
    assert "Certification" not in first and "Signature" not in first
    assert second.startswith("Collaboration and certification")
    assert "We shared no code." in second and second.count("Longsurname") == 2 * len(names)
    assert not [w for w in warnings if "Overfull" in w]
