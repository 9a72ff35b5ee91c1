"""dl2023-a1 §1.1: the checks the assignment gives for gradient descent on f."""

from __future__ import annotations

import pytest

from model.optim2d import f, grad_x_f, grad_y_f, optimize_f
from report.assignments.dl2023_a1 import GD_B, GD_DECAY, find_minima


def test_one_step_moves_x_downhill_by_a_small_amount():
    x, _, value, _, _ = optimize_f(3, 2, 0.1, 1)
    assert x != 3
    assert value < f(3, 2)
    assert abs(x - 3) < 1


def test_decayed_step_sizes_shrink():
    trace = optimize_f(0.123, 0.456, 0.01, 2, 0.1)[3]
    assert abs(trace[1] - trace[0]) > 5 * abs(trace[2] - trace[1])


def test_tuned_decay_gets_below_minus_two():
    result = optimize_f(GD_DECAY["x"], GD_DECAY["y"], GD_DECAY["step_size"], GD_DECAY["steps"],
                        GD_DECAY["decay"])
    assert result[2] < -2


def test_prescribed_run_ends_where_the_assignment_run_does():
    result = optimize_f(GD_B["x"], GD_B["y"], GD_B["step_size"], GD_B["steps"])
    assert result[2] == pytest.approx(1.2968, abs=5e-5)


def test_gradients_match_central_differences():
    h = 1e-6
    for x, y in [(3.0, 2.0), (-1.0, 0.5), (0.3, -2.0)]:
        assert grad_x_f(x, y) == pytest.approx((f(x + h, y) - f(x - h, y)) / (2 * h), abs=1e-6)
        assert grad_y_f(x, y) == pytest.approx((f(x, y + h) - f(x, y - h)) / (2 * h), abs=1e-6)


def test_global_minimum_found_independently():
    minima = find_minima({"box": 5.0, "starts_per_axis": 9})["minima"]
    assert minima[0]["f"] == pytest.approx(-2.2807, abs=5e-5)
    assert all(m["f"] >= minima[0]["f"] for m in minima)
