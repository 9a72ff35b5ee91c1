"""The dl2024-a1 submission, built the way a user builds it, and read back from the PDF; and the
claims that keep its sentences true."""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, needs_tex, pdf_text

from model.assignments import dl2024
from report.assignments import dl2024_a1 as a24
from report.compile import layout_warnings
from report.config import load_config
from report.pdfcheck import dump_markers
from report.pipeline import Builder, BuildError
from report.registry import report_ids

SECTIONS = {"1.1": "abcdefgh", "1.3": "abcdefg", "1.4": "a", "1.5": "ab", "1.6": "abcdefghijk",
            "1.7": "abc"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("dl2024")
    out = base / "build"
    config = base / "me.toml"
    config.write_text('[front]\nnames = ["Anna Jansen"]\nstudent_numbers = ["s1234567"]\n'
                      'group = "Group 7"\n')
    proc = subprocess.run([sys.executable, "build.py", "dl2024-a1", "--config", str(config),
                           "--build-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    # Every experiment is cached now; reading the records back gives the numbers the PDF shows.
    builder = Builder(out, load_config(config))
    builder.derive(a24.REPORT)  # (cached) so that the template can be rendered again
    records = builder.run(a24.REPORT)
    text = pdf_text(out / "dl2024-a1.pdf")
    flat = " ".join(text.split())
    parts = re.split(r"\s(1\.\d) (?=[A-Z])", flat)
    return {"dir": out, "flat": flat, "r": {name: rec.result for name, rec in records.items()},
            "builder": builder, "records": records,
            "sections": {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}}


def _fix(value: float, digits: int) -> str:
    """A number as the report prints it with `fix`, read back by pdftotext."""
    return f"{value:.{digits}f}"


@needs_tex
def test_every_question_is_answered_under_its_section(built):
    sections = built["sections"]
    assert "1.2" in sections
    for section, letters in SECTIONS.items():
        for letter in letters:
            assert f"({letter})" in sections[section], f"§{section} ({letter}) missing"


@needs_tex
def test_section_1_1_shows_the_runs_the_global_minimum_and_the_two_mistakes(built):
    s, r = built["sections"]["1.1"], built["r"]
    assert f"f = {_fix(r['gd_b']['f'], 4)}" in s  # (b)
    assert f"= {_fix(r['minima']['minima'][0]['f'], 4)}" in s  # (c), (f): the global minimum
    assert _fix(r["gd_grid"]["final_f"][5][0], 4) in s  # (f): step 0.2 after 10 steps
    limit = r["minima"]["minima"][0]["bound"]
    assert "two-step cycle" in s and f"2/λ = {_fix(limit, 3)}" in s
    assert f"f = {_fix(r['schedules']['compounded']['f'], 4)}" in s  # (g): compounded
    assert "t(t+1)/2" in s.replace(" ", "")
    assert f"f = {_fix(r['gd_decay']['f'], 4)}" in s  # (h)


@needs_tex
def test_section_1_2_reproduces_the_printed_autograd_gradients(built):
    s = built["sections"]["1.2"].replace("−", "-")
    for printed in a24.PRINTED["grads"].values():
        for pair in printed["passes"]:
            for value in pair:
                assert _fix(value, 4) in s
    _, passes = built["r"]["autograd"]["exp_sin"]
    assert _fix(passes[0][0], 6) in s and _fix(passes[1][1], 6) in s
    assert "model/autodiff.py" in s and "agrees" in s


@needs_tex
def test_the_student_copys_runs_are_quoted_with_a_verdict_each(built):
    flat = built["flat"]
    runs = a24.context_student(built["r"])["student_runs"]
    assert runs["n"] == len(a24.PRINTED["training"]["runs"])
    assert runs["agree"] + runs["n_differ"] == runs["n"]
    assert flat.count("agrees") + flat.count("differs") >= runs["n"]
    for *_, printed in a24.PRINTED["training"]["runs"]:
        assert _fix(printed[3], 3) in flat


@needs_tex
def test_the_pdf_has_no_machine_dump_markers(built):
    text = pdf_text(built["dir"] / "dl2024-a1.pdf")
    assert dump_markers(text, report_id="dl2024-a1", all_ids=report_ids()) == []


@needs_tex
def test_the_backward_pass_is_listed_and_its_gradient_check_tabled(built):
    s = built["sections"]["1.6"]
    assert "The backward pass of network" in s and "def backward(" in s
    assert "relative error" in s
    assert "fit(to_net" not in s and "tqdm" not in s


@needs_tex
def test_cli_claims_lists_the_reports_claims_all_held(built):
    proc = subprocess.run([sys.executable, "build.py", "--claims", "dl2024-a1", "--build-dir",
                           str(built["dir"])], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    # One claim per checked fact: the He layers and data statistics are one condition each.
    head = re.search(r"dl2024-a1: (\d+) claims, (\d+) contradicted", proc.stdout)
    assert head and int(head.group(1)) > 90 and head.group(2) == "0"
    assert "explanations without a claim" not in proc.stdout


def test_copy_accuracies_far_outside_our_range_get_a_differs_verdict(built):
    r = copy.deepcopy(built["r"])
    for runs in r["student_training"]["runs"].values():
        for run in runs:
            run["val_acc"][-1] = 0.5
    runs = a24.context_student(r)["student_runs"]
    assert runs["agree"] == 0 and runs["n_differ"] == len(a24.PRINTED["training"]["runs"])
    assert "agrees" not in str(a24.context_student(r)["student_runs_table"])


def _render(built: dict, results: dict) -> None:
    """Render the template on `results` in place of the built ones (claims checked)."""
    built["builder"].render_text(a24.REPORT, built["records"])  # the true results render
    built["builder"].render_text(a24.REPORT, {
        name: dataclasses.replace(rec, result=results[name])
        for name, rec in built["records"].items()})


def test_a_worst_run_without_dead_relus_fails_the_build(built):
    r = copy.deepcopy(built["r"])
    r["sweep"]["dead"][-1][...] = 0.0
    with pytest.raises(BuildError, match="hidden ReLUs dead"):
        _render(built, r)


def test_untrained_networks_better_than_chance_fail_the_build(built):
    r = copy.deepcopy(built["r"])
    r["untrained"]["acc"] = [0.9] * len(r["untrained"]["acc"])
    with pytest.raises(BuildError, match="accuracy is chance level"):
        _render(built, r)


@needs_tex
def test_section_1_3_shows_printed_values_and_the_perfect_prediction_cases(built):
    s, c = built["sections"]["1.3"], built["r"]["components"]
    printed = a24.PRINTED["components"]
    for value in printed["sigmoid"]:
        assert _fix(value, 4) in s
    assert f"mean is {_fix(c['bce'], 4)} (printed: {_fix(printed['bce'], 4)})" in s  # (e)
    assert s.count("perfect NaN") == 2  # (f): both perfect predictions, as written
    wrong = _fix(-math.log(np.finfo(float).eps), 2)
    assert s.count(f"completely wrong ∞ {wrong}") == 2  # (g): ours is finite


@needs_tex
def test_sections_1_4_and_1_5_show_the_model_outputs_and_he_scale(built):
    sections, r = built["sections"], built["r"]
    assert f"= {_fix(r['forward']['model1']['y_hat'], 4)}, equal to" in sections["1.4"]
    printed = a24.PRINTED["layers"]
    assert f"= {_fix(printed['model1'], 4)} for its sample" in sections["1.4"]
    s = sections["1.5"]
    assert all(_fix(v, 4) in s for v in r["forward"]["network"]["y"])
    assert all(_fix(v, 4) in s for v in printed["network"])
    rows = {(row["d0"], row["d1"]): row for row in r["he"]["rows"]}
    assert f"standard deviation {_fix(rows[(100000, 2)]['std'], 4)}" in s
    assert "0.0625" in s and _fix(rows[(64, 32)]["std"], 4) in s


@needs_tex
def test_section_1_6_reproduces_the_printed_data_and_answers_with_seed_statistics(built):
    s, r = built["sections"]["1.6"], built["r"]
    stats = r["digits_stats"]
    assert repr(stats["x_min"]) in s and repr(stats["x_max"]) in s
    assert repr(a24.PRINTED["digits"]["x_min"]) in s
    assert "898 training and 899 validation" in s
    acc = np.array([run["val_acc"][-1] for run in r["variants"]["64-32-1"]])
    assert f"validation accuracy {acc.mean():.3f} ± {acc.std():.3f}, above 0.95" in s  # (d)
    one = np.array([run["val_acc"][-1] for run in r["variants"]["64-1"]])
    assert f"validation accuracy {one.mean():.3f} ± {one.std():.3f}" in s  # (g)
    assert "xW1 W2 + (b1 W2 + b2 )" in s  # (i)
    assert re.search(r"\(k\) On the training set, (yes|nearly)", s)


@needs_tex
def test_section_1_7_shows_the_zero_initialisation_study(built):
    s, zero = built["sections"]["1.7"], built["r"]["zero_init"]
    for run in zero.values():
        assert _fix(run["val_acc"][-1], 3) in s
    assert "max unit difference" in s


@needs_tex
def test_no_undefined_references_or_overfull_lines(built):
    log = (built["dir"] / "dl2024-a1" / "tex" / "dl2024-a1.log").read_text(errors="replace")
    assert layout_warnings(log) == []


@needs_tex
def test_a_compounded_schedule_as_good_as_the_intended_one_fails_the_build(built):
    r = copy.deepcopy(built["r"])
    r["schedules"]["compounded"]["f"] = r["schedules"]["intended"]["f"]
    with pytest.raises(BuildError, match="compounded schedule ends clearly higher"):
        _render(built, r)


@needs_tex
def test_a_finite_naive_bce_for_perfect_predictions_fails_the_build(built):
    r = copy.deepcopy(built["r"])
    r["components"]["naive"][:2] = 0.0
    with pytest.raises(BuildError, match="claim 'f-naive' contradicted.*NaN for both perfect"):
        _render(built, r)


def test_autodiff_gradients_agree_with_central_differences_and_the_printed_values():
    result = a24.run_autograd(a24.AUTOGRAD)
    assert result["rel_error"] < 1e-7
    _, passes = result["exp_sin"]
    printed = a24.PRINTED["grads"]["exp_sin"]["passes"]
    assert tuple(tuple(round(g, 4) for g in p) for p in passes) == printed


def test_naive_bce_is_nan_for_perfect_and_inf_for_wrong_predictions():
    cases = np.array(a24.BCE_CASES)
    loss = dl2024.naive_bce(cases[:, 0], cases[:, 1])
    assert np.isnan(loss[:2]).all() and np.isposinf(loss[2:]).all()


def test_descend_with_the_decayed_schedule_is_optimize_f_with_decay():
    config = a24.SCHEDULES
    runs = a24.run_schedules(config)
    assert (runs["intended"]["x"], runs["intended"]["y"]) == (runs["optimize_f"]["x"],
                                                              runs["optimize_f"]["y"])
    t = len(runs["compounded"]["etas"]) - 1
    assert runs["compounded"]["etas"][-1] == pytest.approx(
        config["step_size"] * config["decay"] ** (t * (t + 1) / 2))
