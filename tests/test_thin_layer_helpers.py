"""The core helpers that the assignment layers share since issue 13's thinning, each on a case
with a known answer: step-size schedules (model/optim2d.py), a split keyed by part
(model/data.py), math cells (report/fragments.py), and the figures two reports name as they
are (figures/common.py)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from figures import common
from model import optim2d
from model.data import keyed
from model.functional import relu, sigmoid_grad
from report.fragments import bmatrix, inline_math

MINIMA = [{"x": -1.11, "y": 0.56, "f": -2.28}, {"x": 0.61, "y": -0.30, "f": 0.58}]


@pytest.fixture
def drawn(monkeypatch):
    """Figures a helper saves, kept open for inspection instead of written."""
    figures = []
    monkeypatch.setattr(common, "save", lambda fig, path: figures.append(fig))
    yield figures
    for fig in figures:
        matplotlib.pyplot.close(fig)


def test_decayed_steps_follow_the_schedule_optimize_f_uses():
    etas = optim2d.decayed_steps(0.2, 0.9, 4)
    assert np.allclose(etas, [0.2, 0.18, 0.162, 0.1458])
    run = optim2d.descend(3.0, 2.0, optim2d.decayed_steps(0.2, 0.9, 30))
    x, y, *_ = optim2d.optimize_f(3.0, 2.0, 0.2, 30, 0.9)
    assert (run["x"], run["y"]) == pytest.approx((x, y), abs=1e-12)


def test_compounded_steps_multiply_the_running_step_by_decay_to_the_t():
    etas = optim2d.compounded_steps(0.2, 0.9, 5)
    assert etas[0] == 0.2
    # Each step is the previous one times d^t, so the ratios are d, d^2, d^3, ...
    assert np.allclose(etas[1:] / etas[:-1], 0.9 ** np.arange(1, 5))
    assert np.all(etas[2:] < optim2d.decayed_steps(0.2, 0.9, 5)[2:])


def test_keyed_names_each_part_of_a_split():
    parts = [(np.zeros((2, 3)), np.array([0, 1])), (np.ones((1, 3)), np.array([1]))]
    x, y = keyed(parts)
    assert list(x) == list(y) == ["train", "val"]
    assert x["val"] is parts[1][0] and y["train"] is parts[0][1]
    x, _ = keyed(parts, ("fit", "test"))
    assert x["test"].shape == (1, 3)
    with pytest.raises(ValueError, match="2 parts but 3 names"):
        keyed(parts, ("a", "b", "c"))


def test_math_cells_are_set_in_math_mode_and_not_escaped():
    assert inline_math(r"\partial l/\partial y_i") == r"$\partial l/\partial y_i$"
    assert bmatrix(["1", r"\num{2}"]) == r"\begin{bmatrix}1 & \num{2}\end{bmatrix}"


def test_gd_path_draws_the_one_run_of_r_or_the_best_run_of_a_grid(drawn, tmp_path):
    grid = optim2d.run_gd_grid({"x": 3.0, "y": 2.0, "step_sizes": [0.01, 0.1], "steps": [5, 10]})
    common.gd_path({"gd_grid": grid, "minima": {"minima": MINIMA}}, tmp_path / "p.pdf")
    path = next(line for line in drawn[0].axes[0].lines if line.get_label() == "path")
    assert path.get_xdata().tolist() == grid["best"]["x_hist"]
    run = optim2d.run_gd({"x": 3.0, "y": 2.0, "step_size": 0.01, "steps": 3, "decay": 1.0})
    common.gd_path({"minima": {"minima": MINIMA}, "any name": run}, tmp_path / "q.pdf")
    assert drawn[1].axes[0].get_title() == "step 0.01, 3 steps"


def test_gd_step_sizes_titles_each_path_by_its_step_and_final_f(drawn, tmp_path):
    runs = optim2d.run_gd_compare({"x": 3.0, "y": 2.0, "step_sizes": [0.01, 0.15], "steps": 3})
    common.gd_step_sizes({"minima": {"minima": MINIMA}, "compare": runs}, tmp_path / "s.pdf")
    titles = [ax.get_title() for ax in drawn[0].axes if ax.get_title()]
    assert titles == [f"step {eta}: final $f = {run['f']:.3f}$" for eta, run in runs.items()]


def test_sigmoid_relu_panels_draw_each_function_under_its_name(drawn, tmp_path):
    common.sigmoid_relu_panels({}, tmp_path / "a.pdf")
    axes = {ax.get_title(): ax for ax in drawn[0].axes}
    assert set(axes) == {"sigmoid", "ReLU", "sigmoid gradient", "ReLU gradient"}
    x, y = axes["ReLU"].lines[0].get_data()
    assert np.array_equal(y, relu(x))
    x, y = axes["sigmoid gradient"].lines[0].get_data()
    assert np.array_equal(y, sigmoid_grad(x))


def test_digits_strip_titles_each_image_by_its_label(drawn, tmp_path):
    stats = {"first_ten": np.arange(3 * 64).reshape(3, 64), "first_ten_labels": [1.0, 0.0, 1.0]}
    common.digits_strip({"digits_stats": stats}, tmp_path / "d.pdf")
    axes = drawn[0].axes
    assert [ax.get_title() for ax in axes] == ["label 1", "label 0", "label 1"]
    assert axes[1].images[0].get_array().shape == (8, 8)
