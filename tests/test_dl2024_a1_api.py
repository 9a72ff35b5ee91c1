"""The wrappers dl2024-a1 adds to its assignment API: model1, evaluate, train."""

from __future__ import annotations

import numpy as np
import pytest

from model.assignments.dl2024 import evaluate, make_layer, model1, network, train
from model.functional import relu, sigmoid
from model.losses import bce_loss


def test_model1_returns_one_number_equal_to_the_sigmoid_of_the_dot_product():
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=5), float(rng.normal()), rng.normal(size=5)
    y_hat = model1(x, w, b)
    assert y_hat.shape == ()
    assert float(y_hat) == pytest.approx(1 / (1 + np.exp(-(x @ w + b))), rel=1e-14)


def test_evaluate_gives_the_mean_bce_and_the_thresholded_accuracy():
    rng = np.random.default_rng(1)
    params = [make_layer(4, 3, relu, rng), make_layer(3, 1, sigmoid, rng)]
    x, y = rng.normal(size=(20, 4)), rng.integers(0, 2, size=20).astype(float)
    loss, acc = evaluate(params, x, y)
    y_hat = network(x, params)
    assert loss == pytest.approx(float(np.mean(bce_loss(y, y_hat))), rel=1e-12)
    assert acc == np.mean((y_hat > 0.5) == (y > 0.5))


def _blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=n).astype(float)
    return rng.normal(size=(n, 2)) + 3 * y[:, None], y


def test_train_updates_params_in_place_and_learns_separable_blobs():
    rng = np.random.default_rng(2)
    (x_train, y_train), (x_val, y_val) = _blobs(64, rng), _blobs(64, rng)
    params = [make_layer(2, 8, relu, rng), make_layer(8, 1, sigmoid, rng)]
    w_before = params[0][0].copy()
    history = train(params, {"train": x_train, "val": x_val}, {"train": y_train, "val": y_val},
                    learning_rate=0.1, batch_size=10, epochs=20, seed=0)
    assert not np.array_equal(params[0][0], w_before)
    assert history.steps_per_epoch == 6  # 64 // 10: the partial batch is dropped
    assert len(history.val_acc) == 20
    assert history.val_acc[-1] == evaluate(params, x_val, y_val)[1]
    assert history.val_acc[-1] > 0.9


def test_train_is_reproducible_for_a_seed_and_shuffles_differently_for_another():
    rng = np.random.default_rng(3)
    (x, y), (xv, yv) = _blobs(40, rng), _blobs(40, rng)

    def run(seed: int) -> list[float]:
        params = [make_layer(2, 1, sigmoid, np.random.default_rng(0))]
        return train(params, {"train": x, "val": xv}, {"train": y, "val": yv}, 0.1, 8, 3,
                     seed).step_loss

    assert run(5) == run(5)
    assert run(5) != run(6)
