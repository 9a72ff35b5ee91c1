"""The per-assignment APIs agree with the core and keep their texts' signatures."""

import warnings

import numpy as np
import pytest

from model import BCE, MSE, Identity, Linear, Net, ReLU, Sigmoid, SoftmaxCE, Tanh
from model.assignments import dl2024, hw2, lab4, mlp_numpy
from model.functional import identity, relu, sigmoid
from model.gradcheck import SMOOTH_BAND, GradCheck, check_net
from model.init import glorot_uniform


def _toy_batch(seed=0):
    """A 4-2-1 batch like hw2's toy pickle: standard-normal weights, random row-vector biases."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 4))
    y = np.array([0, 1, 1])
    weights = [rng.normal(size=(4, 2)), rng.normal(size=(2, 1))]
    biases = [0.5 * rng.normal(size=(1, 2)), 0.5 * rng.normal(size=(1, 1))]
    return x, y, weights, biases


ACTS = [hw2.relu_activation, hw2.sigmoid_activation]


def _core_net(weights, biases) -> Net:
    """The same 4-2-1 network as the core's `Net` (ReLU, then sigmoid), on copies of the arrays."""
    return Net([Linear.from_params(weights[0].copy(), biases[0].reshape(-1).copy()), ReLU(),
                Linear.from_params(weights[1].copy(), biases[1].reshape(-1).copy()), Sigmoid()])


