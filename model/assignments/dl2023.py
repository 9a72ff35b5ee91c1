"""dl2023-a1's own small API on top of the core: the one-layer model of §1.3."""

from __future__ import annotations

import numpy as np

from model.functional import sigmoid, sigmoid_grad
from model.losses import bce_loss, bce_loss_grad


def one_layer(x: np.ndarray, y: float, w: np.ndarray, b: float) -> tuple[float, np.ndarray]:
    r"""h = x w^T + b, \hat y = \sigma(h), L = BCE(y, \hat y); returns (L, \nabla_x L).

    Shapes: x (n,), w (n,), b and y scalars; the gradient has x's shape. Back-propagation is the
    chain rule read right to left: dL/d\hat y, times \sigma'(h), times dh/dx = w.
    """
    h = x @ w + b
    y_hat = sigmoid(h)
    loss = bce_loss(y, y_hat)
    grad_h = bce_loss_grad(y, y_hat) * sigmoid_grad(h)
    return float(loss), grad_h * w
