"""The elementwise maths of model.functional: values, stability, dtypes, derivatives."""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from scipy.special import softmax as scipy_softmax

from model.functional import (
    flush_subnormals,
    identity,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    tanh_grad,
)
from model.gradcheck import SMOOTH_BAND, check_function


def test_sigmoid_of_plus_minus_1000_is_exact_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for dtype in (np.float32, np.float64):
                out = sigmoid(np.array([-1000.0, 1000.0], dtype=dtype))
                assert out.tolist() == [0.0, 1.0], f"{dtype}: {out}"
            assert sigmoid(-1000.0) == 0.0
            assert sigmoid(1000.0) == 1.0


def test_sigmoid_matches_scipy_to_rounding_including_the_far_left_tail():
    x = np.linspace(-700, 40, 20001)
    ref = expit(x)
    assert np.max(np.abs(sigmoid(x) - ref) / ref) < 4 * np.finfo(np.float64).eps


def subnormal(a: np.ndarray) -> np.ndarray:
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_never_returns_a_subnormal_and_is_exact_down_to_its_cut(dtype):
    tiny, eps = np.finfo(dtype).tiny, np.finfo(dtype).eps
    low = -np.log(tiny) + 5  # well into the range where e^x is subnormal, then zero
    x = np.linspace(-low, 0, 400001).astype(dtype)
    out, ref = sigmoid(x), expit(x.astype(np.longdouble))
    assert not subnormal(out).any()
    kept = out > 0
    # Everything at least four times the smallest normal number is kept, to rounding ...
    assert np.all(kept[ref >= 4.01 * tiny])
    assert np.max(np.abs(out[kept] - ref[kept]) / ref[kept]) < 4 * eps
    # ... and only that: below it the result is 0, not a value a sum could not use anyway.
    assert np.all(ref[kept] >= 3.99 * tiny)


def test_flush_subnormals_zeroes_only_the_subnormals_in_place():
    tiny = np.finfo(np.float32).tiny
    a = np.array([1e-40, -1e-40, 1e-45, tiny, -tiny, 0.0, 1.0, -3.5, np.inf, -np.inf, np.nan],
                 dtype=np.float32)
    out = flush_subnormals(a)
    assert out is a
    np.testing.assert_array_equal(a, np.array([0, 0, 0, tiny, -tiny, 0, 1, -3.5, np.inf, -np.inf,
                                               np.nan], dtype=np.float32))


def test_sigmoid_keeps_float32():
    assert sigmoid(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert sigmoid_grad(np.zeros(3, dtype=np.float32)).dtype == np.float32


def test_relu_derivative_is_zero_at_the_kink_and_one_right_of_it():
    x = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    assert relu(x).tolist() == [0.0, 0.0, 0.0, 1e-300, 3.0]
    assert relu_grad(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_relu_grad_of_integers_is_a_float_array():
    assert relu_grad(np.array([-1, 0, 2])).dtype == np.float64


def test_identity_returns_its_input():
    x = np.arange(3.0)
    assert identity(x) is x


@pytest.mark.parametrize(
    ("f", "grad", "lo", "hi"),
    [(sigmoid, sigmoid_grad, -8, 8), (np.tanh, tanh_grad, -3, 3), (relu, relu_grad, 0.1, 5)],
    ids=["sigmoid", "tanh", "relu_away_from_kink"],
)
def test_derivatives_match_central_differences(f, grad, lo, hi):
    x = np.random.default_rng(0).uniform(lo, hi, size=(3, 4))
    # The sum's gradient is the elementwise derivative, which is what each *_grad returns.
    check = check_function(lambda v: float(np.sum(f(v))), grad, x)
    assert check.rel_error < SMOOTH_BAND, check


def test_softmax_rows_match_scipy_and_survive_huge_logits():
    o = np.random.default_rng(1).normal(size=(4, 5)) * 3
    np.testing.assert_allclose(softmax(o), scipy_softmax(o, axis=-1), rtol=1e-14)
    with np.errstate(all="raise"):
        p = softmax(np.array([[1000.0, 0.0, -1000.0]]))
    assert p.tolist() == [[1.0, 0.0, 0.0]]


def test_softmax_is_over_the_last_axis_and_keeps_float32():
    o = np.zeros((2, 3, 4), dtype=np.float32)
    p = softmax(o)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-6)
    assert p[0, 0, 0] == pytest.approx(0.25)


def test_the_sigmoid_docstring_states_the_cuts_it_uses():
    from model.functional import SIGMOID_CUT

    for dtype in (np.float32, np.float64):  # "(x < -85.95 in float32, -707.01 in float64)"
        assert f"-{SIGMOID_CUT[dtype]:.2f} in {dtype.__name__}" in sigmoid.__doc__
