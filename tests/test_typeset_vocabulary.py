"""The shared typesetting: numbers, tables, listings, figure size, page map, provenance, and
the PDF check for machine-dump marks, on a tiny report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import needs_tex
from tiny_report import TEMPLATE_DIR, make_report

import report.listings as listings
from figures.common import text_width_in
from report.config import Config
from report.fragments import gradcheck_table, table
from report.numbers import num, pct, pm, sci, seed_list, siunitx_number
from report.pagemap import read_page_map
from report.pdfcheck import dump_markers, pdf_text
from report.pipeline import Builder
from report.provenance import _cut, _seeds, _what
from report.spec import Experiment

IDS = ("dl2023-a1", "dl2024-a1", "hw2-mnist", "lab4-backprop", "mlp-numpy", "tiny")


def test_scientific_numbers_round_before_choosing_the_exponent():
    assert siunitx_number(9.96e-8, 2, sci=True) == "1.0e-7"
    assert siunitx_number(7.31e-8, 2, sci=True) == "7.3e-8"
    assert sci(-1.234e-5) == r"\num{-1.2e-5}"


def test_zero_is_never_written_in_scientific_notation():
    assert sci(0.0) == r"\num{0}"
    assert num(-1e-9, 3) == r"\num{0.000}"
    assert siunitx_number(3.0, 2, sci=True) == "3.0"


def small_pdf(folder: Path, preamble: str, body: str) -> Path:
    """A one-page article (no page number) with `preamble` and `body`, by pdfLaTeX."""
    import subprocess

    (folder / "small.tex").write_text("\\documentclass{article}\\pagestyle{empty}" + preamble
                                      + "\\begin{document}\n" + body + "\n\\end{document}\n")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "small.tex"],
                   cwd=folder, capture_output=True, check=True)
    return folder / "small.pdf"


@needs_tex
def test_a_spread_that_rounds_to_zero_is_printed(tmp_path):
    from report.numbers import SISETUP

    pdf = small_pdf(tmp_path, "\\usepackage{siunitx}" + SISETUP, pm([0.2121, 0.2122, 0.2121], 3))
    assert " ".join(pdf_text(pdf).split()) == "0.212 ± 0.000"


def test_mean_pm_std_and_percent_go_through_siunitx():
    assert pm([1.0, 2.0, 3.0], 2) == r"\num{2.00 +- 0.82}"
    assert pm([1e-8, 2e-8], 2, sci=True) == r"\num{1.50 +- 0.50 e-8}"
    assert pct(0.9812) == r"\num{98.1}\%"
    assert num(0.5, 4, trim=True) == r"\num{0.5}" and num(2.0, 4, trim=True) == r"\num{2}"
    assert num(float("nan")) == r"\ensuremath{\mathrm{NaN}}"


def test_numeric_table_columns_are_aligned_siunitx_columns():
    tex = table(["x", "y"], [["a", num(-1.5, 2)], ["b", sci(3.2e-11)]], align="lS")
    assert "S[table-format=-1.2e-2]" in tex
    assert "{y}" in tex and "&-1.50" in tex and "&3.2e-11" in tex


def test_gradcheck_table_defines_every_column_in_its_caption():
    tex = gradcheck_table({"parameter": ["W"]}, [1e-9], abs_error=[1e-12], analytic=[0.5],
                          numeric=[0.5], what="The layer.")
    caption = tex[tex.index(r"\caption{"):]
    assert caption.startswith(r"\caption{The layer. $a$ is the analytic gradient")
    for term in ("$n$ the numerical one", r"$\max|a - n|$", "relative error is",
                 "h = 10^{-5}"):
        assert term in caption
    assert tex.count("S[table-format=") == 4
    # A column the table does not have is not defined either.
    assert r"\max|a - n|" not in gradcheck_table({"parameter": ["W"]}, [1e-9])


def test_listing_view_elides_marked_blocks_and_cleans_docstrings():
    import typeset_sample

    shown = listings.view(typeset_sample.scaled_step)
    assert "progress(step)" not in shown and "# listing" not in shown
    assert "        ...\n" in shown
    assert "`" not in shown and "$" not in shown and "\\" not in shown
    assert "w <- w - eta grad L" in shown and "the learning rate is eta = lr" in shown


def test_listing_of_a_class_can_show_only_named_methods():
    import typeset_sample

    shown = listings.view(typeset_sample.Layer, only=["forward", "backward"])
    assert "def forward" in shown and "def backward" in shown
    assert "from_params" not in shown and shown.rstrip().endswith("...")
    with pytest.raises(ValueError, match="no method step in Layer"):
        listings.view(typeset_sample.Layer, only=["step"])


def test_listing_caption_is_what_the_template_says_and_it_fits_in_one_box():
    tex = listings.listing("typeset_sample.scaled_step", "The update of `w`")
    assert tex.startswith("\\begin{nnlisting}\n\\listingcaption{The update of \\texttt{w}")
    assert tex.count("\\begin{nnlisting}") == 1 and ", lines " not in tex


@needs_tex
def test_a_listing_caption_never_runs_into_its_file_name(tmp_path):
    """Captions of every length up to three lines: the file name ends flush right, at least
    1em after the caption's last word on its line, or alone on the next line."""
    import re
    import subprocess

    base = (Path(listings.__file__).parent.parent / "templates" / "base.tex.j2").read_text()
    macro = re.search(r"\\newcommand\{\\listingcaption\}.*?\\nopagebreak\}", base, re.S)
    captions = "\n".join(r"\listingcaption{" + " ".join(["caption"] * n) + "}{model/losses.py}"
                          for n in range(1, 40))
    pdf = small_pdf(tmp_path, macro.group(0), captions)
    subprocess.run(["pdftotext", "-bbox", pdf.name, "c.html"], cwd=tmp_path, check=True)
    words = [(float(x0), float(y0), float(x1), text) for x0, y0, x1, text in re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]+)<',
        (tmp_path / "c.html").read_text())]
    right = max(x1 for _, _, x1, _ in words)
    names = [k for k, w in enumerate(words) if w[3] == "model/losses.py"]
    assert len(names) == 39
    for k in names:
        x0, y0, x1, _ = words[k]
        assert x1 > right - 0.5  # flush right
        before = words[k - 1]
        if abs(before[1] - y0) < 2:  # on the caption's line: 1em of the small font, or more
            assert x0 - before[2] > 8, f"{before[3]!r} runs into the file name"


