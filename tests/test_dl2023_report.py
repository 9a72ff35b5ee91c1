"""The dl2023-a1 submission, built the way a user builds it, and read back from the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, needs_tex, pdf_text

from report.compile import layout_warnings
from report.pdfcheck import dump_markers
from report.registry import report_ids

HOSTILE = """\
[front]
names = ["Zoë O'Brien & Ana_López", '100% #1 $x^2$ {weird} ~tilde^ \\input{/etc/passwd}']
group = "G_7 & co"
"""


def build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "build.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("dl2023")
    config = tmp / "hostile.toml"
    config.write_text(HOSTILE)
    out = tmp / "build"
    proc = build("dl2023-a1", "--config", str(config), "--build-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    return {"dir": out, "config": config, "pdf": out / "dl2023-a1.pdf",
            "text": pdf_text(out / "dl2023-a1.pdf")}


@needs_tex
def test_section_1_1_numbers_are_in_the_pdf(built):
    text = built["text"]
    assert "f = 1.2968" in text
    assert "-2.2807" in text


@needs_tex
def test_hostile_front_matter_is_printed_literally(built):
    flat = " ".join(built["text"].split())
    for literal in ("Zoë O'Brien & Ana_López", "100% #1 $x^2$ {weird} ~tilde^",
                    r"\input{/etc/passwd}", "G_7 & co"):
        assert literal in flat


@needs_tex
def test_rebuild_with_nothing_changed_uses_the_cache(built):
    proc = build("dl2023-a1", "--config", str(built["config"]), "--build-dir", str(built["dir"]))
    assert proc.returncode == 0, proc.stderr
    assert "(ran," not in proc.stderr
    assert not re.search(r"^\S+\s+plot\s", proc.stderr, re.M)


@needs_tex
def test_second_clean_build_is_byte_identical(built, tmp_path):
    second = tmp_path / "build"
    second.mkdir()
    shutil.copytree(built["dir"] / "cache", second / "cache")
    proc = build("dl2023-a1", "--config", str(built["config"]), "--build-dir", str(second))
    assert proc.returncode == 0, proc.stderr
    assert (second / "dl2023-a1.pdf").read_bytes() == built["pdf"].read_bytes()


@needs_tex
def test_one_figure_is_regenerated_alone(built):
    figures = built["dir"] / "dl2023-a1" / "figures"
    before = {p.name: p.stat().st_mtime_ns for p in figures.glob("*.pdf")}
    proc = build("--figure", "gd_path_b", "--build-dir", str(built["dir"]))
    assert proc.returncode == 0, proc.stderr
    after = {p.name: p.stat().st_mtime_ns for p in figures.glob("*.pdf")}
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {"gd_path_b.pdf"}


@needs_tex
def test_no_undefined_references_or_overfull_lines(built):
    log = (built["dir"] / "dl2023-a1" / "tex" / "dl2023-a1.log").read_text(errors="replace")
    assert layout_warnings(log) == []


@needs_tex
def test_every_question_is_answered(built):
    text = built["text"]
    expected = {"1.1": "abcdefgh", "1.2": "abcdefghijklm", "1.3": "ab", "1.4": "d",
                "1.5": "a", "1.6": "abcdefghi", "1.7": "abc"}
    sections = re.split(r"\n\s*(1\.\d) (?=[A-Z])", text)
    found = {sections[i]: sections[i + 1] for i in range(1, len(sections) - 1, 2)}
    for section, letters in expected.items():
        for letter in letters:
            assert f"({letter})" in found[section], f"§{section} ({letter}) missing"
    assert "(a)–(c)" in found["1.4"] or "(a)--(c)" in found["1.4"]


REAL = """\
[front]
names = ["Maria Jansen"]
student_numbers = ["s2417893"]
group = "Group 12"
worked_alone = true
"""


@pytest.fixture(scope="module")
def real_names_text(built, tmp_path_factory) -> str:
    """The PDF built again with a realistic front matter, on the first build's cached runs."""
    tmp = tmp_path_factory.mktemp("dl2023-real")
    config = tmp / "real.toml"
    config.write_text(REAL)
    shutil.copytree(built["dir"] / "cache", tmp / "build" / "cache")
    proc = build("dl2023-a1", "--config", str(config), "--build-dir", str(tmp / "build"))
    assert proc.returncode == 0, proc.stderr
    return pdf_text(tmp / "build" / "dl2023-a1.pdf")


@needs_tex
def test_pdf_text_has_no_machine_dump_markers(real_names_text):
    assert "Maria Jansen" in real_names_text
    assert dump_markers(real_names_text, report_id="dl2023-a1", all_ids=report_ids()) == []


@needs_tex
def test_answers_quote_the_measured_mechanisms(real_names_text):
    flat = " ".join(real_names_text.split())
    assert "2-cycle" in flat  # 1.1(f): step 0.2 bounces around the global minimum
    assert re.search(r"λmax = 11\.04, a bound of 0\.181", flat)
    assert re.search(r"of their hidden ReLUs are dead", flat)  # 1.7(a)
    assert "saturated outputs" not in flat and "overshoot the global basin" not in flat


def test_every_claim_holds_and_every_explanation_has_one():
    proc = build("--claims", "dl2023-a1")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"dl2023-a1: \d+ claims, 0 contradicted", proc.stdout), proc.stdout
    assert "explanations without a claim" not in proc.stdout
