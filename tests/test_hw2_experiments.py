"""hw2-mnist's experiments in float32, and the shortcuts that make them cheaper: each computes
what the plain version of the run computes."""

from __future__ import annotations

import numpy as np
import pytest

from model.assignments import hw2
from model.data import load_mnist_3_vs_9, shared_split
from report.assignments.hw2_mnist import ACTIVATIONS, MEMORISE, _memorise_one, random_images


def test_float32_clip_is_the_losses_so_a_saturated_wrong_output_still_gets_g_minus_y():
    # One hidden unit on, output weight +-40: outputs saturated at 1 and at 0, both wrong.
    x = np.ones((2, 1), dtype=np.float32)
    weights = [np.ones((1, 1), dtype=np.float32), np.array([[40.0]], dtype=np.float32)]
    biases = [np.zeros((1, 1), dtype=np.float32), np.zeros((1, 1), dtype=np.float32)]
    for sign, y in ((1, np.array([0, 0])), (-1, np.array([1, 1]))):
        weights[1][0, 0] = sign * 40.0
        output, caches = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
        _, grad_bs = hw2.backward_pass(hw2.logistic_loss(output, y)[1], caches)
        # The output layer's Delta summed over the batch is mean(g - y), about +-1.
        assert grad_bs[1][0, 0] == pytest.approx(np.mean(output - y), rel=1e-6)
        assert abs(grad_bs[1][0, 0]) > 0.99
    assert hw2.sigmoid_clip(np.float32) == np.finfo(np.float32).eps
    assert hw2.sigmoid_clip(np.float64) == hw2.SIGMOID_CLIP


def test_float32_inputs_keep_the_loss_and_every_gradient_float32_with_integer_labels():
    rng = np.random.default_rng(0)
    x = rng.random((8, 5), dtype=np.float32)
    y = rng.integers(0, 2, 8)  # int64, as the MNIST loader gives them
    weights = [w.astype(np.float32) for w in hw2.create_weight_matrices([5, 3, 1])]
    biases = [b.astype(np.float32) for b in hw2.create_bias_vectors([5, 3, 1])]
    output, caches = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
    loss, dL_dg = hw2.logistic_loss(output, y)
    grad_Ws, grad_bs = hw2.backward_pass(dL_dg, caches)
    assert [a.dtype for a in (output, loss, dL_dg, *grad_Ws, *grad_bs)] == [np.float32] * 7


def test_memorise_accuracies_are_what_evaluate_gives_after_every_step(fake_mnist_env):
    config = {"n": 20, "seed": 1, "dtype": MEMORISE["dtype"],
              "run": {"width": 6, "step_size": 3.0, "centre": True, "steps": 12}}
    acc = _memorise_one(config)["acc"]
    y = shared_split(load_mnist_3_vs_9, dtype=config["dtype"])[0][1][:config["n"]]
    x = random_images(config["seed"], config["n"], config["dtype"]) - np.float32(0.5)
    *_, record = hw2.train(x, y, x, y, [784, 6, 1], ACTIVATIONS, 3.0, batch_size=20, epochs=12,
                           seed=1, eval_every=1)
    assert acc.tolist() == record["test_acc"]
    assert len(set(acc.tolist())) > 1  # the accuracy moves, so a shifted record would differ
