"""The training loop: reproducibility, batching, reductions, evaluation, divergence guard."""

import pickle

import numpy as np
import pytest

from model import (
    BCE,
    MSE,
    Diverged,
    Identity,
    Linear,
    Net,
    ReLU,
    Sigmoid,
    SoftmaxCE,
    Tanh,
    evaluate,
    fit,
)


def _blobs(n=60, seed=0):
    """Two Gaussian blobs in 2-D, labels 0/1: easy enough to learn in a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = rng.normal(size=(n, 2)) + 2.0 * (2 * y[:, None] - 1)
    return x, y


def _net(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return Net([Linear(2, 4, rng, dtype=dtype), Tanh(), Linear(4, 1, rng, dtype=dtype), Sigmoid()])


def test_two_runs_with_the_same_seed_give_identical_histories():
    x, y = _blobs()
    runs = [
        fit(
            _net(),
            BCE(),
            x,
            y,
            epochs=3,
            lr=0.5,
            batch_size=7,
            x_val=x,
            y_val=y,
            seed=5,
            progress=False,
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    other = fit(_net(), BCE(), x, y, epochs=3, lr=0.5, batch_size=7, seed=6, progress=False)
    assert other.step_loss != runs[0].step_loss


def test_training_lowers_the_loss_and_reaches_high_accuracy():
    x, y = _blobs()
    h = fit(_net(), BCE(), x, y, epochs=20, lr=0.5, batch_size=10, x_val=x, y_val=y, progress=False)
    assert h.epoch_loss[-1] < 0.5 * h.epoch_loss[0]
    assert h.val_acc[-1] >= 0.95


@pytest.mark.parametrize(
    ("batch_size", "drop_last", "steps"),
    [(1, False, 60), (7, False, 9), (7, True, 8), (None, False, 1), (1000, False, 1)],
)
def test_steps_per_epoch_follow_the_batch_size(batch_size, drop_last, steps):
    x, y = _blobs()
    h = fit(
        _net(),
        BCE(),
        x,
        y,
        epochs=2,
        lr=0.1,
        batch_size=batch_size,
        drop_last=drop_last,
        progress=False,
    )
    assert h.steps_per_epoch == steps
    assert len(h.step_loss) == len(h.step_acc) == 2 * steps
    assert len(h.epoch_loss) == len(h.epoch_acc) == 2
    assert h.epoch_loss[1] == pytest.approx(np.mean(h.step_loss[steps:]))


def test_unshuffled_minibatches_are_consecutive_slices_in_order():
    x, y = _blobs()
    net = _net()
    h = fit(net, BCE(), x, y, epochs=1, lr=0.0, batch_size=20, shuffle=False, progress=False)
    expected = [BCE().value(y[i : i + 20], net.forward(x[i : i + 20])[0]) for i in (0, 20, 40)]
    assert h.step_loss == pytest.approx(expected, rel=1e-15)


def test_sum_reduction_takes_batch_size_times_the_mean_step():
    x, y = _blobs(n=10)
    nets = {reduction: _net() for reduction in ("mean", "sum")}
    lrs = {"mean": 0.1 * 10, "sum": 0.1}
    for reduction, net in nets.items():
        fit(net, BCE(), x, y, epochs=1, lr=lrs[reduction], reduction=reduction, progress=False)
    for (name, a), (_, b) in zip(nets["mean"].parameters(), nets["sum"].parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=name)


def test_unknown_reduction_is_refused():
    x, y = _blobs(n=4)
    with pytest.raises(ValueError, match="reduction"):
        fit(_net(), BCE(), x, y, epochs=1, lr=0.1, reduction="max", progress=False)


def test_evaluation_without_a_complete_held_out_set_is_refused():
    x, y = _blobs(n=4)
    with pytest.raises(ValueError, match="x_val and y_val"):
        fit(_net(), BCE(), x, y, epochs=1, lr=0.1, x_val=x, progress=False)
    with pytest.raises(ValueError, match="x_val and y_val"):
        fit(_net(), BCE(), x, y, epochs=1, lr=0.1, eval_every=1, progress=False)


def test_held_out_set_is_evaluated_per_epoch_or_every_k_steps():
    x, y = _blobs()
    per_epoch = fit(
        _net(),
        BCE(),
        x,
        y,
        epochs=3,
        lr=0.1,
        batch_size=20,
        x_val=x[:9],
        y_val=y[:9],
        progress=False,
    )
    assert per_epoch.val_step == [3, 6, 9]
    every_2 = fit(
        _net(),
        BCE(),
        x,
        y,
        epochs=3,
        lr=0.1,
        batch_size=20,
        x_val=x,
        y_val=y,
        eval_every=2,
        progress=False,
    )
    assert every_2.val_step == [2, 4, 6, 8]
    every_step = fit(
        _net(),
        BCE(),
        x,
        y,
        epochs=1,
        lr=0.1,
        batch_size=20,
        x_val=x,
        y_val=y,
        eval_every=1,
        progress=False,
    )
    assert every_step.val_step == [1, 2, 3]
    assert len(every_step.val_loss) == len(every_step.val_acc) == 3


def test_held_out_loss_is_the_loss_of_the_whole_set_after_that_step():
    x, y = _blobs()
    net = _net()
    h = fit(
        net,
        BCE(),
        x,
        y,
        epochs=2,
        lr=0.3,
        batch_size=60,
        x_val=x[:17],
        y_val=y[:17],
        progress=False,
    )
    # Taken from the logits (BCE.from_logits), so equal to the loss of the outputs to rounding.
    assert h.val_loss[-1] == pytest.approx(BCE().value(y[:17], net.forward(x[:17])[0]), rel=1e-12)


def test_float32_training_keeps_float32_parameters_and_casts_float64_data():
    x, y = _blobs()
    net = _net(dtype=np.float32)
    fit(net, BCE(), x, y, epochs=2, lr=0.5, batch_size=10, progress=False)
    assert {p.dtype for _, p in net.parameters()} == {np.dtype(np.float32)}


def test_softmax_network_trains_on_integer_labels():
    x, y = _blobs()
    rng = np.random.default_rng(1)
    net = Net([Linear(2, 5, rng), ReLU(), Linear(5, 2, rng)])
    h = fit(net, SoftmaxCE(), x, y, epochs=10, lr=0.3, batch_size=10, progress=False)
    assert h.epoch_acc[-1] >= 0.95


def _diverging_run():
    x, y = _blobs()
    rng = np.random.default_rng(2)
    net = Net([Linear(2, 8, rng), Identity(), Linear(8, 1, rng)])
    return fit(net, MSE(), x, 1e3 * y, epochs=50, lr=10.0, batch_size=20, progress=False)


def test_a_diverging_run_raises_with_step_epoch_lr_and_the_partial_history():
    with pytest.raises(Diverged) as caught:
        _diverging_run()
    err = caught.value
    assert (
        str(err)
        == f"diverged: non-finite loss at step {err.step} (epoch {err.epoch}) with learning rate 10"
    )
    assert err.lr == 10.0
    assert err.step > 1 and err.epoch == (err.step - 1) // 3 + 1
    assert len(err.history.step_loss) == err.step - 1
    assert all(np.isfinite(err.history.step_loss))


def test_diverged_and_history_survive_pickling():
    with pytest.raises(Diverged) as caught:
        _diverging_run()
    clone = pickle.loads(pickle.dumps(caught.value))
    assert (clone.step, clone.epoch, clone.lr) == (caught.value.step, caught.value.epoch, 10.0)
    assert clone.history == caught.value.history
    assert str(clone) == str(caught.value)


def test_listing_view_of_fit_shows_the_training_loop_without_its_machinery():
    from report.listings import view

    shown = view(fit)
    assert "net.backward(trace, dout)" in shown
    for machinery in ("tqdm(", "bar.", "raise Diverged", "errstate"):
        assert machinery not in shown, machinery


def _plain_sgd(params, x, y, *, epochs, lr, batch_size, seed):
    """The textbook step of a Linear-Sigmoid-Linear softmax net, one fresh array per operation:
    the reference `fit` must match bit for bit, however its hot loop is tuned."""
    W1, b1, W2, b2 = (p.copy() for p in params)
    rng = np.random.default_rng(seed)
    n = len(x)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start : start + batch_size]
            xb, yb = x[rows], y[rows]
            z = xb @ W1 + b1
            e = np.exp(-np.abs(z))
            h = np.maximum(e, z >= 0) / (1 + e)
            o = h @ W2 + b2
            shifted = o - o.max(axis=1, keepdims=True)
            total = np.exp(shifted).sum(axis=1, keepdims=True)
            picked = np.arange(len(xb)), yb
            losses.append(float(np.mean(np.log(total[:, 0]) - shifted[picked])))
            do = np.exp(shifted) / total
            do[picked] -= 1
            do /= len(xb)
            dh = do @ W2.T
            dz = dh * h * (1 - h)
            dW2, db2 = h.T @ do, do.sum(axis=0)
            dW1, db1 = xb.T @ dz, dz.sum(axis=0)
            W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return [W1, b1, W2, b2], losses


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_gives_bit_for_bit_the_weights_and_losses_of_plain_minibatch_sgd(dtype):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(53, 12)).astype(dtype)  # 53 = 7 batches of 7 and a last batch of 4
    y = rng.integers(0, 4, size=53)
    net = Net([Linear(12, 9, rng, dtype=dtype), Sigmoid(), Linear(9, 4, rng, dtype=dtype)])
    start = [p.copy() for _, p in net.parameters()]
    h = fit(net, SoftmaxCE(), x, y, epochs=3, lr=0.7, batch_size=7, seed=4, progress=False)
    want, losses = _plain_sgd(start, x, y, epochs=3, lr=0.7, batch_size=7, seed=4)
    for (name, got), expected in zip(net.parameters(), want, strict=True):
        assert got.dtype == expected.dtype == dtype, name
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert h.step_loss == losses


def _plain_bce_sum_sgd(params, x, y, *, epochs, lr, batch_size):
    """dl2023's notebook step written out plainly: ReLU hidden layer, sigmoid output, BCE from
    the logits, in-order minibatches with the last partial one dropped, the batch-sum gradient.
    One fresh array per operation, in the core's order of rounding."""
    W1, b1, W2, b2 = (p.copy() for p in params)
    losses = []
    for _ in range(epochs):
        for start in range(0, len(x) - batch_size + 1, batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            n = len(xb)
            a = xb @ W1 + b1
            h = np.maximum(a, 0)
            z = h @ W2 + b2
            e = np.exp(-np.abs(z))
            y_hat = np.maximum(e, z >= 0) / (1 + e)
            bce = np.maximum(z, 0) - z * yb + np.log1p(np.exp(-np.abs(z)))
            losses.append(float(np.mean(bce)))
            dz = (y_hat - yb) / n * n
            dh = dz @ W2.T
            da = dh * (a > 0)
            dW2, db2, dW1, db1 = h.T @ dz, dz.sum(axis=0), xb.T @ da, da.sum(axis=0)
            W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
    return [W1, b1, W2, b2], losses


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_size", [1, 5, 16])
def test_fit_with_bce_from_logits_and_sum_reduction_gives_bit_for_bit_the_plain_step(
    dtype, batch_size
):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(43, 6)).astype(dtype)  # 43: a partial last batch to drop
    y = rng.integers(0, 2, size=(43, 1))
    net = Net([Linear(6, 5, rng, dtype=dtype), ReLU(), Linear(5, 1, rng, dtype=dtype), Sigmoid()])
    start = [p.copy() for _, p in net.parameters()]
    h = fit(net, BCE(), x, y, epochs=3, lr=0.05, batch_size=batch_size, shuffle=False,
            reduction="sum", drop_last=True, progress=False)
    yf = y.astype(dtype)
    want, losses = _plain_bce_sum_sgd(start, x, yf, epochs=3, lr=0.05, batch_size=batch_size)
    for (name, got), expected in zip(net.parameters(), want, strict=True):
        assert got.dtype == expected.dtype == dtype, name
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert h.step_loss == losses


