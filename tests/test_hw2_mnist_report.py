"""The hw2-mnist submission, built the way a user builds it and read back from the PDF, question
by question. Toy-batch numbers are recomputed here from hw2's API; MNIST numbers come from the
build's own cached records."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import REAL_MNIST, ROOT, needs_real_mnist, needs_tex, pdf_text, run_steps

from model.assignments import hw2
from model.data import fingerprint, load_mnist_3_vs_9, make_toy_batch
from report.assignments.hw2_mnist import BIG_STEP, MAIN, REPORT, TOY
from report.compile import layout_warnings
from report.config import load_config
from report.pdfcheck import dump_markers
from report.pipeline import Builder
from report.registry import report_ids

ACTS = [hw2.relu_activation, hw2.sigmoid_activation]
QUESTION = re.compile(r"^\s*\(([a-f])\)\s")
NAME = "Ada Lindqvist"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    if REAL_MNIST is None:  # the report's claims hold on the canonical data only
        pytest.skip(needs_real_mnist.kwargs["reason"])
    tmp = tmp_path_factory.mktemp("hw2")
    config = tmp / "me.toml"
    config.write_text(f'[front]\nnames = ["{NAME}"]\nstudent_numbers = ["s2481377"]\n'
                      f'group = "Group 7"\nworked_alone = true\n\n'
                      f'[data]\nmnist_dir = "{REAL_MNIST}"\n')
    out = tmp / "build"
    proc = subprocess.run([sys.executable, "build.py", "hw2-mnist", "--build-dir", str(out),
                           "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr  # every claim held
    # Reading the records back through the cache is instant and gives the values the PDF used.
    records = Builder(out, load_config(config)).run(REPORT)
    assert all(record.cached for record in records.values())
    text = pdf_text(out / "hw2-mnist.pdf")
    body, appendix = re.split(r"A\.1\s+hw2", text, maxsplit=1)
    return {"dir": out, "text": text, "flat": " ".join(text.split()),
            "pages": body.split("\f"), "appendix": appendix,
            "r": {name: record.result for name, record in records.items()}}


def _toy() -> tuple:
    x, y, weights, biases = make_toy_batch(TOY["seed"], TOY["n"])
    output, caches = hw2.forward_pass(x, weights, biases, ACTS)
    loss, dL_dg = hw2.logistic_loss(output, y)
    return output, loss, dL_dg, hw2.backward_pass(dL_dg, caches)


def _numbers(values: np.ndarray, digits: int = 4) -> list[str]:
    return [f"{round(v, digits) + 0.0:.{digits}f}" for v in np.ravel(values)]


@needs_tex
def test_pdf_text_has_no_machine_dump_markers(built):
    assert dump_markers(built["text"], report_id="hw2-mnist", all_ids=report_ids()) == []
    assert NAME in built["text"]


@needs_tex
def test_no_undefined_references_or_overfull_lines(built):
    log = (built["dir"] / "hw2-mnist" / "tex" / "hw2-mnist.log").read_text(errors="replace")
    assert layout_warnings(log) == []


@needs_tex
def test_first_page_is_the_declaration_and_each_question_starts_a_page(built):
    first = built["pages"][0]
    assert "Collaboration and certification" in first and "Worked alone" in first
    assert "1.1 Getting started" not in first
    found = [(page, m[1]) for page, text in enumerate(built["pages"])
             for line in text.splitlines() if (m := QUESTION.match(line))]
    assert [letter for _, letter in found] == list("abcde") + list("abcdef")
    pages = [page for page, _ in found]
    assert pages == sorted(set(pages)), f"two questions share a page: {found}"


@needs_tex
def test_1_1_states_labels_dimensions_and_split_sizes(built):
    flat, data = built["flat"], built["r"]["data"]
    assert "A 3 has label 0 and a 9 has label 1" in flat
    assert "28 × 28" in flat and "into 784 features" in flat
    assert f"{data['train'].x_shape[0]} training images" in flat
    assert f"{data['test'].x_shape[0]} test images" in flat


@needs_tex
def test_1_2_answers_quote_their_runs_and_state_at_least_97_5_percent(built):
    flat, r = built["flat"], built["r"]
    assert "logistic regression" in flat and "= 10-5 , recomputes" in flat  # (a)
    assert f"Our MNIST runs are {MAIN['dtype']} (images, weights and every product" in flat  # (b)
    assert f"{r['init']['W_std'][0]:.5f}" in flat  # (c)
    assert f"{r['init']['mean_loss']:.4f}" in flat
    assert "backprop_batch" not in flat and "∇W = xT ∆" in flat  # (d): the equations, shown
    curve = r["main"]["curve"]["record"]
    assert f"{100 * curve['test_acc'][-1]:.2f}%" in flat  # (e)
    assert f"{len(curve['train_loss'])} steps" in flat
    final = [run["record"]["test_acc"][-1] for run in r["main"]["runs"]]
    assert min(final) >= 0.975
    assert f"at least {100 * min(final):.2f}%, at or above 97.5%" in flat


@needs_tex
def test_1_2_listings_show_hws_functions_and_no_toolkit_internals(built):
    body = "\n".join(built["pages"])
    for name in ("def nn_finite_difference_checker(", "def sigmoid_activation(",
                 "def logistic_loss(", "def relu_activation(", "def layer_forward(",
                 "def create_weight_matrices(", "def forward_pass(", "def backward_pass(",
                 "def sgd_update(", "def train("):
        assert name in body, name
    for internal in ("tqdm", "Diverged", "from_params", "def fit("):
        assert internal not in built["text"], internal


@needs_tex
def test_1_3_abcd_show_the_toy_values_recomputed_from_hw2s_api(built):
    flat = built["flat"]
    output, loss, dL_dg, (grad_Ws, grad_bs) = _toy()
    assert "test_batch_weights_biases.pkl is not available" in flat
    for number in _numbers(np.concatenate([g.ravel() for g in grad_Ws + grad_bs]), 2):
        assert flat.count(number) >= 2, number  # (a) and (d), at two decimals
    for number in _numbers(output) + _numbers(dL_dg) + _numbers(loss):  # (b)(iii), (c)
        assert number in flat, number
    assert f"average loss, is {loss.mean():.4f}" in flat  # (c)


@needs_tex
def test_1_3_b_gives_the_sigmoid_values_and_the_overflowing_input(built):
    flat = built["flat"]
    out, grad = hw2.sigmoid_activation(np.asarray([1.0, 0.0, -1.0]))
    for number in _numbers(out) + _numbers(grad):
        assert number in flat, number
    assert "the input -1000 causes the overflow" in flat
    assert "overflow" in flat and "NaN" in flat
    assert "(common denominator)" in flat  # (b)(iii): the derivation is shown
    assert "The cache of a layer is the triple (x, W," in flat  # (b)(iv)


@needs_tex
def test_1_3_e_reports_accuracy_errors_and_the_step_size_10_collapse(built):
    flat, r = built["flat"], built["r"]
    final = [run["record"]["test_acc"][-1] for run in r["main"]["runs"]]
    assert f"{100 * np.mean(final):.2f} ± {100 * np.std(final):.2f}%" in flat
    curve = r["main"]["curve"]
    assert f"misreads {len(curve['wrong'])} of the {len(curve['test_y'])} test images" in flat
    for run in r["big_step"]["runs"]:
        assert f"{run['record']['test_acc'][-1]:.4f}" in flat
        assert f"{run['dead_units']}" in flat
    assert "training collapses" in flat and "hidden ReLUs are dead" in flat
    # The third batch's loss is set against the clip of the type the run computed in.
    clip_cost = -np.log(hw2.sigmoid_clip(BIG_STEP["dtype"]))
    assert f"= {clip_cost:.2f} of a confidently wrong image (in {BIG_STEP['dtype']}," in flat
    for name in ("hw2_loss", "hw2_accuracy", "hw2_misclassified", "hw2_big_step"):
        assert (built["dir"] / "hw2-mnist" / "figures" / f"{name}.pdf").stat().st_size > 0


@needs_tex
def test_1_3_f_reports_steps_to_memorise(built):
    flat, r = built["flat"], built["r"]
    best = next(run for run in r["memorise"]["runs"] if run["width"] == 1000)
    steps = max(best["firsts"])
    assert f"memorises it in {steps} steps for every seed" in flat
    assert "centred, width 1000, step 3" in flat


@needs_tex
def test_appendix_holds_all_code_the_answers_ran(built):
    appendix = built["appendix"]
    for name in ("def layer_forward(", "def train(", "def numeric_grad(",
                 "def load_mnist_3_vs_9(", "def make_toy_batch(", "def run_memorise(",
                 "def loss_curves(", "def misclassified("):
        assert name in appendix, name


def test_main_runs_train_every_seed_for_the_prescribed_schedule(built):
    (x, _), _ = load_mnist_3_vs_9()
    steps_per_epoch = -(-len(x) // MAIN["batch_size"])  # the last batch is kept, not dropped
    runs = built["r"]["main"]["runs"]
    assert [run["seed"] for run in runs] == MAIN["seeds"]
    for run in runs:
        assert run["test_p"].dtype == MAIN["dtype"]  # the network computed in the stated type
        assert run["steps_per_epoch"] == steps_per_epoch
        assert len(run["record"]["train_loss"]) == MAIN["epochs"] * steps_per_epoch
    curve = built["r"]["main"]["curve"]
    assert curve["seed"] == MAIN["curve_seed"]
    assert curve["record"]["test_step"] == list(range(1, MAIN["epochs"] * steps_per_epoch + 1))


def test_experiments_and_figures_run_on_a_small_mnist_format_set(fake_mnist_env, tmp_path,
                                                                  monkeypatch):
    steps = run_steps("hw2-mnist", tmp_path / "build")
    assert set(steps["experiments"]) == {e.name for e in REPORT.experiments}
    assert steps["experiments"]["main"]["fields"] == ["curve", "runs"]
    assert set(steps["figures"]) == {f.name for f in REPORT.figures}
    assert all(size > 0 for size in steps["figures"].values())
    # Keyed by the fake files' content: the fake set is what ran.
    assert steps["experiments"]["main"]["data"]["mnist"] == fingerprint("mnist")
    # Results on other files are keyed apart from those on the canonical files.
    monkeypatch.delenv("MNIST_UNVERIFIED")
    assert steps["experiments"]["main"]["data"]["mnist"] != fingerprint("mnist")
