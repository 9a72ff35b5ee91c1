"""The generic helpers the MNIST reports moved into the core: vectors and GradCheck tables
(report.fragments), step and numerics diagnostics (model.diagnostics), the sampled gradient
check (model.gradcheck.spot_check) and curves over seeds (figures.common)."""

from __future__ import annotations

import numpy as np
import pytest

from figures.common import class_points, moving_mean, new_figure, seed_band, smoothed_curve
from model.diagnostics import (
    class_mean_correlation,
    epoch_curves,
    first_reached,
    float_warnings,
    misread_stats,
)
from model.gradcheck import SMOOTH_BAND, GradCheck, spot_check
from model.layers import Linear, Sigmoid
from model.losses import SoftmaxCE
from model.net import Net
from report.fragments import checks_table, vector
from report.numbers import prob


def test_vector_writes_a_row_as_a_tuple_without_trailing_zeros_or_negative_zero():
    assert vector([0.5, -0.0, 2.0]) == r"(\num{0.5},\allowbreak\ \num{0},\allowbreak\ \num{2})"
    assert vector([1.23456], 2) == r"(\num{1.23})"


def test_vector_of_a_matrix_is_a_bracketed_matrix():
    assert "bmatrix" in vector([[1.0, 2.0], [3.0, 4.0]])


def test_checks_table_has_one_row_per_check_with_its_errors():
    checks = [GradCheck.of("W", np.array([1.0, 2.0]), np.array([1.0, 2.1])),
              GradCheck.of("b", np.array([3.0]), np.array([3.0]))]
    tex = checks_table(checks)
    assert "$W$" in tex and "$b$" in tex
    assert "1.0e-1" in tex  # max |a - n| of W
    custom = checks_table(checks, {"parameter": ["first", "second"]}, what="Two checks.")
    assert "first" in custom and "$W$" not in custom and "Two checks." in custom


def test_first_reached_counts_steps_from_one_and_says_none_when_never():
    assert first_reached([0.2, 0.9, 1.0, 0.8, 1.0], 1.0) == 3
    assert first_reached([0.2, 0.3], 1.0) is None


def test_float_warnings_names_the_overflow_of_the_plain_sigmoid_only():
    value, warned = float_warnings(lambda s: 1 / (1 + np.exp(-s)), -1000.0)
    assert value == 0.0 and warned == ["overflow"]
    value, warned = float_warnings(lambda s: np.exp(s) / (1 + np.exp(s)), 1000.0)
    assert np.isnan(value) and "invalid value" in warned
    assert float_warnings(lambda s: s + 1, 1.0) == (2.0, [])


def test_class_mean_correlation_is_one_for_a_class_mean_itself():
    rng = np.random.default_rng(0)
    x = rng.random((40, 9))
    y = np.arange(40) % 2
    means = np.stack([x[y == c].mean(axis=0) for c in (0, 1)])
    corr = class_mean_correlation(x, y, np.vstack([means, -means]))
    assert corr.shape == (4, 2)
    np.testing.assert_allclose(np.diag(corr[:2]), 1.0)
    np.testing.assert_allclose(np.diag(corr[2:]), -1.0)


def _net(seed: int = 0) -> Net:
    rng = np.random.default_rng(seed)
    return Net([Linear(8, 6, rng), Sigmoid(), Linear(6, 3, rng)])


def test_spot_check_passes_a_right_backward_pass_and_flags_a_wrong_one():
    x = np.random.default_rng(2).uniform(0, 1, size=(3, 8))
    t = np.array([0, 2, 1])
    net = _net()
    checks = spot_check(net, SoftmaxCE(), x, t, per_param=3)
    assert [c.name for c in checks] == ["W1", "b1", "W2", "b2"]
    assert all(c.analytic.size == 3 for c in checks)
    assert max(c.rel_error for c in checks) < SMOOTH_BAND
    sigmoid = net.layers[1]
    right = sigmoid.backward
    sigmoid.backward = lambda x, dy, y=None, input_grad=True: 2 * right(x, dy, y, input_grad)
    errors = {c.name: c.rel_error for c in spot_check(net, SoftmaxCE(), x, t, per_param=3)}
    assert errors["W1"] > 0.1 and errors["W2"] < SMOOTH_BAND


