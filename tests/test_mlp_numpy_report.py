"""The mlp-numpy submission: its experiments on a fake MNIST, its answer code, and its PDF read
back as a grader would (on the canonical MNIST)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import REAL_MNIST, ROOT, needs_real_mnist, needs_tex, run_steps

from model.assignments import mlp_numpy as answers
from model.data import fingerprint
from model.init import glorot_uniform
from report.assignments import mlp_numpy as mlp
from report.compile import layout_warnings
from report.config import load_config
from report.pdfcheck import dump_markers, pdf_text
from report.pipeline import Builder

REPORT_IDS = ("dl2023-a1", "dl2024-a1", "hw2-mnist", "lab4-backprop", "mlp-numpy")
FRONT = """[front]
names = ["Ada Lovelace"]
student_numbers = ["s1234567"]
group = "Group 7"
worked_alone = true
[data]
mnist_dir = "{mnist}"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    if REAL_MNIST is None:  # the report's claims hold on the canonical data only
        pytest.skip(needs_real_mnist.kwargs["reason"])
    config = tmp_path_factory.mktemp("mlp") / "front.toml"
    config.write_text(FRONT.format(mnist=REAL_MNIST))
    # The project's own build folder: its cache holds the runs, so a warm rebuild is quick.
    out = ROOT / "build"
    proc = subprocess.run([sys.executable, "build.py", "mlp-numpy", "--config", str(config),
                           "--build-dir", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr
    records = Builder(out, load_config(config)).run(mlp.REPORT)
    text = pdf_text(out / "mlp-numpy.pdf")
    return {"dir": out, "flat": " ".join(text.split()), "text": text,
            "r": {name: rec.result for name, rec in records.items()}}


@needs_tex
def test_pdf_has_no_machine_dump_markers(built):
    assert dump_markers(built["text"], report_id="mlp-numpy", all_ids=REPORT_IDS) == []


@needs_tex
def test_final_run_reaches_the_target_accuracy_on_the_canonical_test_set(built):
    final = built["r"]["q7"]["final"]
    assert final["held_acc"][-1] >= 0.975
    assert f"classifies {100 * final['held_acc'][-1]:.2f}% of the 10,000 canonical test" in \
        built["flat"]


@needs_tex
def test_learning_rate_sweep_runs_on_the_full_split_and_its_best_rate_is_inside_the_grid(built):
    q7 = built["r"]["q7"]
    assert q7["held_acc"].shape[:2] == (len(mlp.Q7["lrs"]), 3)
    assert q7["step_loss"].shape[-1] == 5 * 55_000 // 100
    assert min(mlp.Q7["lrs"]) < q7["best_lr"] < max(mlp.Q7["lrs"])
    for i in range(len(mlp.Q7["lrs"])):
        acc = q7["held_acc"][i, :, -1]
        assert f"{acc.mean():.3f} ± {acc.std():.3f}" in built["flat"]


@needs_tex
def test_question_3_reports_the_texts_derivatives(built):
    q3 = built["flat"][built["flat"].index("Question 3.") : built["flat"].index("Question 4.")]
    assert q3.count("-0.4404 0.4404") == 6  # three rows of dV, ours and the text's
    assert f"{np.log(2):.4f}" in q3


@needs_tex
def test_no_undefined_references_or_overfull_lines(built):
    log = (built["dir"] / "mlp-numpy" / "tex" / "mlp-numpy.log").read_text(errors="replace")
    assert layout_warnings(log) == []


def test_experiments_and_figures_run_on_a_small_mnist_format_set(fake_mnist_env, tmp_path,
                                                                  monkeypatch):
    steps = run_steps("mlp-numpy", tmp_path / "build")
    assert set(steps["experiments"]) == {e.name for e in mlp.REPORT.experiments}
    assert set(steps["figures"]) == {f.name for f in mlp.REPORT.figures}
    assert all(size > 0 for size in steps["figures"].values())
    mnist_runs = [e.name for e in mlp.REPORT.experiments if "mnist" in e.data]
    # Keyed by the fake files' content: the fake set is what ran.
    assert {steps["experiments"][name]["data"]["mnist"] for name in mnist_runs} == {
        fingerprint("mnist")}
    monkeypatch.delenv("MNIST_UNVERIFIED")
    # Results on other files are keyed apart from those on the canonical files.
    assert all(steps["experiments"][name]["data"]["mnist"] != fingerprint("mnist")
               for name in mnist_runs)


def test_train_mnist_records_a_curve_point_per_epoch_and_a_loss_per_step(fake_mnist_env):
    config = {"lr": 0.001, "seed": 0, "epochs": 2, "batch_size": 50, "n_probe": 300,
              "init": "glorot_sigmoid", "final": False}
    run = mlp.train_mnist(config)
    assert len(run["step_loss"]) == 2 * 1000 // 50  # 6,000 fake images less 5,000 validation
    assert len(run["train_loss"]) == len(run["held_acc"]) == 3
    assert run["train_loss"][-1] < run["train_loss"][0]


def test_sgd_epoch_steps_by_the_summed_batch_gradient():
    x = np.random.default_rng(0).uniform(0, 1, size=(4, 6))
    t = np.array([0, 1, 2, 1])
    net, twin = (answers.make_net(6, 5, 3, seed=1) for _ in range(2))
    answers.sgd_epoch(net, x, t, lr=0.1, batch_size=4, seed=0)  # one batch: order is moot
    _, grads = answers.forward_backward(twin, x, t)
    for (name, p), (_, p0) in zip(net.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(p, p0 - 0.1 * 4 * grads[name], rtol=1e-12, err_msg=name)


def test_glorot_sigmoid_is_four_times_glorot_uniform():
    a = answers.glorot_sigmoid(30, 20, np.random.default_rng(5))[0]
    b = glorot_uniform(30, 20, np.random.default_rng(5))[0]
    np.testing.assert_allclose(a, 4 * b)


def test_chained_local_derivatives_equal_y_minus_onehot():
    o = np.random.default_rng(1).normal(size=6)
    for c in range(6):
        np.testing.assert_allclose(answers.chained_grad_o(o, c), mlp.softmax(o) - np.eye(6)[c],
                                   atol=1e-15)
