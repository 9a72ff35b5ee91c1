"""Layers and Net: dl2023 §1.4's checks, shapes, dtypes, in-place updates, names."""

from collections.abc import Callable

import numpy as np
import pytest

from model import Identity, Linear, Net, ReLU, Sigmoid, Tanh
from model.assignments import mlp_numpy
from model.gradcheck import SMOOTH_BAND, check_function
from model.init import he_normal
from model.losses import SoftmaxCE
from model.train import fit


def test_linear_scales_exactly_as_dl2023_section_1_4_requires():
    rng = np.random.default_rng(7)
    x = rng.uniform(size=(3, 5))
    layer = Linear(5, 7, rng=rng)
    y = layer.forward(x)
    dx = layer.backward(x, np.ones_like(y))
    assert y.shape == (3, 7) and dx.shape == x.shape
    layer.W *= 2
    layer.b = 2 * layer.b + 1
    y2 = layer.forward(x)
    dx2 = layer.backward(x, np.ones_like(y))
    assert np.all(y2 == 2 * y + 1)
    assert np.all(dx2 == 2 * dx)


def test_linear_default_init_is_glorot_uniform_with_its_seed():
    layer = Linear(64, 32)
    a = np.sqrt(6 / (64 + 32))
    expected = np.random.default_rng(12345).uniform(-a, a, size=(64, 32))
    assert np.array_equal(layer.W, expected)
    assert np.array_equal(layer.b, np.zeros(32))


@pytest.mark.parametrize("param", ["x", "W", "b"])
def test_linear_gradients_match_central_differences_and_use_dy(param):
    rng = np.random.default_rng(8)
    layer = Linear(5, 7, rng)
    layer.b = rng.normal(size=7)
    x = rng.uniform(-3, 3, size=(3, 5))
    # A distinct upstream gradient for every sample and unit: L = sum(dy * y) has dL/dy = dy,
    # so a backward pass that ignores dy, or pairs a sample with another sample's row, fails.
    dy = rng.normal(size=(3, 7))

    def f(_: np.ndarray) -> float:
        return float(np.sum(dy * layer.forward(x)))

    def grad_with(upstream: np.ndarray):
        def grad(_: np.ndarray) -> np.ndarray:
            dx = layer.backward(x, upstream)
            return {"x": dx, "W": layer.dW, "b": layer.db}[param]

        return grad

    value = {"x": x, "W": layer.W, "b": layer.b}[param]
    check = check_function(f, grad_with(dy), value, name=param)
    assert check.rel_error < SMOOTH_BAND, check
    shuffled = check_function(f, grad_with(dy[[1, 2, 0]]), value, name=param)
    if param != "b":  # db sums dy over the samples, which no row order changes
        assert shuffled.rel_error > 1e-3, shuffled


@pytest.mark.parametrize("layer", [Sigmoid(), Tanh(), ReLU(), Identity()], ids=str)
def test_activation_gradients_match_central_differences_with_and_without_y(layer):
    x = np.random.default_rng(9).uniform(-4, 4, size=(3, 5))
    x[np.abs(x) < 0.1] = 0.5  # keep ReLU's kink out of reach of the differences
    dy = 2 * np.ones_like(x)
    y = layer.forward(x)
    for given_y in (None, y):
        check = check_function(
            lambda v: float(np.sum(2 * layer.forward(v))),
            lambda v, given_y=given_y: layer.backward(v, dy, given_y),
            x,
        )
        assert check.rel_error < SMOOTH_BAND, (given_y is not None, check)


def test_sigmoid_layer_outputs_lie_strictly_between_0_and_1():
    x = np.random.default_rng(10).normal(size=(3, 5))
    y = Sigmoid().forward(x)
    assert y.shape == x.shape and np.all(y > 0) and np.all(y < 1)


def test_backward_without_input_grad_returns_none_but_stores_parameter_gradients():
    rng = np.random.default_rng(11)
    layer = Linear(4, 2, rng)
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    assert layer.backward(x, dy, input_grad=False) is None
    np.testing.assert_array_equal(layer.dW, x.T @ dy)
    np.testing.assert_array_equal(layer.db, dy.sum(axis=0))
    assert ReLU().backward(x, dy @ np.ones((2, 4)), input_grad=False) is None


