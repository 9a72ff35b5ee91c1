"""The lab4-backprop submission, built the way a user builds it, and read back from the PDF."""

from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, needs_tex, pdf_text

from model.assignments.lab4 import NeuralNetwork, train
from model.data import five_points
from report.assignments import lab4_backprop as lab4
from report.compile import layout_warnings
from report.config import load_config
from report.pdfcheck import dump_markers
from report.pipeline import Builder, BuildError
from report.prose import unguarded_sentences
from report.registry import report_ids

# The answers in the order the lab asks for them, as the PDF labels them.
QUESTIONS = [
    "1.", "2.", "3.",
    "The data.", "The network: forward, get_loss and backward.", "In [3]: trying the passes.",
    "In [4]: decision boundary at initialisation.", "In [5]: training.", "In [6]: loss curve.",
    "In [7]: trained decision boundary.", "Depth and hidden sizes.", "Learning rate.",
    "Initialisation.",
]


def sci(value: float, digits: int) -> str:
    """A number as the report prints it with `fix(digits, sci=True)`, read back by pdftotext."""
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa} × 10{int(exponent)}"


FRONT = """[front]
names = ["Maria van der Berg"]
student_numbers = ["s2841937"]
group = "Lab group 3"
worked_alone = true
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("lab4")
    out, config = work / "build", work / "me.toml"
    config.write_text(FRONT)
    proc = subprocess.run([sys.executable, "build.py", "lab4-backprop", "--build-dir", str(out),
                           "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    text = pdf_text(out / "lab4-backprop.pdf")
    # Results straight from the build's cache: every experiment is a cache hit by now.
    builder = Builder(out, load_config(config))
    builder.derive(lab4.REPORT)
    records = builder.run(lab4.REPORT)
    assert all(record.cached for record in records.values())
    return {"dir": out, "text": text, "flat": " ".join(text.split()), "builder": builder,
            "records": records,
            "results": {name: record.result for name, record in records.items()}}


def answers(flat: str) -> dict[str, str]:
    """The text of each answer: from its label up to the next answer's label."""
    starts = []
    position = 0
    for label in QUESTIONS:
        # Exercise 1's answers are labelled "1." etc. at the start of a paragraph.
        pattern = re.escape(label) + (r" (?=The|Collecting|With)" if label[0].isdigit() else "")
        match = re.compile(pattern).search(flat, position)
        assert match, f"answer {label!r} missing (or out of order)"
        starts.append(match.start())
        position = match.end()
    ends = [*starts[1:], len(flat)]
    return {label: flat[a:b] for label, a, b in zip(QUESTIONS, starts, ends, strict=True)}


@needs_tex
def test_every_question_is_answered_in_the_labs_order(built):
    found = answers(built["flat"])
    assert set(found) == set(QUESTIONS)
    assert "Exercise 1" in built["flat"] and "Exercise 2" in built["flat"]


@needs_tex
def test_exercise_1_shows_the_scalar_vectorised_and_batched_identities(built):
    found = answers(built["flat"])
    for part, reasons in {
        "1.": ["(chain rule through the outputs)", "(only k = i remains)",
               "does not depend on k)"],
        "2.": ["(outer product: column times row)", "(elementwise product)"],
        "3.": ["(chain rule through every sample)", "(matrix product)",
               "(matrix product, then elementwise)"],
    }.items():
        for reason in reasons:
            assert reason in found[part], f"part {part}: {reason!r} not found"


@needs_tex
def test_the_prescribed_run_is_reported_with_its_own_numbers(built):
    found = answers(built["flat"])
    x, y = five_points()
    config = lab4.BASE
    net = NeuralNetwork(2, 1, config["hidden"], seed=config["seed"])
    start = net.forward(x)[:, 0]
    net, losses = train(x, y, net, config["epochs"], config["lr"])
    final = net.get_loss(x, y)
    assert f"{losses[0]:.4f}" in found["In [3]: trying the passes."]
    updates = int(np.flatnonzero(np.append(losses, final) < lab4.THRESHOLD)[0])
    curve = found["In [6]: loss curve."]
    assert f"after {updates} updates" in curve
    assert sci(final, 2) in curve
    table = found["The data."]  # the points table sits with the data
    for before, after in zip(start, net.forward(x)[:, 0], strict=True):
        assert f"{before:.4f}" in table and f"{after:.4f}" in table


@needs_tex
def test_gradient_check_table_lists_every_parameter(built):
    section = answers(built["flat"])["The network: forward, get_loss and backward."]
    rows = built["results"]["gradcheck"]["rows"]
    assert len(rows) == 12
    for row in rows:
        assert f"{row['net']} {row['name']}" in section
    worst = max(row["rel_error"] for row in rows)
    assert sci(worst, 1) in section