def test_long_listing_breaks_only_between_functions(monkeypatch):
    monkeypatch.setattr(listings, "PAGE_LINES", 8)
    tex = listings.listing("typeset_sample.Layer", "A long one")
    boxes = tex.split("\\begin{nnlisting}")[1:]
    assert len(boxes) == 4  # the class header, then one box per method
    assert "A long one" in boxes[0] and "frame=topline" in boxes[0]
    assert "frame=none" in boxes[1] and "frame=bottomline" in boxes[-1]
    assert all("\\PY{k}{def}" in box for box in boxes[1:])


def test_figure_width_is_the_text_width_of_the_base_template(tmp_path):
    template = tmp_path / "base.tex.j2"
    template.write_text(r"\usepackage[a4paper,margin=2.5cm]{geometry}")
    assert text_width_in(template) == pytest.approx((21.0 - 5.0) / 2.54)


def test_dump_markers_name_each_kind_of_machine_dump():
    text = ("err 1e-07, 0.0 × 10 0, code 1e-15, \\sigma, ‘Linear’, model/layers.py, lines 3--9, "
            "see dl2023-a1, by Student Name")
    markers = dump_markers(text, report_id="tiny", all_ids=IDS)
    # A literal in code (1e-15) is not Python's repr of a result (1e-07).
    assert [m for m in markers if m.startswith("Python")] == ["Python-style number: '1e-07'"]
    kinds = {m.split(":")[0] for m in markers}
    assert kinds == {"Python-style number", "zero in scientific notation", "raw LaTeX",
                     "backtick quote", "file path as a listing caption", "another report's id",
                     "placeholder front matter"}
    assert dump_markers("err 7.3 × 10-8, mlp-numpy", report_id="mlp-numpy", all_ids=IDS) == []


def typeset_values(config: dict) -> dict:
    """Numbers of the kinds a report typesets."""
    return {"value": 2.25, "small": 7.31e-8, "seeds": [0.912, 0.918, 0.915], "acc": 0.9812}


@pytest.fixture(scope="module")
def typeset_pdf(tmp_path_factory) -> tuple[Path, Path]:
    build = tmp_path_factory.mktemp("typeset") / "build"
    base = make_report()
    rep = replace(base, template="typeset.tex.j2",
                  experiments=(Experiment("tiny", typeset_values, {"seed": 3, "x": 1}),),
                  context=lambda r: {}, template_dirs=(TEMPLATE_DIR,))
    builder = Builder(build, Config(("Ada Lovelace (s1234567)",), "Group 12", None))
    return builder.build(rep), build


