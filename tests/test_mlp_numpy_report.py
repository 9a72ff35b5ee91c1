"""The mlp-numpy submission, built the way a user builds it, and read back from the PDF."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import REAL_MNIST, ROOT, needs_real_mnist, needs_tex, pdf_text, run_steps

from model.data import fingerprint
from report.assignments import mlp_numpy as mlp
from report.compile import layout_warnings
from report.config import load_config
from report.pipeline import Builder


def build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "build.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    if REAL_MNIST is None:  # the report's claims hold on the canonical data only
        pytest.skip(needs_real_mnist.kwargs["reason"])
    out = tmp_path_factory.mktemp("mlp") / "build"
    proc = build("mlp-numpy", "--build-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    # Every experiment is cached now; reading the records back gives the numbers the PDF shows.
    records = Builder(out, load_config(ROOT / "report.toml")).run(mlp.REPORT)
    text = pdf_text(out / "mlp-numpy.pdf")
    return {"dir": out, "text": text, "flat": " ".join(text.split()),
            "r": {name: rec.result for name, rec in records.items()}}


def _section(flat: str, start: str, end: str) -> str:
    """The text from the heading `start` up to the heading `end`."""
    begin = flat.index(start)
    return flat[begin : flat.index(end, begin)]


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def _sci(value: float, digits: int) -> str:
    """A number as the report prints it in scientific notation, read back by pdftotext."""
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa} × 10{int(exponent)}"


@needs_tex
def test_question_1_shows_the_derivations_and_their_numeric_check(built):
    q1 = _section(built["flat"], "Question 1.", "Question 2. Summing")
    s = built["r"]["softmax_ce"]
    compact = q1.replace(" ", "")
    for result in ("=yi(1-yi)", "=-yiyj", "=yi(δij-yj)"):
        assert result in compact, result
    assert f"relative error of {_sci(s['jacobian_rel_error'], 1)}" in q1
    for y in s["y"]:
        assert f"{y:.4f}" in q1


@needs_tex
def test_question_2_gives_y_minus_target_and_the_underflow_case(built):
    q2 = _section(built["flat"], "Question 2. Summing", "Part 2")
    s = built["r"]["softmax_ce"]
    assert f"{s['far_stable_loss']:.4f}" in q2
    assert "NaN" in q2 and "not strictly necessary" in q2


@needs_tex
def test_question_3_reports_the_texts_derivatives(built):
    q3 = _section(built["flat"], "Question 3.", "Question 4.")
    # Three rows of dV, ours and the text's, each (-0.4404, 0.4404).
    assert q3.count("-0.4404 0.4404") == 6
    assert q3.count("(-0.5, 0.5)") == 3
    assert f"{np.log(2):.4f}" in q3
    assert "model/scalar.py" in q3


@needs_tex
def test_question_4_shows_the_data_and_a_falling_loss(built):
    q4 = _section(built["flat"], "Question 4.", "Part 3")
    s = built["r"]["synth"]
    assert f"{s['head'][0][0]:.4f}" in q4
    assert f"{mlp.SYNTH['n_train']:,} training points" in q4
    assert all(f"{v:.3f}" in q4 for v in s["val_loss"])
    assert _pct(s["val_acc"][-1]) in q4
    assert "Figure 1" in q4


@needs_tex
def test_question_5_normalises_the_data_and_checks_the_gradients(built):
    q5 = _section(built["flat"], "Question 5.", "Question 6.")
    m = built["r"]["mnist_stats"]
    for n in (m["n_train"], m["n_val"], m["n_all"], m["n_test"]):
        assert f"{n:,}" in q5
    assert "from 0 to 255" in q5 and "[0, 1]" in q5
    assert "model/assignments/mlp_numpy.py" in q5
    for row in built["r"]["gradcheck"]["rows"]:
        assert f"{_sci(row['abs_error'], 2)} {_sci(row['rel_error'], 2)}" in q5, row["name"]


@needs_tex
def test_question_6_compares_the_batch_with_single_instances(built):
    q6 = _section(built["flat"], "Question 6.", "Part 4")
    b = built["r"]["batched"]
    def shown(value: float) -> str:
        return "0" if value == 0 else _sci(value, 2)

    for row in b["rows"]:
        assert f"{shown(row['max_diff'])} {shown(row['rel_error'])}" in q6, row["name"]


@needs_tex
def test_question_7_answers_all_four_experiments(built):
    q7 = built["flat"][built["flat"].index("Question 7.") :]
    for part in ("7.1", "7.2", "7.3", "7.4"):
        assert re.search(rf"\b{re.escape(part)} [A-Z]", q7), part
    final = built["r"]["final"]
    assert f"classifies {_pct(final['held_acc'][-1], 2)} of the 10,000 canonical test images" in q7
    sweep = built["r"]["sweep"]
    for i, lr in enumerate(sweep["lrs"]):
        acc = sweep["held_acc"][i, :, -1]
        assert f"{lr} {sweep['train_loss'][i, :, -1].mean():.3f}" in q7
        assert f"{acc.mean():.3f} ± {acc.std():.3f}" in q7


@needs_tex
def test_no_undefined_references_or_overfull_lines(built):
    log = (built["dir"] / "mlp-numpy" / "tex" / "mlp-numpy.log").read_text(errors="replace")
    assert layout_warnings(log) == []


def test_train_mnist_records_a_curve_point_per_epoch_and_a_loss_per_step(fake_mnist_env):
    config = {"lr": 0.001, "seed": 0, "epochs": 2, "batch_size": 50, "n_train": 200,
              "final": False}
    run = mlp.train_mnist(config)
    assert len(run["step_loss"]) == 2 * 200 // 50
    assert len(run["train_loss"]) == len(run["held_acc"]) == 3
    assert run["train_loss"][-1] < run["train_loss"][0]
    only_last = mlp.train_mnist(config | {"curves": False})
    assert len(only_last["held_loss"]) == 1
    assert only_last["held_loss"][0] == pytest.approx(run["held_loss"][-1], rel=1e-6)


def test_chained_local_derivatives_equal_y_minus_onehot():
    o = np.random.default_rng(1).normal(size=6)
    for c in range(6):
        np.testing.assert_allclose(mlp.chained_grad_o(o, c), mlp.softmax(o) - np.eye(6)[c],
                                   atol=1e-15)


def test_softmax_jacobian_rows_sum_to_zero_and_match_its_diagonal_formula():
    y = mlp.softmax(np.array([0.3, -1.2, 2.0]))
    jac = mlp.softmax_jacobian(y)
    np.testing.assert_allclose(jac.sum(axis=1), 0, atol=1e-16)
    np.testing.assert_allclose(np.diag(jac), y * (1 - y))


def test_experiments_and_figures_run_on_a_small_mnist_format_set(fake_mnist_env, tmp_path,
                                                                  monkeypatch):
    steps = run_steps("mlp-numpy", tmp_path / "build")
    assert set(steps["experiments"]) == {e.name for e in mlp.REPORT.experiments}
    assert set(steps["figures"]) == {f.name for f in mlp.REPORT.figures}
    assert all(size > 0 for size in steps["figures"].values())
    mnist_runs = [e.name for e in mlp.REPORT.experiments if "mnist" in e.data]
    assert mnist_runs
    # Results on other files are keyed apart from those on the canonical files.
    monkeypatch.delenv("MNIST_UNVERIFIED")
    assert all(steps["experiments"][name]["data"]["mnist"] != fingerprint("mnist")
               for name in mnist_runs)