def test_hw2_sigmoid_activation_is_stable_and_clipped_with_the_slope_at_the_clip():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            out, grad = hw2.sigmoid_activation(np.asarray([-1000.0, 1000.0]))
    assert out.tolist() == [1e-15, 1 - 1e-15]
    np.testing.assert_allclose(grad, out * (1 - out), rtol=0)
    assert np.all(grad > 0)
    out, grad = hw2.sigmoid_activation(np.asarray([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(out, sigmoid(np.array([1.0, 0.0, -1.0])))
    np.testing.assert_allclose(grad, out * (1 - out))


def test_hw2_saturated_wrong_output_gets_the_gradient_g_minus_y_not_a_stall():
    x, y, weights, biases = _toy_batch()
    biases[1][:] = 1000.0  # every output saturates at 1 - 1e-15
    y = np.zeros(3, dtype=int)  # ... and every label says 0: confidently wrong
    output, caches = hw2.forward_pass(x, weights, biases, ACTS)
    _, grad_bs = hw2.backward_pass(hw2.logistic_loss(output, y)[1], caches)
    assert grad_bs[1][0, 0] == pytest.approx(np.mean(output - y), rel=1e-6)
    assert grad_bs[1][0, 0] > 0.99


def test_hw2_logistic_loss_refuses_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match="same shape"):
        hw2.logistic_loss(np.full((3, 1), 0.5), np.array([0, 1, 1]))


def test_hw2_forward_pass_and_loss_agree_with_the_core_net_on_the_same_weights():
    x, y, weights, biases = _toy_batch()
    output, caches = hw2.forward_pass(x, weights, biases, ACTS)
    core_out = _core_net(weights, biases).forward(x)[0]
    assert output.shape == (3,) and len(caches) == 2
    np.testing.assert_allclose(output, core_out[:, 0], rtol=1e-15)
    loss, _ = hw2.logistic_loss(output, y)
    assert loss.mean() == pytest.approx(BCE().value(y, core_out), rel=1e-12)


def test_hw2_backward_pass_agrees_with_the_core_net_and_with_finite_differences():
    x, y, weights, biases = _toy_batch()
    output, caches = hw2.forward_pass(x, weights, biases, ACTS)
    grad_Ws, grad_bs = hw2.backward_pass(hw2.logistic_loss(output, y)[1], caches)
    assert [g.shape for g in grad_Ws] == [(4, 2), (2, 1)]
    assert [g.shape for g in grad_bs] == [(1, 2), (1, 1)]
    num_Ws, num_bs = hw2.nn_finite_difference_checker(x, y, weights, biases, ACTS)
    core = {c.name: c.analytic for c in check_net(_core_net(weights, biases), BCE(), x, y)}
    for i in range(2):
        for kind, mine, numeric in (("W", grad_Ws[i], num_Ws[i]), ("b", grad_bs[i], num_bs[i])):
            name = f"{kind}{i + 1}"
            check = GradCheck.of(name, mine, numeric)
            assert check.rel_error < SMOOTH_BAND, check
            np.testing.assert_allclose(
                mine.reshape(core[name].shape), core[name], rtol=1e-12, err_msg=name
            )


def test_hw2_checker_leaves_the_parameters_as_they_were():
    x, y, weights, biases = _toy_batch()
    before = [a.copy() for a in weights + biases]
    hw2.nn_finite_difference_checker(x, y, weights, biases, ACTS)
    assert all(np.array_equal(a, b) for a, b in zip(weights + biases, before, strict=True))


def test_hw2_checker_differences_with_the_step_it_is_given():
    x, y, weights, biases = _toy_batch()
    default = hw2.nn_finite_difference_checker(x, y, weights, biases, ACTS)
    same = hw2.nn_finite_difference_checker(x, y, weights, biases, ACTS, 1e-5)
    coarse = hw2.nn_finite_difference_checker(x, y, weights, biases, ACTS, 0.5)
    assert all(np.array_equal(a, b) for a, b in zip(default[0], same[0], strict=True))
    # A step of 0.5 misses the curvature the default step resolves: the entries change.
    assert not np.allclose(coarse[0][0], default[0][0], rtol=1e-6, atol=0)


def test_hw2_weights_are_n_0_001_and_biases_zero_rows():
    weights = hw2.create_weight_matrices([784, 200, 1])
    biases = hw2.create_bias_vectors([784, 200, 1])
    assert [w.shape for w in weights] == [(784, 200), (200, 1)]
    assert [b.shape for b in biases] == [(1, 200), (1, 1)]
    assert np.std(weights[0]) == pytest.approx(0.01, rel=0.02)
    assert not any(b.any() for b in biases)


def test_hw2_sgd_update_moves_every_parameter_against_its_gradient_in_place():
    _, _, weights, biases = _toy_batch()
    before = [a.copy() for a in weights + biases]
    grads = [np.full_like(a, 2.0) for a in weights + biases]
    hw2.sgd_update(weights, biases, grads[:2], grads[2:], 0.1)
    for new, old in zip(weights + biases, before, strict=True):
        np.testing.assert_allclose(new, old - 0.2)


def test_hw2_train_steps_are_forward_loss_backward_and_the_sgd_update():
    x, y, _, _ = _toy_batch()
    dims = [4, 2, 1]
    weights = hw2.create_weight_matrices(dims, seed=3)
    biases = hw2.create_bias_vectors(dims)
    output, caches = hw2.forward_pass(x, weights, biases, ACTS)
    loss, dL_dg = hw2.logistic_loss(output, y)
    grad_Ws, grad_bs = hw2.backward_pass(dL_dg, caches)
    hw2.sgd_update(weights, biases, grad_Ws, grad_bs, 0.5)
    # One epoch of one full batch: the shuffle only reorders rows, which the mean ignores.
    trained_W, trained_b, record = hw2.train(x, y, x, y, dims, ACTS, step_size=0.5,
                                             batch_size=len(x), epochs=1, seed=3)
    for mine, theirs in zip(weights + biases, trained_W + trained_b, strict=True):
        np.testing.assert_allclose(theirs, mine, rtol=1e-12)
    assert record["train_loss"] == [pytest.approx(loss.mean())]
    assert record["test_step"] == [1]
    assert record["test_loss"] == [pytest.approx(hw2.evaluate(x, y, weights, biases, ACTS)[0])]


def test_hw2_train_records_every_step_and_scores_the_test_set_every_eval_every_steps():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4))
    y = (x[:, 0] > 0).astype(int)
    weights, biases, record = hw2.train(x, y, x, y, [4, 8, 1], ACTS, step_size=0.5,
                                        batch_size=8, epochs=3, seed=0, eval_every=7)
    assert len(record["train_loss"]) == len(record["train_acc"]) == 3 * 7  # 50 / 8: 7 batches
    assert record["test_step"] == [7, 14, 21]
    # The last test entry scores the network train returns.
    assert (record["test_loss"][-1], record["test_acc"][-1]) == hw2.evaluate(
        x, y, weights, biases, ACTS)