@needs_tex
def test_typeset_report_pdf_has_no_machine_dump_marks(typeset_pdf):
    pdf, _ = typeset_pdf
    text = pdf_text(pdf)
    assert dump_markers(text, report_id="tiny", all_ids=IDS) == []
    flat = " ".join(text.split())
    for shown in ("7.3 × 10-8", "0.915 ± 0.002", "98.1%", "a zero 0 and", "The passes of Layer",
                  "Our layer against central differences."):
        assert shown in flat


def test_provenance_says_what_a_run_is_by_its_first_sentence_not_a_written_out_product():
    def run_forward(config: dict) -> None:
        """The one-layer model against sigma(x . w + b) written out. Then more."""

    def run_grid(config: dict) -> None:
        """Final f for every step size. The rest is detail."""

    assert _what(run_forward) == "The one-layer model against sigma(x . w + b) written out"
    assert _what(run_grid) == "Final f for every step size"


@needs_tex
def test_build_writes_provenance_sidecar_and_page_map(typeset_pdf):
    pdf, build = typeset_pdf
    sidecar = json.loads((build / "tiny.provenance.json").read_text())
    assert sidecar["experiments"][0]["config"] == {"seed": 3, "x": 1}
    assert sidecar["experiments"][0]["function"] == "test_typeset_vocabulary.typeset_values"
    entries = read_page_map(build / "tiny" / "tex" / "tiny.aux")
    assert [(e.level, e.title) for e in entries] == [
        (1, "Numbers"), (3, "(a)"), (3, "(b)"), (1, "Code"), (3, "(c)"), (1, "Provenance")]
    assert all(e.first >= 1 and e.last >= e.first for e in entries)


def outline_items(pdf: Path) -> int:
    """How many bookmarks (outline items: a /Title with a /Parent) the PDF's objects hold."""
    import re
    import zlib

    data = pdf.read_bytes()
    count = 0
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            objects = zlib.decompressobj().decompress(stream.group(1))
        except zlib.error:
            continue
        count += len(re.findall(rb"/Title \d+ 0 R\s*/A \d+ 0 R\s*/Parent", objects))
    return count


@needs_tex
def test_every_section_and_question_is_a_bookmark(typeset_pdf):
    pdf, _ = typeset_pdf
    assert outline_items(pdf) == 6  # Numbers, (a), (b), Code, (c), Provenance


def test_clean_docstring_spells_tex_exponents_as_exp():
    cleaned = listings.clean_docstring(r"Computed as e^{\min(x, 0)} / (1 + e^{-|x|}); e^{e^{x}}")
    assert cleaned == "Computed as exp(min(x, 0)) / (1 + exp(-|x|)); exp(exp(x))"
    assert "^{" not in listings.clean_docstring(r"y_i = e^{o_i} / \sum_j e^{o_j}")


def test_provenance_writes_a_run_of_consecutive_seeds_as_a_range():
    assert _seeds({"seeds": list(range(20))}) == "0–19"
    assert _seeds({"seeds": [0, 1, 2, 3]}) == "0, 1, 2, 3"
    assert _seeds({"seeds": [3, 4, 5, 6, 7, 8]}) == "3–8"
    assert _seeds({"seed": 12345, "seeds": [0, 1, 2, 3, 4, 7, 9, 10]}) == "12345, 0–4, 7, 9, 10"
    assert _seeds({"split_seed": 5}) == "5"
    assert _seeds({}) == "–"
    assert seed_list(range(10)) == "0–9" and seed_list([]) == "–"


def test_provenance_cuts_a_long_description_after_its_last_whole_clause():
    text = "Every rate with every seed on the split; then the best rate, trained on all images"
    assert _cut(text, 60) == "Every rate with every seed on the split…"
    # A comma inside brackets is not a clause break; the last one outside them is.
    text = "The sweep (rates 0.1, 0.2, 0.3, 0.4, 0.5), its curves, and the best rate in full"
    assert _cut(text, 62) == "The sweep (rates 0.1, 0.2, 0.3, 0.4, 0.5), its curves…"
    # With no break in the first third of the room, the cut falls after a whole word.
    words = "a" * 10 + ", " + "word " * 20
    assert _cut(words, 60) == "a" * 10 + ", " + " ".join(["word"] * 9) + "…"
    assert _cut("short", 60) == "short"


def test_call_listing_writes_a_partials_bound_arguments_into_the_call():
    from functools import partial

    def draw(mode, r, out, title="{}", **options):
        return mode, r, out, title, options

    bound = partial(draw, "grey", title="y = {}", height=0.95)
    assert listings.call_text(bound, "r", "out") == (
        "draw('grey', r, out, title='y = {}', height=0.95)")
    assert listings.call_text(draw, "r", "out") == "draw(r, out)"
    assert listings.call_listing(bound, "r", "out").startswith("\\begin{nnlisting}")
