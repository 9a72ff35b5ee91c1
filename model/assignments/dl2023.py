"""dl2023-a1's own small API on top of the core: the notebook's weight rule and Linear layer,
the one-layer model of §1.3, and the networks of §1.6 and §1.7."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from model.functional import sigmoid, sigmoid_grad
from model.layers import Linear, ReLU, Sigmoid
from model.losses import bce_loss, bce_loss_grad
from model.net import Net


def notebook_uniform(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """The assignment's rule: W ~ U(-a, a) with a = sqrt(6 / (n_in * n_out)), and b = 0.

    The product n_in * n_out stands where Glorot's rule has the sum n_in + n_out. W has shape
    (n_in, n_out), b shape (n_out,).
    """
    a = np.sqrt(6 / (n_in * n_out))
    return rng.uniform(-a, a, size=(n_in, n_out)).astype(dtype), np.zeros(n_out, dtype=dtype)


def linear(n_in: int, n_out: int, rng: np.random.Generator | None = None) -> Linear:
    """A Linear(n_in, n_out) layer whose weights are drawn by `notebook_uniform`."""
    return Linear(n_in, n_out, rng=rng, init=notebook_uniform)


def one_layer(x: np.ndarray, y: float, w: np.ndarray, b: float) -> tuple[float, np.ndarray]:
    """h = x . w + b, y_hat = sigmoid(h), L = BCE(y, y_hat); returns L and dL/dx.

    Shapes: x (n,), w (n,), b and y scalars; the gradient has x's shape. Back-propagation is the
    chain rule read right to left: dL/dy_hat, times sigmoid'(h), times dh/dx = w.
    """
    h = x @ w + b
    y_hat = sigmoid(h)
    loss = bce_loss(y, y_hat)
    grad_h = bce_loss_grad(y, y_hat) * sigmoid_grad(h)
    return float(loss), grad_h * w


def network(name: str, rng: np.random.Generator) -> Net:
    """The networks of 1.6 (b), (d), (f) and (h), and the sigmoid-hidden one of 1.7 (c)."""
    match name:
        case "64-32-1":  # 1.6 (b): the two-layer network
            layers = [linear(64, 32, rng), ReLU(), linear(32, 1, rng), Sigmoid()]
        case "64-1":  # 1.6 (d): one linear layer, i.e. logistic regression
            layers = [linear(64, 1, rng), Sigmoid()]
        case "64-32-1 linear":  # 1.6 (f): two linear layers with nothing between them
            layers = [linear(64, 32, rng), linear(32, 1, rng), Sigmoid()]
        case "64-32-32-16-1":  # 1.6 (h): four linear layers
            layers = [linear(64, 32, rng), ReLU(), linear(32, 32, rng), ReLU(),
                      linear(32, 16, rng), ReLU(), linear(16, 1, rng), Sigmoid()]
        case "64-32-1 sigmoid":  # 1.7 (c): sigmoid hidden units
            layers = [linear(64, 32, rng), Sigmoid(), linear(32, 1, rng), Sigmoid()]
        case _:
            raise ValueError(f"no network named {name!r}")
    return Net(layers)