@needs_tex
def test_every_variation_is_in_its_table(built):
    found = answers(built["flat"])
    variations = built["results"]
    where = {"depth": "Depth and hidden sizes.", "width": "Depth and hidden sizes.",
             "lr": "Learning rate.", "init": "Initialisation."}
    for name, question in where.items():
        for row in lab4.summarise(variations[name]):
            # Math labels ($\mathcal{N}(0, 1)$) come back from pdftotext as N (0, 1).
            shown = re.sub(r"\\mathcal\{(\w)\}|[$^ ]", r"\1", row["label"])
            assert shown in found[question].replace(" ", ""), f"{name}: {row['label']} missing"
    lr = found["Learning rate."]
    products = [row["value"] * row["settled"].mean()
                for row in lab4.summarise(variations["lr"]) if row["all_settled"]]
    assert f"of {np.mean(products):.0f}" in lr
    init = found["Initialisation."]
    assert "0.2400" in init and "constant output 0.4" in init


@needs_tex
def test_all_nine_figures_are_placed(built):
    figures = sorted(p.stem for p in (built["dir"] / "lab4-backprop" / "figures").glob("*.pdf"))
    assert figures == sorted(f.name for f in lab4.REPORT.figures)
    assert re.search(r"Figure 9: ", built["text"]) and not re.search(r"Figure 10: ", built["text"])


@needs_tex
def test_no_undefined_references_or_overfull_lines(built):
    log = (built["dir"] / "lab4-backprop" / "tex" / "lab4-backprop.log").read_text(
        errors="replace")
    assert layout_warnings(log) == []


def _tamper(path: tuple, value):
    def change(results: dict) -> None:
        *parents, last = path
        target = results
        for key in parents:
            target = target[key]
        target[last] = value
    return change


@needs_tex
@pytest.mark.parametrize("change", [
    _tamper(("base", "acc"), 0.8),
    _tamper(("data", "separable"), True),
    _tamper(("data", "best_line_acc"), 1.0),
    _tamper(("init", "runs", 0, 0, "max_abs_inner"), 1e-3),
    _tamper(("lr", "runs", 0, 0, "loss"), np.full(2501, 1e-3)),
    _tamper(("depth", "runs", 3, 0, "acc"), 0.8),
    _tamper(("lr", "runs", 6, 0, "out"), np.array([0.3, 0.96, 0.02, 0.01, 0.02])),
    _tamper(("untrained", "runs", 0, "grid"), np.full((81, 81), 0.95, dtype=np.float32)),
], ids=["trained-net-misses-a-point", "data-separable", "a-line-fits", "zero-init-moves",
        "smallest-lr-converges", "deep-net-misses-a-point", "stuck-output-not-saturated",
        "shown-seed-not-flattest"])
def test_results_that_contradict_the_text_stop_the_build(built, change):
    builder, records = built["builder"], built["records"]
    builder.render_text(lab4.REPORT, records)  # the true results render
    results = copy.deepcopy(built["results"])
    change(results)
    tampered = {name: dataclasses.replace(rec, result=results[name])
                for name, rec in records.items()}
    with pytest.raises(BuildError, match="ClaimError: claim '"):
        builder.render_text(lab4.REPORT, tampered)


def test_every_explanation_in_the_template_has_a_claim():
    source = (ROOT / "templates" / "lab4-backprop.tex.j2").read_text()
    assert unguarded_sentences(source) == []


@needs_tex
def test_pdf_text_has_no_machine_dump_markers(built):
    assert dump_markers(built["text"], report_id="lab4-backprop", all_ids=report_ids()) == []
    assert "Maria van der Berg" in built["text"]


@needs_tex
def test_listings_show_the_answer_code_not_the_training_toolkit(built):
    flat = built["flat"]
    for shown in ("delta = act.backward(z_in, grad, z_out)", "linear.dW = z_prev.T @ delta",
                  "return dy * (1 - y * y)", "return dy * y * (1 - y)",
                  "2 * (y_hat - y) / len(y_hat)", "np.sqrt(6 / (n_in + n_out))",
                  "losses[epoch] = net.backward(x, y)"):
        assert shown in flat, shown
    for hidden in ("tqdm", "Diverged", "from_params", "def fit("):
        assert hidden not in flat, hidden


@needs_tex
def test_claims_cli_lists_every_claim_of_the_report_and_no_loose_explanation(built):
    proc = subprocess.run([sys.executable, "build.py", "--claims", "lab4-backprop",
                           "--build-dir", str(built["dir"]), "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert re.fullmatch(r"lab4-backprop: \d+ claims, 0 contradicted", lines[0]), lines[0]
    assert any("[lr-saturated] On every such point the output sigmoid is saturated" in line
               for line in lines)
    assert "explanations without a claim" not in proc.stdout


def test_seeds_trained_together_are_bit_identical_to_the_labs_train_one_seed_at_a_time():
    config = lab4.SEEDED | {"hidden": [8, 8], "init": "normal(1)", "epochs": 600, "seeds": [0, 3]}
    for seed, together in zip(config["seeds"], lab4.train_seeds(config), strict=True):
        alone = lab4.train_one(config | {"seed": seed})
        assert together.keys() == alone.keys()
        for key in ("loss", "out", "grid"):
            np.testing.assert_array_equal(together[key], alone[key], err_msg=key)
        assert together["grads"] == alone["grads"]
        assert together["start"]["grads"] == alone["start"]["grads"]
