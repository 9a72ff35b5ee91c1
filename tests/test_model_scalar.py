"""mlp-numpy Q3/Q4 in plain Python: the text's derivatives, agreement with the core, training."""

import math

import numpy as np
import pytest

from model import functional
from model.assignments.mlp_numpy import forward_backward as vectorised_forward_backward
from model.net import Net
from model.scalar import (
    evaluate,
    forward_backward,
    q3_network,
    random_network,
    sgd_step,
    sigmoid,
    softmax,
    train,
)


def test_q3_derivatives_are_the_ones_the_text_gives():
    loss, grads = forward_backward(q3_network(), [1.0, -1.0], 0)
    assert loss == pytest.approx(math.log(2))
    assert [[round(v, 4) for v in row] for row in grads.V] == [[-0.4404, 0.4404]] * 3
    assert grads.c == pytest.approx([-0.5, 0.5])
    assert all(v == 0.0 for row in grads.W for v in row)
    assert all(v == 0.0 for v in grads.b)


def test_scalar_and_vectorised_networks_give_the_same_gradients():
    net = random_network(2, 3, 2, seed=4)
    net.b = [0.3, -0.2, 0.1]
    net.c = [0.05, -0.4]
    x, target = [0.7, -1.3], 1
    loss, grads = forward_backward(net, x, target)
    W, b, V, c = (np.array(p) for p in (net.W, net.b, net.V, net.c))
    matrices = Net.from_params([(W, b, functional.sigmoid), (V, c, functional.identity)])
    v_loss, v_grads = vectorised_forward_backward(matrices, np.array([x]), np.array([target]))
    assert loss == pytest.approx(v_loss, rel=1e-14)
    for name, scalar_grad in (("W1", grads.W), ("b1", grads.b), ("W2", grads.V), ("b2", grads.c)):
        np.testing.assert_allclose(v_grads[name], scalar_grad, rtol=1e-12, atol=1e-15, err_msg=name)


def test_scalar_sigmoid_and_softmax_do_not_overflow():
    assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0
    assert softmax([1000.0, 0.0]) == [1.0, 0.0]


def test_sgd_step_moves_every_parameter_against_its_gradient():
    net = q3_network()
    _, grads = forward_backward(net, [1.0, -1.0], 0)
    sgd_step(net, grads, 0.5)
    assert net.V[0] == pytest.approx([1 + 0.5 * 0.44039853898894116, 1 - 0.5 * 0.44039853898894116])
    assert net.c == pytest.approx([0.25, -0.25])
    assert net.W == q3_network().W


def test_q4_training_one_instance_at_a_time_lowers_the_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    net = random_network(2, 3, 2, seed=1)
    before = evaluate(net, x, y)[0]
    losses = train(net, x, y, epochs=3, lr=0.1, seed=2)
    assert len(losses) == 3 * 400
    assert np.mean(losses[-400:]) < 0.8 * np.mean(losses[:400])
    assert evaluate(net, x, y)[0] < before
