"""The core's small-data helpers: seed statistics, linear separability, the square grid, the
initialiser names, and the decision-boundary and curves-over-seeds figures."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from figures.common import band_curves, boundary_figure, boundary_grid, new_figure
from model import MSE, Linear, Net, Sigmoid, Tanh
from model.batched import fit_many, fit_recorded
from model.data import five_points, square_grid, square_symmetries, xor
from model.diagnostics import (
    best_linear_accuracy,
    disagreement,
    first_below,
    linear_baseline,
    linearly_separable,
    seed_summary,
)
from report.fragments import gradcheck_records_table, records_table, seed_columns


def test_first_below_is_the_first_index_under_the_threshold_or_none():
    assert first_below([0.5, 0.2, 0.05, 0.2, 0.01], 0.1) == 2
    assert first_below([0.5, 0.2], 0.1) is None
    assert first_below([0.1, 0.05], 0.1) == 1  # strictly below


def test_disagreement_is_the_mean_pairwise_share_of_differing_entries():
    a, b, c = np.array([1, 1, 0, 0], bool), np.array([1, 0, 0, 0], bool), np.zeros(4, bool)
    # pairs: a-b 1/4, a-c 2/4, b-c 1/4
    assert disagreement([a, b, c]) == pytest.approx(1 / 3)
    assert disagreement([a, a]) == 0.0
    with pytest.raises(ValueError, match="at least two"):
        disagreement([a])


def test_xor_and_the_five_points_are_not_linearly_separable_but_and_is():
    x, y = xor()
    assert not linearly_separable(x, y[:, 0])
    assert linearly_separable(x, np.array([0.0, 0.0, 0.0, 1.0]))  # AND
    points, labels = five_points()
    assert not linearly_separable(points, labels[:, 0])


def test_best_linear_accuracy_on_xor_is_three_of_four_and_one_when_separable():
    x, y = xor()
    assert best_linear_accuracy(x, y[:, 0]) == 0.75
    assert best_linear_accuracy(x, np.array([0.0, 1.0, 1.0, 1.0])) == 1.0  # OR
    with pytest.raises(ValueError, match="too many"):
        best_linear_accuracy(np.zeros((17, 2)), np.zeros(17))


def test_square_grid_rows_are_what_contourf_reads_after_a_reshape():
    axis, points = square_grid(2.0, 5)
    assert axis.tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert points.shape == (25, 2)
    r, c = 1, 3  # grid[r, c] sits at (axis[c], axis[r])
    assert points[r * 5 + c].tolist() == [axis[c], axis[r]]


def test_band_curves_draw_the_median_over_seeds_and_the_range_as_a_band():
    curves = [np.array([[3.0, 2.0, 1.0], [5.0, 4.0, 1.5], [4.0, 2.5, 0.5]])]
    fig, ax = new_figure()
    band_curves(ax, curves, ["net"], centre="median")
    (line,) = ax.get_lines()
    assert line.get_xdata().tolist() == [0, 1, 2]
    assert line.get_ydata().tolist() == [4.0, 2.5, 1.0]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == 0.5 and band[:, 1].max() == 5.0
    band_curves(ax, curves, ["mean"], centre="mean")
    assert ax.get_lines()[1].get_ydata().tolist() == [4.0, pytest.approx(17 / 6), 1.0]


def test_band_curves_on_a_log_axis_skip_step_zero_and_thin_long_curves():
    fig, ax = new_figure()
    band_curves(ax, [np.ones((2, 5001))], ["x"], log_x=True, points=100)
    steps = ax.get_lines()[0].get_xdata()
    assert steps[0] == 1 and steps[-1] == 5000 and len(steps) <= 100


def test_boundary_figures_are_written(tmp_path):
    axis, points = square_grid(2.5, 21)
    x, y = five_points()
    out = (points[:, 0] * points[:, 1] < 0).astype(float).reshape(21, 21)
    boundary_figure(axis, out, x, y, "a boundary", tmp_path / "one.pdf")
    boundary_grid([[(axis, out), (axis, np.full_like(out, 0.4))]] * 2, x, y, ["a", "constant"],
                  ["seed 0", "seed 1"], tmp_path / "grid.pdf")
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "grid.pdf").read_bytes().startswith(b"%PDF")


def test_seed_summary_gives_finals_mean_curve_and_the_step_each_seed_settles():
    runs = [{"loss": [1.0, 0.5, 0.05], "acc": 1.0}, {"loss": [1.0, 0.08, 0.01], "acc": 0.8},
            {"loss": [1.0, 0.9, 0.8], "acc": 0.6}]
    summary = seed_summary(runs, "loss", 0.1, ["acc"])
    assert summary["final"].tolist() == [0.05, 0.01, 0.8]
    assert summary["mean_curve"].tolist() == pytest.approx([1.0, 1.48 / 3, 0.86 / 3])
    assert summary["acc"].tolist() == [1.0, 0.8, 0.6]
    assert summary["settled"].tolist() == [2, 1]
    assert summary["n_settled"] == 2 and not summary["all_settled"]
    assert "settled" not in seed_summary(runs, "loss")


def test_records_table_has_one_row_per_record_and_a_column_per_header():
    records = [{"name": "a", "v": 0.5}, {"name": "b", "v": 0.25}]
    tex = records_table(records, {"name": lambda r: r["name"], "value": lambda r: r["v"]})
    assert "name&value" in tex
    assert "a&0.5" in tex and "b&0.25" in tex


def test_five_points_have_no_symmetry_of_the_square_and_centred_xor_has_three():
    x, y = five_points()
    assert square_symmetries(x, y) == 0
    centred = xor()[0] - 0.5  # XOR's corners around the origin: every symmetry maps the set
    # onto itself; the labels survive the rotations by 180 degrees and the two diagonal mirrors.
    assert square_symmetries(centred, xor()[1]) == 3


def test_fit_recorded_is_fit_many_plus_a_probe_before_and_after_and_the_final_loss():
    x, y = xor()
    nets = [Net([Linear(2, 3, np.random.default_rng(s)), Tanh(),
                 Linear(3, 1, np.random.default_rng(s + 1)), Sigmoid()]) for s in (0, 1)]
    twins = copy.deepcopy(nets)
    records = fit_recorded(nets, MSE(), x, y, epochs=50, lr=0.5,
                           probe=lambda net: {"w": float(net.layers[0].W[0, 0])})
    histories = fit_many(twins, MSE(), x, y, epochs=50, lr=0.5)
    for record, twin, history, seed in zip(records, twins, histories, (0, 1), strict=True):
        assert record["loss"][:-1].tolist() == history.step_loss
        assert record["loss"][-1] == MSE().value(y, twin.forward(x)[0])
        assert record["w"] == twin.layers[0].W[0, 0]
        assert record["start"]["w"] == Linear(2, 3, np.random.default_rng(seed)).W[0, 0]


def test_linear_baseline_of_xor_finds_no_line_and_a_loss_floor_above_a_quarter_of_errors():
    x, y = xor()
    baseline = linear_baseline(x, y[:, 0], starts=5)
    assert not baseline["separable"] and baseline["best_line_acc"] == 0.75
    # The best sigmoid of a line on XOR outputs 0.5 everywhere: every squared error is 1/4.
    assert baseline["sigmoid_line_floor"] == pytest.approx(0.25, abs=1e-6)
    assert linear_baseline(x, np.array([0.0, 0.0, 0.0, 1.0]), starts=3)["separable"]


def test_seed_columns_show_mean_pm_std_or_how_many_seeds_settled():
    runs = [{"loss": [1.0, 0.05], "acc": 1.0}, {"loss": [1.0, 0.5], "acc": 0.5}]
    columns = seed_columns("steps to 0.1")
    row = seed_summary(runs, "loss", 0.1, ["acc"])
    assert list(columns) == ["final loss", "accuracy", "steps to 0.1"]
    assert columns["steps to 0.1"](row) == "1 of 2 seeds"
    assert columns["accuracy"](row) == r"\num{0.75 +- 0.25}"
    row = seed_summary(runs[:1], "loss", 0.1, ["acc"])
    assert columns["steps to 0.1"](row) == r"\num{1 +- 0}"


def test_gradcheck_records_table_takes_its_columns_from_the_records_and_sets_shapes_as_math():
    rows = [{"name": "W1", "shape": (2, 8), "rel_error": 1e-9, "abs_error": 2e-10},
            {"name": "b1", "shape": (8,), "rel_error": 3e-10, "abs_error": 1e-11}]
    tex = gradcheck_records_table(rows, {"parameter": "name", "shape": "shape"})
    assert "W1&$2 \\times 8$&2.0e-10&1.0e-9" in tex and "b1&$8$&1.0e-11&3.0e-10" in tex
    assert r"$\max|a - n|$" in gradcheck_records_table(rows, {"parameter": "name"})
    assert r"$\max|a - n|$" not in gradcheck_records_table(rows, {"parameter": "name"},
                                                           abs_error=None)