@pytest.mark.parametrize("batch_size", [None, 4])  # one step per epoch; several, a short last
def test_fit_epoch_means_are_exactly_np_mean_of_the_epochs_step_values(batch_size):
    rng = np.random.default_rng(30)
    x, y = rng.normal(size=(10, 3)), rng.integers(0, 2, size=(10, 1))
    net = Net([Linear(3, 4, rng), Tanh(), Linear(4, 1, rng), Sigmoid()])
    h = fit(net, BCE(), x, y, epochs=4, lr=0.3, batch_size=batch_size, progress=False)
    n = h.steps_per_epoch
    assert n == (1 if batch_size is None else 3)
    for e in range(4):
        assert h.epoch_loss[e] == float(np.mean(h.step_loss[e * n:(e + 1) * n]))
        assert h.epoch_acc[e] == float(np.mean(h.step_acc[e * n:(e + 1) * n]))
    assert len(set(h.epoch_loss)) == 4


def test_evaluate_gives_the_held_out_loss_and_accuracy_fit_records_and_changes_nothing():
    x, y = _blobs()
    net = _net()
    history = fit(net, BCE(), x[:40], y[:40], epochs=3, lr=0.5, batch_size=10,
                  x_val=x[40:], y_val=y[40:], progress=False)
    before = [p.copy() for _, p in net.parameters()]
    loss, acc = evaluate(net, BCE(), x[40:], y[40:])
    assert (loss, acc) == (history.val_loss[-1], history.val_acc[-1])
    assert all(np.array_equal(p, q) for (_, p), q in zip(net.parameters(), before, strict=True))
    # A softmax classifier: the mean cross-entropy of its logits and the argmax accuracy.
    logits_net = Net([Linear(2, 3, np.random.default_rng(1))])
    labels = (np.ravel(y) > 0.5).astype(int)
    loss, acc = evaluate(logits_net, SoftmaxCE(), x, labels)
    assert loss == SoftmaxCE().value(labels, logits_net.forward(x)[0])
    assert acc == np.mean(logits_net.forward(x)[0].argmax(axis=1) == labels)