def test_step_updates_the_arrays_in_place():
    W, b = np.ones((2, 3)), np.zeros(3)
    layer = Linear.from_params(W, b)
    x = np.ones((1, 2))
    layer.backward(x, np.ones((1, 3)))
    layer.step(0.5)
    assert layer.W is W and layer.b is b
    np.testing.assert_array_equal(W, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(b, np.full(3, -0.5))


def test_from_params_rejects_a_bias_of_the_wrong_shape():
    with pytest.raises(ValueError, match="n_out"):
        Linear.from_params(np.ones((2, 3)), np.ones((1, 3)))


def test_float32_layers_stay_float32_through_forward_backward_and_step():
    rng = np.random.default_rng(12)
    net = Net([Linear(4, 3, rng, dtype=np.float32), Tanh(), Linear(3, 2, rng, dtype=np.float32)])
    x = rng.normal(size=(5, 4)).astype(np.float32)
    y, trace = net.forward(x)
    net.backward(trace, np.ones_like(y))
    net.step(0.1)
    arrays = [y] + [a for _, a in net.parameters()] + [g for _, g in net.gradients()]
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


def test_net_backward_gives_what_the_layers_give_by_hand():
    rng = np.random.default_rng(13)
    first, act, second = Linear(3, 4, rng), Sigmoid(), Linear(4, 2, rng)
    net = Net([first, act, second])
    x, dy = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    y, trace = net.forward(x)
    net.backward(trace, dy)
    h = act.forward(first.forward(x))
    np.testing.assert_array_equal(y, second.forward(h))
    dW2 = h.T @ dy
    dz = (dy @ second.W.T) * h * (1 - h)
    np.testing.assert_allclose(dict(net.gradients())["W2"], dW2, rtol=1e-14)
    np.testing.assert_allclose(dict(net.gradients())["W1"], x.T @ dz, rtol=1e-12)


def test_net_names_parameters_by_linear_layer_from_one():
    net = Net([Linear(2, 3), ReLU(), Linear(3, 1), Sigmoid()])
    assert [name for name, _ in net.parameters()] == ["W1", "b1", "W2", "b2"]
    assert [name for name, _ in net.gradients()] == ["W1", "b1", "W2", "b2"]


def test_layers_and_net_print_their_architecture():
    net = Net([Linear(64, 32, init=he_normal), ReLU(), Linear(32, 1), Sigmoid()])
    assert str(net) == "Linear 64x32\nReLU\nLinear 32x1\nSigmoid"
    assert repr(net) == "Net([Linear(64, 32), ReLU(), Linear(32, 1), Sigmoid()])"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 4), (160, 120)])  # a plain update; a W through scratch
def test_linear_step_rounds_like_the_plain_update_and_leaves_the_gradients_alone(dtype, shape):
    rng = np.random.default_rng(3)
    layer = Linear(*shape, rng, dtype=dtype)
    for _ in range(3):  # the kept scratch arrays are reused from the second step on
        layer.dW = rng.standard_normal(shape).astype(dtype)
        layer.db = rng.standard_normal(shape[1]).astype(dtype)
        dW, db = layer.dW.copy(), layer.db.copy()
        W, b = layer.W - 0.3 * dW, layer.b - 0.3 * db
        layer.step(0.3)
        assert np.array_equal(layer.W, W) and np.array_equal(layer.b, b)
        assert np.array_equal(layer.dW, dW) and np.array_equal(layer.db, db)
        assert layer.W.dtype == layer.b.dtype == dtype


def test_gradients_kept_from_one_backward_do_not_change_under_the_next():
    rng = np.random.default_rng(14)
    net = Net([Linear(3, 2, rng), Sigmoid(), Linear(2, 2, rng)])
    x = rng.normal(size=(4, 3))
    y, trace = net.forward(x)
    net.backward(trace, np.ones_like(y))
    kept = dict(net.gradients())
    first = {name: g.copy() for name, g in kept.items()}
    y, trace = net.forward(2 * x)
    net.backward(trace, -np.ones_like(y))
    for name, g in kept.items():
        np.testing.assert_array_equal(g, first[name], err_msg=name)
    assert not np.array_equal(dict(net.gradients())["W1"], first["W1"])



def _reference_epoch(params: list[np.ndarray], x: np.ndarray, t: np.ndarray, batch: int,
                     order: np.ndarray, step_of: Callable[[int], float]) -> None:
    """One epoch of the 2-layer sigmoid/softmax net written out plainly, updating params in
    place: the textbook formulas with fresh arrays everywhere, in the core's order of rounding.
    A batch of n samples moves the parameters by step_of(n) times its mean gradient."""
    W1, b1, W2, b2 = params
    for start in range(0, len(x), batch):
        rows = order[start:start + batch]
        xb, tb, n = x[rows], t[rows], len(rows)
        z = xb @ W1 + b1
        e = np.exp(-np.abs(z))
        h = np.where(z >= 0, 1, e) / (1 + e)
        o = h @ W2 + b2
        p = np.exp(o - o.max(axis=1, keepdims=True))
        p = p / p.sum(axis=1, keepdims=True)
        p[np.arange(n), tb] -= 1
        do = p / n
        dz = do @ W2.T * h * (1 - h)
        grads = [xb.T @ dz, dz.sum(axis=0), h.T @ do, do.sum(axis=0)]
        for param, grad in zip(params, grads, strict=True):
            param -= step_of(n) * grad