def test_spot_check_leaves_the_weights_as_they_were():
    net, twin = _net(), _net()
    spot_check(net, SoftmaxCE(), np.ones((2, 8)), np.array([0, 1]), per_param=2)
    for (_, p), (_, q) in zip(net.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(p, q)


def test_moving_mean_averages_each_window():
    np.testing.assert_allclose(moving_mean(np.array([1.0, 3.0, 5.0, 7.0]), 2), [2.0, 4.0, 6.0])


def test_smoothed_curve_draws_the_running_mean_at_its_last_step_and_the_raw_steps_beneath():
    fig, ax = new_figure()
    smoothed_curve(ax, [1.0, 3.0, 5.0, 7.0], 2, "mean", raw="each", per_x=2.0)
    raw, mean = ax.lines
    np.testing.assert_allclose(raw.get_xdata(), [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(mean.get_xdata(), [1.0, 1.5, 2.0])
    np.testing.assert_allclose(mean.get_ydata(), [2.0, 4.0, 6.0])
    assert (raw.get_label(), mean.get_label()) == ("each", "mean")


STD = np.sqrt(14 / 3)


@pytest.mark.parametrize(("band", "low", "high"), [("std", 2 - STD, 2 + STD), ("range", 0.0, 5.0)])
def test_seed_band_draws_the_mean_and_shades_the_band(band, low, high):
    runs = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])  # mean 2, std sqrt(14/3), range 0-5
    fig, ax = new_figure()
    seed_band(ax, np.array([0.0, 1.0]), runs, 0, "mean", band=band)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 2.0])
    edges = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(edges.min(), low) and np.isclose(edges.max(), high)
    assert ax.get_legend_handles_labels()[1] == ["mean"]


def test_seed_band_floor_keeps_the_band_above_it():
    fig, ax = new_figure()
    seed_band(ax, np.arange(2.0), np.array([[0.0, 0.0], [2.0, 2.0]]), floor=0.5)
    assert ax.collections[0].get_paths()[0].vertices[:, 1].min() >= 0.5


def test_misread_stats_counts_each_kind_of_error_and_compares_wrong_with_right():
    x = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.0, 0.0, 1.0], [0.0, 0.1, 0.9]])
    y = np.array([0, 0, 1, 1])
    x_eval = np.array([[1.0, 0.0, 0.0], [0.0, 0.2, 2.0], [0.0, 0.0, 1.0], [1.0, 0.1, 0.0]])
    y_eval = np.array([0, 0, 1, 1])  # rows 1 (a 0 that looks like a 1) and 3 are misread
    p = np.array([0.1, 0.97, 0.8, 0.3])
    stats = misread_stats(x, y, x_eval, y_eval, p)
    assert (stats["n_wrong"], stats["n_0_as_1"], stats["n_1_as_0"]) == (2, 1, 1)
    assert stats["closer_other"] == 2 and stats["closer_other_right"] == 0.0
    assert stats["own_wrong"] < 0 < stats["own_right"]
    assert stats["ink_wrong"] == pytest.approx((2.2 + 1.1) / 2)
    assert stats["conf_right"] == pytest.approx(0.85) and stats["sure_wrong"] == 1


def test_epoch_curves_measures_before_training_and_after_every_epoch():
    state = {"w": 0.0}

    def train_epoch(epoch: int) -> list[float]:
        state["w"] += epoch
        return [state["w"], state["w"] + 0.5]

    run = epoch_curves(3, train_epoch, {"a": lambda: (state["w"], -state["w"])})
    np.testing.assert_array_equal(run["step_loss"], [1.0, 1.5, 3.0, 3.5, 6.0, 6.5])
    np.testing.assert_array_equal(run["a_loss"], [0.0, 1.0, 3.0, 6.0])
    np.testing.assert_array_equal(run["a_acc"], [0.0, -1.0, -3.0, -6.0])


def test_class_points_draws_each_class_with_its_own_marker_label_and_given_style():
    fig, ax = new_figure()
    class_points(ax, np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), np.array([0, 1, 1]), 2,
                 linewidths=0)
    sizes = [len(c.get_offsets()) for c in ax.collections]
    assert sizes == [1, 2] and ax.get_legend_handles_labels()[1] == ["class 0", "class 1"]
    assert [c.get_linewidths()[0] for c in ax.collections] == [0, 0]


def test_prob_spells_out_a_clipped_one_and_writes_tiny_values_in_scientific_notation():
    assert prob(1 - 1e-15) == r"1 - \num{1.0e-15}"
    assert prob(1e-15) == r"\num{1.0e-15}"
    assert prob(0.731058578) == r"\num{0.731059}"
    assert prob(0.0) == r"\num{0}" and prob(0.5) == r"\num{0.5}"