def test_lab4_network_is_tanh_then_sigmoid_with_glorot_weights():
    net = lab4.NeuralNetwork(2, 1, [5, 3], seed=1)
    assert [type(layer) for layer in net.net.layers] == [
        Linear,
        Tanh,
        Linear,
        Tanh,
        Linear,
        Sigmoid,
    ]
    first = net.net.layers[0].W
    assert first.shape == (2, 5) and np.all(np.abs(first) <= np.sqrt(6 / 7))


def test_lab4_backward_matches_finite_differences_of_its_loss():
    net = lab4.NeuralNetwork(2, 1, [4], seed=2)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-2, 2, size=(5, 2)), rng.integers(0, 2, size=(5, 1)).astype(float)
    net.backward(x, y)
    analytic = {name: g.copy() for name, g in net.net.gradients()}
    for check in check_net(net.net, MSE(), x, y):
        np.testing.assert_array_equal(check.analytic, analytic[check.name])
        assert check.rel_error < SMOOTH_BAND, check
    assert net.get_loss(x, y) == pytest.approx(np.mean((net.forward(x) - y) ** 2))


def test_lab4_train_runs_full_batch_descent_and_returns_each_loss():
    x = np.array([[-1.5, 1.2], [1.3, -1.4], [-1.2, -1.5], [1.5, 1.1], [0.1, -0.2]])
    y = np.array([[1.0], [1.0], [0.0], [0.0], [0.0]])
    net, losses = lab4.train(x, y, lab4.NeuralNetwork(2, 1, [8], seed=0), 500, 0.25)
    assert losses.shape == (500,)
    assert losses[0] == pytest.approx(
        MSE().value(y, lab4.NeuralNetwork(2, 1, [8], seed=0).forward(x))
    )
    assert losses[-1] < 0.5 * losses[0]


def test_dl2024_network_agrees_with_its_core_net_and_squeezes_one_output():
    rng = np.random.default_rng(4)
    params = [dl2024.make_layer(5, 10, relu, rng), dl2024.make_layer(10, 1, sigmoid, rng)]
    x = rng.normal(size=(2, 5))
    y = dl2024.network(x, params)
    assert y.shape == (2,)
    np.testing.assert_array_equal(y, Net.from_params(params).forward(x)[0][:, 0])


def test_dl2024_identity_layers_compose_to_one_linear_map():
    rng = np.random.default_rng(5)
    params = [dl2024.make_layer(4, 3, identity, rng), dl2024.make_layer(3, 2, identity, rng)]
    (w1, b1, _), (w2, b2, _) = params
    x = rng.normal(size=(6, 4))
    np.testing.assert_allclose(
        dl2024.network(x, params), x @ (w1 @ w2) + (b1 @ w2 + b2), rtol=1e-12
    )
    assert [type(layer) for layer in Net.from_params(params).layers] == [
        Linear,
        Identity,
        Linear,
        Identity,
    ]


def test_mlp_numpy_net_is_784_300_10_and_its_batched_pass_matches_finite_differences():
    net = mlp_numpy.make_net()
    assert str(net) == "Linear 784x300\nSigmoid\nLinear 300x10"
    small = mlp_numpy.make_net(6, 5, 3, seed=1, init=glorot_uniform)
    rng = np.random.default_rng(6)
    x, t = rng.uniform(0, 1, size=(4, 6)), np.array([0, 2, 1, 2])
    loss, grads = mlp_numpy.forward_backward(small, x, t)
    assert loss == pytest.approx(SoftmaxCE().value(t, small.forward(x)[0]))
    for check in check_net(small, SoftmaxCE(), x, t):
        np.testing.assert_array_equal(check.analytic, grads[check.name])
        assert check.rel_error < SMOOTH_BAND, check


def test_mlp_numpy_batch_gradient_is_the_mean_of_single_instance_gradients():
    net = mlp_numpy.make_net(6, 5, 3, seed=2)
    rng = np.random.default_rng(7)
    x, t = rng.uniform(0, 1, size=(4, 6)), np.array([1, 0, 2, 2])
    _, batched = mlp_numpy.forward_backward(net, x, t)
    singles = [mlp_numpy.forward_backward(net, x[i : i + 1], t[i : i + 1])[1] for i in range(4)]
    for name, g in batched.items():
        np.testing.assert_allclose(
            g, np.mean([s[name] for s in singles], axis=0), rtol=1e-12, err_msg=name
        )
