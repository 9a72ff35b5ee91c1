"""mlp-numpy Q2 and Q5-Q7 (004_*.txt): the chain rule through the softmax, and the 784-300-10
sigmoid/softmax network at the assignment's API.

A batch X (B, 784) goes through every step in one NumPy call: K = X W + b, H = sigmoid(K),
O = H V + c, and the loss is the batch mean of -log softmax(O)_t, computed from the logits by
`model.losses.softmax_cross_entropy`. A single instance is the batch of one (x[None]).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from model.functional import softmax, softmax_jacobian
from model.init import Initialiser, glorot_uniform
from model.layers import Linear, Sigmoid
from model.losses import softmax_cross_entropy
from model.net import Net


def ce_grad_y(y: np.ndarray, c: int) -> np.ndarray:
    """Q1's dl/dy_i for l = -log y_c: -1/y_c at i = c, 0 elsewhere; (K,)."""
    grad = np.zeros_like(y)
    with np.errstate(divide="ignore"):  # y_c = 0 gives -inf, which Q2's comparison shows
        grad[c] = -1 / y[c]
    return grad


def chained_grad_o(o: np.ndarray, c: int) -> np.ndarray:
    """dl/do_j = sum_i dl/dy_i dy_i/do_j: the chain rule through Q1's two local derivatives."""
    y = softmax(o)
    with np.errstate(invalid="ignore"):  # 0 * inf = nan once y_c has underflowed
        return softmax_jacobian(y).T @ ce_grad_y(y, c)


def glorot_sigmoid(n_in: int, n_out: int, rng: np.random.Generator,
                   dtype: DTypeLike = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Glorot and Bengio's variant for sigmoid units: W ~ U(-4a, 4a), a = sqrt(6 / (n_in + n_out)).

    sigma'(0) = 1/4 where tanh'(0) = 1, so four times the tanh range gives a sigmoid layer the
    same gradient scale at the start. Zero biases.
    """
    W, b = glorot_uniform(n_in, n_out, rng, np.float64)
    return (4 * W).astype(dtype), b.astype(dtype)


def make_net(n_in: int = 784, n_hidden: int = 300, n_out: int = 10, seed: int = 0,
             init: Initialiser = glorot_sigmoid, dtype: DTypeLike = np.float64) -> Net:
    """Linear(n_in, n_hidden), Sigmoid, Linear(n_hidden, n_out): logits out, softmax in the loss.

    Weights from `init` (`glorot_sigmoid` unless told otherwise), zero biases, default_rng(seed).
    """
    rng = np.random.default_rng(seed)
    return Net([Linear(n_in, n_hidden, rng, init, dtype), Sigmoid(),
                Linear(n_hidden, n_out, rng, init, dtype)])


def forward_backward(net: Net, x: np.ndarray,
                     targets: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """One batched pass: (mean loss, {"W1": dW (n_in, n_hidden), "b1", "W2", "b2"}).

    x (B, n_in), targets (B,) integer classes.
    """
    logits, trace = net.forward(x)
    loss, dlogits = softmax_cross_entropy(targets, logits)
    net.backward(trace, dlogits)
    return loss, dict(net.gradients())


def sgd_epoch(net: Net, x: np.ndarray, targets: np.ndarray, lr: float, batch_size: int,
              seed: int) -> list[float]:
    """One epoch of SGD in shuffled batches; returns the loss of every batch before its step.

    Each step adds up the gradients of its batch: B times their mean, so one step moves the
    weights about as far as B one-instance steps would at the same learning rate.
    """
    order = np.random.default_rng(seed).permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        rows = order[start:start + batch_size]
        loss, _ = forward_backward(net, x.take(rows, axis=0), targets[rows])
        net.step(lr * len(rows))
        losses.append(loss)
    return losses

