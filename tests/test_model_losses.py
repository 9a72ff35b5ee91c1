"""Losses: the assignments' definitions, finiteness at the edges, gradients, accuracy."""

import numpy as np
import pytest

from model import Linear, Net, Sigmoid, fit
from model.functional import sigmoid
from model.gradcheck import SMOOTH_BAND, check_function
from model.losses import (
    BCE,
    MSE,
    SoftmaxCE,
    _mean,
    accuracy,
    bce_loss,
    bce_loss_grad,
    bce_with_logits,
    bce_with_logits_grad,
    logistic_loss,
    logistic_loss_grad,
    mse_loss,
    mse_loss_grad,
    softmax_cross_entropy,
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_of_perfect_predictions_is_finite_and_about_eps(dtype):
    y = np.array([0.0, 1.0], dtype=dtype)
    loss = bce_loss(y, y)
    grad = bce_loss_grad(y, y)
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad)), (loss, grad)
    assert np.all(loss <= 2 * np.finfo(dtype).eps), loss


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_of_confidently_wrong_predictions_is_minus_log_eps_for_either_label(dtype):
    loss = bce_loss(np.array([0.0, 1.0], dtype=dtype), np.array([1.0, 0.0], dtype=dtype))
    expected = -np.log(np.finfo(dtype).eps)
    np.testing.assert_allclose(loss, [expected, expected], rtol=1e-6)


def test_dl2024_bce_properties_hold_for_the_batch_mean():
    def mean_bce(y, y_hat):
        return np.mean(bce_loss(np.asarray(y), np.asarray(y_hat)))

    assert np.ndim(mean_bce([1], [0.123])) == 0
    assert abs(mean_bce([1], [0.123]) - mean_bce([0], [1 - 0.123])) < 1e-6
    assert mean_bce([0], [0]) < 1e-6
    assert mean_bce([1], [1]) < 1e-6
    assert mean_bce([0], [1]) > 10
    assert mean_bce([1], [0]) > 10


def test_bce_gradient_matches_central_differences():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=(5, 1)).astype(float)
    y_hat = rng.uniform(0.05, 0.95, size=(5, 1))
    check = check_function(
        lambda p: float(np.sum(bce_loss(y, p))), lambda p: bce_loss_grad(y, p), y_hat
    )
    assert check.rel_error < SMOOTH_BAND, check


def test_logistic_loss_is_hw2s_negative_log_likelihood():
    g = np.array([0.2, 0.7, 0.9])
    y = np.array([0, 1, 0])
    direct = -np.log(g**y * (1 - g) ** (1 - y))
    np.testing.assert_allclose(logistic_loss(y, g), direct, rtol=1e-12)
    np.testing.assert_allclose(logistic_loss_grad(y, g), (g - y) / (g * (1 - g)), rtol=1e-12)


def test_softmax_cross_entropy_matches_the_direct_formula_and_its_gradient():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, dlogits = softmax_cross_entropy(labels, logits)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(4), labels])), rel=1e-12)
    check = check_function(lambda o: softmax_cross_entropy(labels, o)[0], lambda o: dlogits, logits)
    assert check.rel_error < SMOOTH_BAND, check


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    with np.errstate(all="raise"):
        loss, dlogits = softmax_cross_entropy(np.array([1]), np.array([[1000.0, -1000.0]]))
    assert loss == pytest.approx(2000.0)
    assert dlogits.tolist() == [[1.0, -1.0]]


def test_mse_is_lab4s_mean_of_squared_errors_without_a_half():
    y = np.array([[0.0], [1.0], [1.0]])
    y_hat = np.array([[0.5], [0.5], [1.0]])
    assert mse_loss(y, y_hat) == pytest.approx((0.25 + 0.25 + 0.0) / 3)
    np.testing.assert_allclose(mse_loss_grad(y, y_hat), 2 * (y_hat - y) / 3)


def test_mse_gradient_matches_central_differences_with_several_outputs():
    rng = np.random.default_rng(3)
    y = rng.normal(size=(4, 2))
    check = check_function(
        lambda p: mse_loss(y, p), lambda p: mse_loss_grad(y, p), rng.normal(size=(4, 2))
    )
    assert check.rel_error < SMOOTH_BAND, check


def test_accuracy_thresholds_one_output_and_takes_argmax_of_several():
    assert accuracy(np.array([1, 0, 1]), np.array([[0.9], [0.4], [0.2]])) == pytest.approx(2 / 3)
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0]])
    assert accuracy(np.array([0, 1, 1]), logits) == pytest.approx(2 / 3)
    assert accuracy(np.eye(2)[[0, 1, 1]], logits) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("loss", "make_y", "k"),
    [
        (BCE(), lambda rng, n, k: rng.integers(0, 2, size=n), 1),
        (MSE(), lambda rng, n, k: rng.normal(size=(n, k)), 3),
        (SoftmaxCE(), lambda rng, n, k: rng.integers(0, k, size=n), 4),
    ],
    ids=["BCE", "MSE", "SoftmaxCE"],
)
def test_loss_objects_give_the_mean_and_its_gradient(loss, make_y, k):
    rng = np.random.default_rng(4)
    y = make_y(rng, 5, k)
    out = rng.uniform(0.1, 0.9, size=(5, k))
    value, grad = loss(y, out)
    assert value == pytest.approx(loss.value(y, out), rel=1e-15)
    check = check_function(lambda o: loss.value(y, o), lambda o: grad, out)
    assert check.rel_error < SMOOTH_BAND, check