@pytest.mark.parametrize("loop", ["mlp_numpy.sgd_epoch", "train.fit"])
def test_a_training_epoch_gives_bit_for_bit_the_weights_of_the_plain_reference_step(loop):
    rng = np.random.default_rng(21)
    x = rng.uniform(0, 1, size=(47, 12)).astype(np.float32)  # 47: the last batch is short
    t = rng.integers(0, 4, size=47)
    net = mlp_numpy.make_net(12, 9, 4, seed=3, dtype=np.float32)
    params = [p.copy() for _, p in net.parameters()]
    for epoch in range(2):
        if loop == "mlp_numpy.sgd_epoch":
            mlp_numpy.sgd_epoch(net, x, t, lr=0.05, batch_size=10, seed=epoch)
            step_of = lambda n: 0.05 * n  # noqa: E731 - the summed batch gradient
        else:
            fit(net, SoftmaxCE(), x, t, epochs=1, lr=0.5, batch_size=10, seed=epoch,
                progress=False)
            step_of = lambda n: 0.5  # noqa: E731
        order = np.random.default_rng(epoch).permutation(len(x))
        _reference_epoch(params, x, t, 10, order, step_of)
    for (name, got), want in zip(net.parameters(), params, strict=True):
        assert got.dtype == np.float32, name
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_net_names_follow_a_change_to_its_list_of_layers():
    net = Net([Linear(2, 3), ReLU()])
    assert [name for name, _ in net.gradients()] == ["W1", "b1"]
    net.layers[0] = replacement = Linear(2, 3)
    net.layers.append(Linear(3, 1))
    assert [name for name, _ in net.parameters()] == ["W1", "b1", "W2", "b2"]
    assert net.parameters()[0][1] is replacement.W


def test_a_saturated_float32_network_carries_no_subnormal_and_keeps_its_gradients():
    # Hidden pre-activations spread over [-110, 5]: a tenth of them where the float32 sigmoid
    # is subnormal (below -87.3) or zero, as in mlp-numpy's Q7 after an epoch at rate 0.1.
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(64, 20))
    net64 = Net([Linear(20, 30, rng), Sigmoid(), Linear(30, 10, rng)])
    net64.layers[0].W *= 40
    net64.layers[0].b[:] = np.linspace(-110, 5, 30) - x.mean(axis=0) @ net64.layers[0].W
    net64.layers[2].W *= 30  # some logits far enough apart for a subnormal class probability
    net32 = Net([Linear.from_params(layer.W.astype(np.float32), layer.b.astype(np.float32))
                 if isinstance(layer, Linear) else Sigmoid() for layer in net64.layers])
    labels = rng.integers(0, 10, size=64)
    for net, x_in in ((net32, x.astype(np.float32)), (net64, x)):
        out, trace = net.forward(x_in)
        _, dout, trace = net.objective(SoftmaxCE(), labels, out, trace)
        net.backward(trace, dout)
    k = net64.layers[0].forward(x)
    assert np.mean(k < -87.4) > 0.05  # the float32 sigmoid of these would be subnormal or zero
    out, trace = net32.forward(x.astype(np.float32))
    _, dout, _ = net32.objective(SoftmaxCE(), labels, out, trace)
    dh = net32.layers[2].backward(trace[2][1], dout)
    dk = net32.layers[1].backward(trace[1][1], dh, trace[1][2])
    # What the matrix products take in: activations, the loss's gradient, the activation's.
    # (A product's own output, a parameter gradient, may round to a subnormal; it only feeds
    # the elementwise update.)
    tiny = np.finfo(np.float32).tiny
    for name, a in (("hidden", trace[1][2]), ("dlogits", dout), ("dk", dk)):
        assert not np.any((a != 0) & (np.abs(a) < tiny)), f"{name} holds subnormals"
    # What was flushed is below anything float32 can add to a sum: the gradients agree with
    # float64's to float32 precision.
    for (name, g32), (_, g64) in zip(net32.gradients(), net64.gradients(), strict=True):
        np.testing.assert_allclose(g32, g64, rtol=2e-4, atol=1e-6 * np.abs(g64).max(),
                                   err_msg=name)
