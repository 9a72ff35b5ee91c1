"""The core helpers that the assignment layers share since issue 13's thinning, each on a case
with a known answer: step-size schedules (model/optim2d.py), a split keyed by part
(model/data.py) and math cells (report/fragments.py); the figures two reports name as they are
are tested with the other descent figures (test_core_vocabulary_descent_curves_checks.py)."""

from __future__ import annotations

import numpy as np
import pytest

from model import optim2d
from model.data import keyed
from report.fragments import bmatrix, inline_math


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