def test_bce_object_keeps_float32_with_float64_or_integer_labels():
    out = np.full((3, 1), 0.5, dtype=np.float32)
    for y in (np.array([0.0, 1.0, 1.0]), np.array([0, 1, 1])):
        _, grad = BCE()(y, out)
        assert grad.dtype == np.float32 and grad.shape == (3, 1)


def test_bce_from_logits_equals_bce_of_the_sigmoid_where_nothing_saturates():
    rng = np.random.default_rng(3)
    z = rng.normal(scale=4, size=(6, 1))
    y = rng.integers(0, 2, size=(6, 1)).astype(float)
    np.testing.assert_allclose(bce_with_logits(y, z), bce_loss(y, sigmoid(z)), rtol=1e-12)
    loss, dz = BCE().from_logits(y, z)
    assert loss == pytest.approx(BCE().value(y, sigmoid(z)), rel=1e-12)
    np.testing.assert_allclose(dz, (sigmoid(z) - y) / 6, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_losses_batch_mean_is_bit_for_bit_np_mean(dtype):
    rng = np.random.default_rng(10)
    for n in (1, 5, 7, 100, 899, 4096 + 3):
        for shape in ((n,), (n, 1)):
            values = rng.exponential(scale=3.0, size=shape).astype(dtype)
            assert _mean(values) == float(np.mean(values)), (dtype, shape)
    y, y_hat = rng.integers(0, 2, size=50), rng.uniform(size=(50, 1)).astype(dtype)
    assert BCE().value(y, y_hat) == float(np.mean(bce_loss(y[:, None].astype(dtype), y_hat)))
    assert BCE()(y, y_hat)[0] == BCE().value(y, y_hat)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_from_logits_given_the_sigmoid_output_gives_bit_for_bit_the_same_loss_and_grad(dtype):
    rng = np.random.default_rng(9)
    z = rng.normal(scale=6, size=(37, 1)).astype(dtype)
    y = rng.integers(0, 2, size=37)
    loss, dz = BCE().from_logits(y, z, sigmoid(z))
    assert loss == float(np.mean(bce_with_logits(y[:, None].astype(dtype), z)))
    assert dz.dtype == dtype
    np.testing.assert_array_equal(dz, BCE().from_logits(y, z)[1])
    np.testing.assert_array_equal(dz, bce_with_logits_grad(y[:, None].astype(dtype), z) / 37)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_from_logits_of_a_saturated_wrong_output_grows_like_the_logit(dtype):
    z = np.array([[60.0], [-60.0]], dtype=dtype)
    y = np.array([[0.0], [1.0]], dtype=dtype)
    np.testing.assert_allclose(bce_with_logits(y, z), [[60.0], [60.0]], rtol=1e-6)
    np.testing.assert_array_equal(bce_with_logits_grad(y, z), [[1.0], [-1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_update_moves_a_saturated_wrong_sigmoid_bce_output_back(dtype):
    # z = 60: sigma(z) rounds to exactly 1 in both types, on the wrong side of label 0. Through
    # the clip and a separate sigma' = y_hat (1 - y_hat) = 0 the step would be exactly zero.
    layer = Linear.from_params(np.array([[60.0]], dtype=dtype), np.array([0.0], dtype=dtype))
    net = Net([layer, Sigmoid()])
    x, y = np.ones((1, 1), dtype=dtype), np.zeros(1)
    assert net.forward(x)[0][0, 0] == 1.0
    fit(net, BCE(), x, y, epochs=1, lr=40.0, progress=False)
    np.testing.assert_array_equal(layer.dW, [[1.0]])  # y_hat - y, not 0
    assert layer.W.dtype == dtype
    assert net.forward(x)[0][0, 0] < 0.5, (layer.W, layer.b)


def test_only_a_sigmoid_followed_by_bce_is_differentiated_from_the_logits():
    rng = np.random.default_rng(4)
    net = Net([Linear(3, 1, rng), Sigmoid()])
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    out, trace = net.forward(x)
    _, dz, rest = net.objective(BCE(), y, out, trace)
    assert len(rest) == 1 and rest[0][0] is net.layers[0]
    np.testing.assert_allclose(dz, (out - y[:, None]) / 5, rtol=1e-12)
    _, dout, whole = net.objective(MSE(), y[:, None], out, trace)
    assert whole is trace
    np.testing.assert_allclose(dout, mse_loss_grad(y[:, None], out), rtol=1e-12)


def test_softmax_cross_entropy_gradient_holds_no_subnormal_in_float32():
    # A class 95 below the largest logit has probability e^-95 = 5.5e-42: subnormal in float32.
    logits = np.array([[0.0, -95.0, -3.0], [-96.0, 0.0, 1.0]], dtype=np.float32)
    loss, grad = softmax_cross_entropy(np.array([0, 2]), logits)
    tiny = np.finfo(np.float32).tiny
    assert grad.dtype == np.float32
    assert not np.any((grad != 0) & (np.abs(grad) < tiny))
    assert grad[0, 1] == 0 and grad[1, 0] == 0
    _, exact = softmax_cross_entropy(np.array([0, 2]), logits.astype(np.float64))
    np.testing.assert_allclose(grad, exact, rtol=1e-6, atol=tiny)
