"""Initialisers: each assignment's scheme, its scale, zero biases, dtype."""

import numpy as np
import pytest

from model.assignments.dl2023 import notebook_uniform
from model.assignments.dl2024 import make_layer
from model.functional import sigmoid
from model.init import (
    by_name,
    draw_stats,
    glorot_uniform,
    he_normal,
    normal,
    standard_normal,
    xavier_uniform,
    zeros,
)


def test_dl2024_he_initialisation_test_from_its_text_holds():
    rng = np.random.default_rng(0)
    w, b, h = make_layer(5, 10, sigmoid, rng)
    assert (w.shape, b.shape, h) == ((5, 10), (10,), sigmoid)
    assert abs(np.mean(make_layer(100000, 1, sigmoid, rng)[0])) < 1e-2
    assert abs(np.std(make_layer(100000, 2, sigmoid, rng)[0]) - 1) < 1e-2
    assert np.all(make_layer(1, 100, sigmoid, rng)[1] == 0)


def test_core_he_normal_variance_is_two_over_fan_in():
    w, _ = he_normal(8, 2000, np.random.default_rng(1))
    assert np.var(w) == pytest.approx(2 / 8, rel=0.05)


def test_dl2024s_he_variant_is_two_over_fan_out():
    w, _, _ = make_layer(2000, 8, sigmoid, np.random.default_rng(1))
    assert np.var(w) == pytest.approx(2 / 8, rel=0.05)


def test_xavier_uniform_is_glorot_uniform_under_its_other_name():
    assert xavier_uniform is glorot_uniform


def test_initialiser_names_parse_and_an_unknown_one_is_refused():
    rng = np.random.default_rng(0)
    assert by_name("glorot_uniform") is glorot_uniform and by_name("zeros") is zeros
    assert by_name("he_normal") is he_normal
    assert np.std(by_name("normal(10)")(300, 200, rng)[0]) == pytest.approx(10, rel=0.02)
    with pytest.raises(ValueError, match="unknown initialiser 'he'"):
        by_name("he")


@pytest.mark.parametrize(
    ("init", "bound"),
    [(notebook_uniform, np.sqrt(6 / (30 * 20))), (glorot_uniform, np.sqrt(6 / (30 + 20)))],
    ids=["dl2023_product", "glorot_sum"],
)
def test_uniform_rules_fill_their_interval(init, bound):
    w, b = init(30, 20, np.random.default_rng(2))
    assert np.all(np.abs(w) <= bound)
    assert np.abs(w).max() > 0.95 * bound
    assert np.all(b == 0) and b.shape == (20,)


@pytest.mark.parametrize(("init", "std"), [(normal(0.01), 0.01), (standard_normal, 1.0)])
def test_normal_rules_have_their_standard_deviation(init, std):
    w, _ = init(300, 200, np.random.default_rng(3))
    assert np.std(w) == pytest.approx(std, rel=0.02)
    assert abs(np.mean(w)) < 0.01 * std


def test_initialisers_cast_to_the_dtype_after_drawing_the_same_numbers():
    w64, _ = glorot_uniform(4, 3, np.random.default_rng(4), np.float64)
    w32, b32 = glorot_uniform(4, 3, np.random.default_rng(4), np.float32)
    assert w32.dtype == b32.dtype == np.float32
    np.testing.assert_array_equal(w32, w64.astype(np.float32))


def test_zero_init_gives_zero_weights():
    w, b = zeros(3, 2, np.random.default_rng(5))
    assert not w.any() and not b.any()


def test_draw_stats_reads_the_sample_moments_and_shapes_of_a_draw():
    W, b = np.array([[1.0, -1.0], [3.0, -3.0]]), np.zeros(2)
    assert draw_stats(W, b) == {"mean": 0.0, "var": 5.0, "std": np.sqrt(5.0), "shape": (2, 2),
                                "bias_zero": True, "bias_shape": (2,)}
    assert not draw_stats(W, np.array([0.0, 1e-300]))["bias_zero"]
