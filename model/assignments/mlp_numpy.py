"""mlp-numpy Q5/Q6 (004_*.txt) on the core: the 784-300-10 sigmoid/softmax network, vectorised
and batched.

A batch X (B, 784) goes through every step in one NumPy call: K = X W + b, H = sigmoid(K),
O = H V + c, and the loss is the mean over the batch of -log softmax(O)_t. A single instance is
the batch of one (x[None]). The softmax sits in the loss (`model.losses.SoftmaxCE`) so that it is
computed stably from the logits. Train with `model.fit(net, SoftmaxCE(), ...)`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from model.init import Initialiser, standard_normal
from model.layers import Linear, Sigmoid
from model.losses import softmax_cross_entropy
from model.net import Net
from model.scalar import ScalarMLP


def make_net(
    n_in: int = 784,
    n_hidden: int = 300,
    n_out: int = 10,
    seed: int = 0,
    init: Initialiser = standard_normal,
    dtype: DTypeLike = np.float64,
) -> Net:
    """Linear(n_in, n_hidden), Sigmoid, Linear(n_hidden, n_out): logits out, softmax in the loss.

    Default weights N(0, 1) and zero biases, the text's suggestion, drawn from default_rng(seed).
    """
    rng = np.random.default_rng(seed)
    return Net(
        [
            Linear(n_in, n_hidden, rng, init, dtype),
            Sigmoid(),
            Linear(n_hidden, n_out, rng, init, dtype),
        ]
    )


def forward_backward(
    net: Net, x: np.ndarray, targets: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Q6's batched pass: (mean loss, {"W1": dW (n_in, n_hidden), "b1": ..., "W2": ..., "b2": ...}).

    x (B, n_in), targets (B,) integer classes; one forward and one backward pass for the batch.
    """
    logits, trace = net.forward(x)
    loss, dlogits = softmax_cross_entropy(targets, logits)
    net.backward(trace, dlogits)
    return loss, dict(net.gradients())


def from_scalar(params: ScalarMLP, dtype: DTypeLike = np.float64) -> Net:
    """The network of `model.scalar` (Q3's lists W, b, V, c) as matrices in a core `Net`."""
    return Net(
        [
            Linear.from_params(np.array(params.W, dtype), np.array(params.b, dtype)),
            Sigmoid(),
            Linear.from_params(np.array(params.V, dtype), np.array(params.c, dtype)),
        ]
    )
