"""dl2024-a1's assignment API: model1, evaluate, backward, train_epoch and fit."""

from __future__ import annotations

import numpy as np
import pytest

from model.assignments.dl2024 import (
    backward,
    evaluate,
    fit,
    make_layer,
    model1,
    network,
    train_epoch,
)
from model.functional import identity, relu, sigmoid
from model.gradcheck import numeric_grad, rel_error
from model.losses import bce_loss, bce_with_logits


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


@pytest.mark.parametrize("hidden", [relu, np.tanh, identity, sigmoid])
def test_backward_matches_central_differences_of_the_mean_bce(hidden):
    rng = np.random.default_rng(4)
    params = [make_layer(3, 4, hidden, rng), make_layer(4, 2, hidden, rng),
              make_layer(2, 1, sigmoid, rng)]
    x, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6).astype(float)
    grads, y_hat = backward(params, x, y)
    np.testing.assert_array_equal(y_hat, network(x, params))

    def loss(_: np.ndarray) -> float:
        w, b, _ = params[-1]
        return float(np.mean(bce_with_logits(y, (network(x, params[:-1]) @ w + b)[:, 0])))

    for (w, b, _), (dw, db) in zip(params, grads, strict=True):
        assert dw.shape == w.shape and db.shape == b.shape
        assert rel_error(dw, numeric_grad(loss, w)) < 1e-6
        assert rel_error(db, numeric_grad(loss, b)) < 1e-6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_moves_a_saturated_wrong_output_back(dtype):
    w, b = np.array([[40.0]], dtype=dtype), np.zeros(1, dtype=dtype)
    params = [(w, b, sigmoid)]
    x, y = np.ones((1, 1), dtype=dtype), np.zeros(1, dtype=dtype)  # sigma(40) rounds to 1
    assert network(x, params)[0] == 1
    ((dw, db),), _ = backward(params, x, y)
    assert dw[0, 0] == pytest.approx(1.0) and db[0] == pytest.approx(1.0)
    w -= 30.0 * dw  # one step of rate 30 takes w from 40 to 10
    assert network(x, params)[0] < 1


def test_backward_refuses_a_network_without_a_sigmoid_output():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="sigmoid"):
        backward([make_layer(2, 1, relu, rng)], np.ones((1, 2)), np.ones(1))


def _blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=n).astype(float)
    return rng.normal(size=(n, 2)) + 3 * y[:, None], y


def test_train_epoch_takes_n_over_batch_size_steps_dropping_the_partial_batch(monkeypatch):
    import model.assignments.dl2024 as api

    rng = np.random.default_rng(2)
    x, y = _blobs(64, rng)
    params = [make_layer(2, 1, sigmoid, rng)]
    sizes = []

    def counting(params, xb, yb):  # noqa: ANN001, ANN202 (a stand-in for backward)
        sizes.append(len(xb))
        return backward(params, xb, yb)

    monkeypatch.setattr(api, "backward", counting)
    train_epoch(params, x, y, 0.1, 10, np.random.default_rng(0))
    assert sizes == [10] * 6


def test_train_epoch_records_each_minibatchs_loss_and_accuracy_before_its_step():
    rng = np.random.default_rng(5)
    x, y = _blobs(40, rng)
    params = [make_layer(2, 4, relu, rng), make_layer(4, 1, sigmoid, rng)]
    before = evaluate(params, x, y)
    # One minibatch holding the whole set: its record is the untrained network's evaluation.
    loss, acc = train_epoch(params, x, y, 1.0, 40, np.random.default_rng(0))
    assert loss == pytest.approx(before[0], rel=1e-12) and acc == before[1]
    assert evaluate(params, x, y)[0] != pytest.approx(before[0], rel=1e-3)


def test_train_epoch_gives_the_mean_over_minibatches_of_each_ones_loss_and_accuracy(monkeypatch):
    import model.assignments.dl2024 as api

    rng = np.random.default_rng(6)
    x, y = _blobs(50, rng)
    params = [make_layer(2, 3, relu, rng), make_layer(3, 1, sigmoid, rng)]
    seen = []

    def recording(params, xb, yb):  # noqa: ANN001, ANN202 (backward, keeping what it saw)
        grads, y_hat = backward(params, xb, yb)
        seen.append((bce_loss(yb, y_hat).mean(), np.mean((y_hat > 0.5) == (yb > 0.5))))
        return grads, y_hat

    monkeypatch.setattr(api, "backward", recording)
    loss, acc = train_epoch(params, x, y, 2.0, 7, np.random.default_rng(1))
    assert len(seen) == 7
    assert loss == pytest.approx(np.mean([s[0] for s in seen]), rel=1e-12)
    assert acc == pytest.approx(np.mean([s[1] for s in seen]), rel=1e-12)
    assert len({s[0] for s in seen}) == 7  # the minibatches' losses differ: the mean is over them


def test_fit_updates_params_in_place_and_learns_separable_blobs():
    rng = np.random.default_rng(2)
    (x_train, y_train), (x_val, y_val) = _blobs(64, rng), _blobs(64, rng)
    params = [make_layer(2, 8, relu, rng), make_layer(8, 1, sigmoid, rng)]
    w_before = params[0][0].copy()
    history = fit(params, {"train": x_train, "val": x_val}, {"train": y_train, "val": y_val},
                  learning_rate=0.1, batch_size=10, epochs=20, seed=0)
    assert not np.array_equal(params[0][0], w_before)
    assert len(history["val_acc"]) == 20
    assert history["val_acc"][-1] == evaluate(params, x_val, y_val)[1]
    assert history["val_acc"][-1] > 0.9


def test_fit_is_reproducible_for_a_seed_and_shuffles_differently_for_another():
    rng = np.random.default_rng(3)
    (x, y), (xv, yv) = _blobs(40, rng), _blobs(40, rng)

    def run(seed: int) -> list[float]:
        params = [make_layer(2, 1, sigmoid, np.random.default_rng(0))]
        return fit(params, {"train": x, "val": xv}, {"train": y, "val": yv}, 0.1, 8, 3,
                   seed)["train_loss"]

    assert run(5) == run(5)
    assert run(5) != run(6)
