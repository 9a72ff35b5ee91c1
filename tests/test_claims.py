"""Claims beside their sentences: template forms, failing builds, `--claims`, unguarded prose."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from tiny_report import make_report

import build
from report.config import Config
from report.pipeline import Builder, BuildError
from report.prose import unguarded_sentences
from report.spec import ClaimError, claim, recording

TEMPLATE = """<% extends "base.tex.j2" %>
<% block body %>
\\section*{Tiny}
<% call claimed("big", r.tiny.value > LIMIT) %>The square, << r.tiny.value|fix(2) >>, \
exceeds LIMIT.<% endcall +%>
<< claim("positive", r.tiny.value > 0, "It is positive.") >>
It is a square, so it is not negative.<< check(r.tiny.value >= 0, "the square is not negative") >>
<< figure("tiny_fig", "A tiny figure.") >>
<% endblock %>
"""


def tiny(tmp_path: Path, limit: float = 1.0, x: float = 1.5):
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "tiny.tex.j2").write_text(TEMPLATE.replace("LIMIT", str(limit)))
    return make_report(x=x, template_dir=folder)


def builder(tmp_path: Path) -> Builder:
    return Builder(tmp_path / "build", Config(("A. Student",), "Group 1", None))


def test_template_claims_render_their_sentences_and_are_recorded_per_build(tmp_path):
    b = builder(tmp_path)
    tex = b.build(tiny(tmp_path), tex_only=True).read_text()
    assert "The square, \\num{2.25}, exceeds 1.0.\nIt is positive.\nIt is a square" in tex
    recorded = json.loads((tmp_path / "build" / "tiny" / "claims.json").read_text())
    assert [(c["id"], c["holds"]) for c in recorded] == [
        (None, True), ("big", True), ("positive", True), (None, True)]
    assert recorded[1]["where"].endswith("tiny.tex.j2:4")
    assert recorded[1]["sentence"] == "The square, 2.25, exceeds 1.0."
    assert recorded[3]["where"].endswith("tiny.tex.j2:6")  # `check` is placed by its line too


def test_a_contradicted_template_claim_fails_the_build_naming_line_and_sentence(tmp_path):
    with pytest.raises(BuildError) as err:
        builder(tmp_path).build(tiny(tmp_path, limit=3.0), tex_only=True)
    message = str(err.value)
    assert "tiny.tex.j2:4:" in message
    assert "claim 'big' contradicted by the results: The square, 2.25, exceeds 3.0." in message
    assert not (tmp_path / "build" / "tiny" / "tex" / "tiny.tex").exists()


def test_module_claims_raise_at_once_outside_a_collecting_record():
    with pytest.raises(ClaimError, match="one is two"):
        claim(False, "one is two")
    with recording(collect=True) as claims:
        claim(False, "one is two")
        claim(True, "one is one")
    assert [(c.sentence, c.holds) for c in claims] == [("one is two", False), ("one is one", True)]
    assert claims[0].where.startswith("tests/test_claims.py:")


def test_a_claim_given_its_sentence_as_condition_is_refused():
    with pytest.raises(TypeError, match="truth value"):
        claim("the sentence", True)  # type: ignore[arg-type]


def test_cli_claims_lists_every_claim_with_its_sentence_and_the_unguarded_ones(
        tmp_path, capsys):
    held = {"tiny": tiny(tmp_path)}
    args = ["--claims", "tiny", "--build-dir", str(tmp_path / "b"), "-q"]
    assert build.main(args, reports=held) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tiny: 4 claims, 0 contradicted"
    assert any(line.startswith("  held    ") and "tiny.tex.j2:4  [big] The square, 2.25, "
               "exceeds 1.0." in line for line in out)
    assert any("report/" not in line and "tests/tiny_report.py:" in line
               and "the square exceeds one" in line for line in out)
    assert not any(line.startswith("  none") for line in out)  # the "so" has its check

    (tmp_path / "templates" / "tiny.tex.j2").write_text(
        TEMPLATE.replace("LIMIT", "3.0").replace(
            '<< check(r.tiny.value >= 0, "the square is not negative") >>', ""))
    assert build.main(args, reports={"tiny": replace(held["tiny"])}) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tiny: 3 claims, 1 contradicted"
    assert any(line.startswith("  FAILED  ") and "[big]" in line for line in out)
    assert any(line.startswith("  none    ") and "tiny.tex.j2:6  (so) It is a square, so it "
               "is not negative." in line for line in out)


@pytest.mark.parametrize("word", ["because", "since", "due to", "explains", "so"])
def test_each_causal_word_without_a_claim_is_reported_with_its_line(word):
    source = f"First line.\nThe loss falls {word} the step is small. Next one.\n"
    [found] = unguarded_sentences(source)
    assert (found.line, found.word) == (2, word)
    assert found.sentence == f"The loss falls {word} the step is small."


def test_a_claimed_sentence_or_one_followed_by_a_check_is_guarded():
    source = """<% call claimed("a", ok) %>It fails because of X.<% endcall +%>
<< claim("b", ok, "It stalls since Y.") >> It moves, so Z.<< check(ok, "z") >>
<# a comment, because reasons #>Also fine: this is also so-called prose.
<% call claimed("c", ok) %>It is flat<% endcall %>, so it stalls: the clause guards all of it.
\\question{(b)} It is slow due to W.
"""
    found = unguarded_sentences(source)
    assert [(u.line, u.word) for u in found] == [(5, "due to")]
    assert found[0].sentence == "It is slow due to W."
