"""The gradient checker itself, and property tests of random networks against it."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from model import BCE, MSE, Identity, Linear, Net, ReLU, Sigmoid, SoftmaxCE, Tanh, gradcheck
from model.gradcheck import (
    KINK_BAND,
    SMOOTH_BAND,
    check_function,
    check_net,
    numeric_grad,
    rel_error,
)

ACTIVATIONS = (Sigmoid, Tanh, ReLU, Identity)
LOSSES = ("bce", "mse", "softmax")


def test_rel_error_is_the_elementwise_maximum_with_the_1e_8_floor():
    assert rel_error(np.array([1.0, 100.0]), np.array([1.1, 100.0])) == pytest.approx(0.1 / 2.1)
    assert rel_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_numeric_grad_restores_every_entry_exactly():
    x = np.random.default_rng(0).normal(size=(3, 2))
    before = x.copy()
    grad = numeric_grad(lambda v: float(np.sum(v**3)), x)
    assert np.array_equal(x, before)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)


def test_check_function_flags_a_wrong_gradient():
    x = np.linspace(-1, 1, 5)
    check = check_function(lambda v: float(np.sum(np.sin(v))), lambda v: np.cos(v) * 1.01, x)
    assert check.rel_error > 1e-3
    assert check.abs_error == pytest.approx(0.01, rel=1e-3)


def test_check_net_flags_a_backward_pass_that_drops_a_factor():
    class HalfSigmoid(Sigmoid):
        def _dx(self, x, dy, y):
            return 0.5 * super()._dx(x, dy, y)

    rng = np.random.default_rng(1)
    net = Net([Linear(3, 2, rng), HalfSigmoid(), Linear(2, 1, rng), Sigmoid()])
    checks = check_net(net, BCE(), rng.normal(size=(4, 3)), np.array([0, 1, 1, 0]))
    by_name = {c.name: c.rel_error for c in checks}
    assert by_name["W1"] > 0.1 and by_name["W2"] < SMOOTH_BAND, by_name


def test_check_net_checks_given_gradients_against_the_nets_numeric_ones():
    rng = np.random.default_rng(2)
    net = Net([Linear(3, 2, rng), Sigmoid(), Linear(2, 1, rng), Sigmoid()])
    x, y = rng.normal(size=(4, 3)), np.array([0, 1, 1, 0])
    right = [c.analytic for c in check_net(net, BCE(), x, y)]
    wrong = [*right[:2], 2 * right[2], right[3]]
    by_name = {c.name: c.rel_error for c in check_net(net, BCE(), x, y, analytic=wrong)}
    assert by_name["W2"] > 0.1 and by_name["W1"] < SMOOTH_BAND, by_name


def _scaled_normal(n_in, n_out, rng, dtype=np.float64):
    """Weights N(0, 1/n_in) keep activations in the working range; random biases test db too."""
    w = rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out))
    return w.astype(dtype), rng.normal(0, 0.5, n_out).astype(dtype)


@st.composite
def networks(draw, activations):
    """(net, loss, x, y, has_relu): depth 1-4 Linear layers of widths 1-8, any loss."""
    depth = draw(st.integers(1, 4))
    widths = draw(st.lists(st.integers(1, 8), min_size=depth + 1, max_size=depth + 1))
    loss = draw(st.sampled_from(LOSSES))
    if loss == "bce":
        widths[-1] = 1
    if loss == "softmax":
        widths[-1] = max(2, widths[-1])
    acts = draw(st.lists(st.sampled_from(activations), min_size=depth, max_size=depth))
    # The last activation: sigmoid for BCE, none for softmax (it is in the loss), any for MSE.
    acts[-1] = {"bce": Sigmoid, "softmax": None, "mse": acts[-1]}[loss]
    batch = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layers = []
    for d_in, d_out, act in zip(widths, widths[1:], acts, strict=False):
        layers += [Linear(d_in, d_out, rng, init=_scaled_normal)] + ([act()] if act else [])
    x = rng.normal(size=(batch, widths[0]))
    y = {
        "bce": lambda: rng.integers(0, 2, size=batch),
        "mse": lambda: rng.normal(size=(batch, widths[-1])),
        "softmax": lambda: rng.integers(0, widths[-1], size=batch),
    }[loss]()
    objects = {"bce": BCE(), "mse": MSE(), "softmax": SoftmaxCE()}
    return Net(layers), objects[loss], x, y, ReLU in acts


def _away_from_kinks(net, x):
    """No ReLU input within 1e-3 of 0: a step of h = 1e-5 in any parameter moves them far less,
    so the central differences never straddle a kink."""
    _, trace = net.forward(x)
    return all(np.abs(inp).min() > 1e-3 for layer, inp, _ in trace if isinstance(layer, ReLU))


def _resolvable(checks):
    """Every entry either exactly 0 on both sides or with |a| + |n| of at least 1e-2.

    The central differences carry an error of their own, about 1e-11 to 1e-9 absolute (rounding
    and the h^2 term), so the elementwise relative error of a small entry measures them, not the
    backward pass: an entry of 1e-5 can miss the 1e-7 band however right it is. Above 1e-2 the
    worst of 5000 random networks stayed below 3e-8, a safe margin under the band.
    """
    return all(
        np.all(
            ((c.analytic == 0) & (c.numeric == 0))
            | (np.abs(c.analytic) + np.abs(c.numeric) >= 1e-2)
        )
        for c in checks
    )


@settings(max_examples=40, deadline=None)
@given(networks(activations=(Sigmoid, Tanh, Identity)))
def test_random_smooth_networks_pass_the_smooth_band(case):
    net, loss, x, y, _ = case
    checks = check_net(net, loss, x, y)
    assume(_resolvable(checks))
    worst = max(checks, key=lambda c: c.rel_error)
    assert worst.rel_error < SMOOTH_BAND, (str(net), loss, worst)


@settings(max_examples=40, deadline=None)
@given(networks(activations=ACTIVATIONS))
def test_random_networks_with_relu_pass_the_kink_band(case):
    net, loss, x, y, has_relu = case
    assume(_away_from_kinks(net, x))
    checks = check_net(net, loss, x, y)
    assume(_resolvable(checks))
    band = KINK_BAND if has_relu else SMOOTH_BAND
    worst = max(checks, key=lambda c: c.rel_error)
    assert worst.rel_error < band, (str(net), loss, worst)


def test_float32_gradients_agree_with_float64_ones():
    rng = np.random.default_rng(2)
    nets = {}
    for dtype in (np.float32, np.float64):
        r = np.random.default_rng(3)
        nets[dtype] = Net([Linear(6, 5, r, dtype=dtype), Tanh(), Linear(5, 3, r, dtype=dtype)])
    x, y = rng.normal(size=(4, 6)), rng.integers(0, 3, size=4)
    grads = {}
    for dtype, net in nets.items():
        out, trace = net.forward(x.astype(dtype))
        net.backward(trace, SoftmaxCE()(y, out)[1])
        grads[dtype] = dict(net.gradients())
    for name, g64 in grads[np.float64].items():
        g32 = grads[np.float32][name]
        assert g32.dtype == np.float32
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-6, err_msg=name)


def test_attribute_grads_differentiates_list_attributes_and_restores_them():
    class Lists:
        w = [[1.0, 2.0]]
        b = [3.0]

    obj = Lists()
    grads = gradcheck.attribute_grads(obj, ["w", "b"],
                                      lambda: obj.w[0][0] ** 2 + obj.w[0][1] * obj.b[0])
    np.testing.assert_allclose(grads["w"], [[2.0, 3.0]], rtol=1e-8)
    np.testing.assert_allclose(grads["b"], [2.0], rtol=1e-8)
    assert obj.w == [[1.0, 2.0]] and obj.b == [3.0]


def test_step_sweep_finds_the_best_step_and_the_error_at_the_default():
    steps = np.logspace(-9, -1, 9)
    sweep = gradcheck.step_sweep(lambda h: h ** 2 + 1e-13 / h, steps, default=1e-4)
    assert sweep["best_eps"] == pytest.approx(1e-5)
    assert sweep["default_error"] == pytest.approx(1e-8 + 1e-9)
    assert sweep["grows_both_sides"]
    assert not gradcheck.step_sweep(lambda h: h, steps)["grows_both_sides"]
