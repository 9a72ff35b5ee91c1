"""dl2023-a1 §1.1: the checks the assignment gives for gradient descent on f."""

from __future__ import annotations

import numpy as np
import pytest

from model.optim2d import (
    decay_facts,
    f,
    find_minima,
    grad_f,
    grad_x_f,
    grad_y_f,
    grid_ends,
    grid_reached,
    nearest_minimum,
    optimize_f,
    run_gd,
    run_gd_grid,
)
from report.assignments.dl2023_a1 import GD_B, GD_DECAY


def test_grad_f_is_the_gradient_find_minima_descends_by():
    # Central differences of f at scattered points; a wrong sign or term is off by O(1).
    h = 1e-6
    for p in np.random.default_rng(0).uniform(-4, 4, size=(20, 2)):
        numeric = [(f(p[0] + h, p[1]) - f(p[0] - h, p[1])) / (2 * h),
                   (f(p[0], p[1] + h) - f(p[0], p[1] - h)) / (2 * h)]
        np.testing.assert_allclose(grad_f(p), numeric, rtol=1e-6, atol=1e-6)


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


def test_global_minimum_is_stable_only_below_its_bound_near_0_18():
    global_min = find_minima({"box": 5.0, "starts_per_axis": 9})["minima"][0]
    assert global_min["bound"] == pytest.approx(2 / max(global_min["eigenvalues"]))
    assert 0.17 < global_min["bound"] < 0.19


def test_step_0_2_two_cycles_around_the_global_minimum_and_0_3_settles_in_the_local_one():
    config = {"x": 3.0, "y": 2.0, "step_sizes": [0.1, 0.2, 0.3, 0.5], "steps": [1000]}
    minima = find_minima({"box": 5.0, "starts_per_axis": 9})["minima"]
    ends = grid_ends(run_gd_grid(config), minima)
    local = nearest_minimum(minima, 0.606, -0.303)
    assert ends[0.2]["period"] == 2 and ends[0.2]["near"] == 0
    assert ends[0.3]["period"] == 1 and ends[0.3]["near"] == local
    assert ends[0.1]["period"] == 1 and ends[0.1]["near"] == local
    assert ends[0.5]["period"] is None and not ends[0.5]["diverged"] and ends[0.5]["above_all"]


def test_decayed_run_falls_below_the_bound_after_two_steps():
    minima = find_minima({"box": 5.0, "starts_per_axis": 9})["minima"]
    facts = decay_facts(run_gd(GD_DECAY), minima)
    assert facts["stable_from"] == 2  # 0.2 * 0.95^2 = 0.1805 < 0.1811 < 0.2 * 0.95
    assert facts["in_basin_from"] < GD_DECAY["steps"]


def test_only_the_grid_points_that_end_at_the_target_are_reached():
    grid = {"step_sizes": [0.1, 0.2], "steps": [10, 100],
            "final_f": np.array([[1.0, -2.0], [-2.0005, 3.0]])}
    assert grid_reached(grid, -2.0) == [(0.1, 100), (0.2, 10)]
    assert grid_reached(grid, -2.0, tol=1e-4) == [(0.1, 100)]


def test_a_decay_that_never_gets_below_the_bound_has_no_stable_step():
    minima = [{"x": 0.0, "y": 0.0, "bound": 0.1}]
    run = {"step_size": 0.2, "decay": 1.0, "steps": 3, "x_hist": [0.0] * 4, "y_hist": [0.0] * 4}
    assert decay_facts(run, minima) == {"stable_from": None, "in_basin_from": 0}
    assert decay_facts(run | {"decay": 0.5}, minima)["stable_from"] == 2  # 0.2 * 0.5^2 < 0.1
