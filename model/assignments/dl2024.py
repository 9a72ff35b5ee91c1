"""dl2024-a1's one-layer model (§1.4), network function and layer factory (§1.5), its backward
pass, evaluation and training loop (§1.6), in NumPy, not PyTorch; and the small functions
§1.2-§1.3 ask for.

A network is a list of layers (w (d0, d1), b (d1,), h), h an activation from
`model.functional` (`sigmoid`, `relu`, `np.tanh`, or `identity` for "no activation").
`model.net.Net.from_params` gives the core `Net` on the very same arrays, for the core's
diagnostics.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import DTypeLike

from model.autodiff import Value
from model.functional import derivative, sigmoid
from model.init import normal
from model.layers import DEFAULT_SEED
from model.losses import BCE, bce_loss

ActivationFn = Callable[[np.ndarray], np.ndarray]
Layer = tuple[np.ndarray, np.ndarray, ActivationFn]


def model1(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    r"""\hat y = \sigma(x \cdot w + b) for one sample x (D,), w (D,), b a scalar: the network of
    one sigmoid layer, so the output is a scalar (a 0-d array)."""
    return network(x, [(w[:, None], np.atleast_1d(b), sigmoid)])


def network(x: np.ndarray, params: Sequence[Layer]) -> np.ndarray:
    """z <- h(z w + b) layer by layer from z = x (N, D_0); the last axis is dropped when the
    last layer has one unit, so a binary classifier returns (N,)."""
    z = x
    for w, b, h in params:
        z = h(z @ w + b)
    return z[..., 0] if z.shape[-1] == 1 else z


def make_layer(
    d0: int,
    d1: int,
    activation: ActivationFn,
    rng: np.random.Generator | None = None,
    dtype: DTypeLike = np.float64,
) -> Layer:
    r"""(w, b, activation): w (d0, d1) ~ N(0, 2 / d1), He's rule with the layer's output width,
    b = 0 (d1,). Without `rng`, a fresh default_rng(DEFAULT_SEED).

    dl2024's given test asks that the weights of a 100000 x 2 layer have standard deviation 1,
    which \sqrt{2 / d1} gives and the conventional fan-in form `model.init.he_normal`
    (\sqrt{2 / d0}, 0.0045 there) does not.
    """
    rng = np.random.default_rng(DEFAULT_SEED) if rng is None else rng
    w, b = normal(np.sqrt(2 / d1))(d0, d1, rng, dtype)
    return w, b, activation


def evaluate(params: Sequence[Layer], x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean BCE, accuracy) of the network on x (N, D_0) with labels y (N,), without training."""
    y_hat = network(x, params)
    loss = BCE()
    return loss.value(y, y_hat), loss.accuracy(y, y_hat)


def backward(params: Sequence[Layer], x: np.ndarray, y: np.ndarray
             ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """(grads, y_hat): (dL/dw, dL/db) for every layer, L the mean BCE of y_hat =
    network(x, params) (N,) against y (N,), and y_hat, which the forward half computes anyway.

    The last layer must be a sigmoid: with the BCE its slope cancels, dL/da = (y_hat - y) / N
    for its pre-activation a, so a saturated wrong output still gets a full step. Each earlier
    layer l then receives delta_l = (delta_{l+1} w_{l+1}^T) * h_l'(a_l).
    """
    if params[-1][2] is not sigmoid:
        raise ValueError("backward: the last layer's activation must be sigmoid (BCE output)")
    inputs, pre = [], []
    z = x
    for w, b, h in params:
        inputs.append(z)
        pre.append(z @ w + b)
        z = h(pre[-1])
    delta = (z - y[:, None]) / len(x)
    grads = []
    for layer in reversed(range(len(params))):
        grads.append((inputs[layer].T @ delta, delta.sum(axis=0)))
        if layer > 0:
            delta = (delta @ params[layer][0].T) * derivative(params[layer - 1][2])(pre[layer - 1])
    return grads[::-1], z[:, 0]


def train_epoch(params: Sequence[Layer], x_train: np.ndarray, y_train: np.ndarray,
                learning_rate: float, batch_size: int, rng: np.random.Generator
                ) -> tuple[float, float]:
    """One epoch of minibatch gradient descent on `params` (in place); (mean loss, accuracy)
    over its minibatches. The samples come in a fresh random order; the last partial minibatch
    is dropped. The learning rate is positive: the update subtracts it times the gradient."""
    n = len(x_train)
    batch_size = min(batch_size, n)
    # Row k holds the samples of minibatch k: x (steps, batch_size, D_0), y (steps, batch_size).
    batches = rng.permutation(n)[:n // batch_size * batch_size].reshape(-1, batch_size)
    x, y = x_train[batches], y_train[batches]
    outputs = []  # each minibatch's output before its step
    for x_batch, y_batch in zip(x, y, strict=True):
        grads, y_hat = backward(params, x_batch, y_batch)
        outputs.append(y_hat)
        for (w, b, _), (dw, db) in zip(params, grads, strict=True):
            w -= learning_rate * dw
            b -= learning_rate * db
    # Each minibatch's mean BCE and accuracy (output and label thresholded at 0.5, as
    # `accuracy` does), all at once after the loop, so that the loop does nothing but train.
    y_hat = np.array(outputs)
    losses = np.mean(bce_loss(np.asarray(y, dtype=y_hat.dtype), y_hat), axis=1)
    accs = np.mean((y > 0.5) == (y_hat > 0.5), axis=1)
    return float(np.mean(losses)), float(np.mean(accs))


def fit(params: Sequence[Layer], x: dict[str, np.ndarray], y: dict[str, np.ndarray],
        learning_rate: float, batch_size: int, epochs: int, seed: int = 0
        ) -> dict[str, list[float]]:
    """Train on x["train"], y["train"] for `epochs` epochs, evaluating x["val"] after each;
    the loss and accuracy histories of both phases (keys train_loss, ..., val_acc)."""
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "val_loss": [],
                                       "val_acc": []}
    for _ in range(epochs):
        train = train_epoch(params, x["train"], y["train"], learning_rate, batch_size, rng)
        for key, value in zip(history, (*train, *evaluate(params, x["val"], y["val"])),
                              strict=True):
            history[key].append(value)
    return history


def exp_sin(w: Value, b: Value, x: float) -> Value:
    """§1.2's second example, y = exp(sin(x w) + b), on autodiff values."""
    return ((x * w).sin() + b).exp()


def naive_bce(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    """The BCE formula evaluated as written, with no guard: the version §1.3 (f) asks about."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
