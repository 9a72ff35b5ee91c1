"""hw2-mnist's own API (002_*.txt §1.2) with its names, signatures and return values.

Row-vector convention as hw2 uses it: a mini-batch X is (n, d), a weight matrix (d_in, d_out),
a bias (1, d_out) a row vector. The activations and the loss are the core's (`model.functional`,
`model.losses`); `to_net` hands the same arrays to the core `Net` for training with `model.fit`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from model.functional import relu, relu_grad, sigmoid
from model.gradcheck import numeric_grad
from model.init import normal
from model.layers import DEFAULT_SEED, Linear, ReLU, Sigmoid
from model.losses import logistic_loss as _nll
from model.losses import logistic_loss_grad as _nll_grad
from model.net import Net

SIGMOID_CLIP = 1e-15
"""hw2 §1.2 (b)(i): sigmoid outputs are clipped to [eps, 1 - eps] with this eps."""

Activation = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
Cache = tuple[np.ndarray, np.ndarray, np.ndarray]


def sigmoid_activation(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""(\sigma(s) clipped to [1e-15, 1 - 1e-15], \sigma'(s)), both of s's shape (any shape).

    The sigmoid is the core's overflow-free one; the derivative is \sigma (1 - \sigma) of the
    unclipped value.
    """
    p = sigmoid(s)
    return np.clip(p, SIGMOID_CLIP, 1 - SIGMOID_CLIP), p * (1 - p)


def relu_activation(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max(0, s), its derivative 1[s > 0]), both (n, d) like s."""
    return relu(s), relu_grad(s)


def logistic_loss(g: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""(loss, dL_dg): loss[i] = -\log(g_i^{y_i} (1 - g_i)^{1 - y_i}) and its derivative in g_i.

    g (the network outputs) and y (labels in {0, 1}) must have the same shape, (n,): hw2 warns
    that broadcasting a column against a row would silently give an (n, n) loss.
    """
    g, y = np.asarray(g), np.asarray(y)
    if g.shape != y.shape:
        raise ValueError(f"g and y must have the same shape, got {g.shape} and {y.shape}")
    return _nll(y, g), _nll_grad(y, g)


def layer_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, activation_fn: Activation
) -> tuple[np.ndarray, Cache]:
    r"""out = activation_fn(x W + b) and cache = (x, W, \sigma'(S)).

    x (n, d_in), W (d_in, d_out), b (1, d_out); out (n, d_out). The cache is what the backward
    step of this layer needs: with \Delta = dL/dout \odot \sigma'(S), dW = x^T \Delta,
    db = 1^T \Delta, and the gradient passed down is \Delta W^T.
    """
    out, act_grad = activation_fn(x @ W + b)
    return out, (x, W, act_grad)


def create_weight_matrices(layer_dims: Sequence[int], seed: int = DEFAULT_SEED) -> list[np.ndarray]:
    """One (d_l, d_{l+1}) matrix per layer, entries N(0, 0.01^2), from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    draw = normal(0.01)
    return [draw(d_in, d_out, rng)[0] for d_in, d_out in pairwise(layer_dims)]


def create_bias_vectors(layer_dims: Sequence[int]) -> list[np.ndarray]:
    """One zero (1, d_{l+1}) row vector per layer (hw2 does not say; zeros as in the core)."""
    return [np.zeros((1, d_out)) for d_out in layer_dims[1:]]


def forward_pass(
    X_batch: np.ndarray,
    weight_matrices: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[Activation],
) -> tuple[np.ndarray, list[Cache]]:
    """(output, layer_caches): the outputs as a vector (n,) (the last layer has one unit) and
    each layer's cache from `layer_forward`."""
    z, caches = X_batch, []
    for W, b, activation_fn in zip(weight_matrices, biases, activations, strict=True):
        z, cache = layer_forward(z, W, b, activation_fn)
        caches.append(cache)
    return z.reshape(-1), caches


def backward_pass(
    dL_dg: np.ndarray, layer_caches: Sequence[Cache]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    r"""(grad_Ws, grad_bs): gradients of the batch-mean loss for every W (d_in, d_out) and
    b (1, d_out), from dL_dg (n,) of `logistic_loss` and the caches of `forward_pass`.

    Layer by layer from the top: \Delta = D \odot \sigma'(S), dW = x^T \Delta,
    db = \sum_rows \Delta, D <- \Delta W^T, starting from D = dL_dg / n (the mean's 1/n).
    """
    d = np.reshape(dL_dg, (-1, 1)) / len(dL_dg)
    grad_Ws, grad_bs = [], []
    for x, W, act_grad in reversed(layer_caches):
        delta = d * act_grad
        grad_Ws.append(x.T @ delta)
        grad_bs.append(delta.sum(axis=0, keepdims=True))
        d = delta @ W.T
    return grad_Ws[::-1], grad_bs[::-1]


def nn_finite_difference_checker(
    X_batch: np.ndarray,
    y_batch: np.ndarray,
    weight_matrices: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[Activation],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(grad_Ws, grad_bs) of the batch-mean logistic loss by central differences (h = 1e-5),
    from the core's one checker; the parameters are perturbed in place and restored exactly."""

    def mean_loss(_: np.ndarray) -> float:
        output, _ = forward_pass(X_batch, weight_matrices, biases, activations)
        return float(logistic_loss(output, y_batch)[0].mean())

    grad_Ws = [numeric_grad(mean_loss, W) for W in weight_matrices]
    grad_bs = [numeric_grad(mean_loss, b) for b in biases]
    return grad_Ws, grad_bs


_LAYERS = {relu_activation: ReLU, sigmoid_activation: Sigmoid}


def to_net(
    weight_matrices: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[Activation],
) -> Net:
    """The same network as a core `Net` that shares the arrays (training it updates them).

    One difference: the core Sigmoid does not clip at 1e-15; the core BCE loss clips at machine
    epsilon instead, so losses agree except for outputs within 1e-15 of 0 or 1.
    """
    layers = []
    for W, b, activation_fn in zip(weight_matrices, biases, activations, strict=True):
        # b is (1, d) in hw2 and (d,) in the core; the reshape must be a view to share updates.
        flat = b.reshape(-1)
        if not np.shares_memory(flat, b):
            raise ValueError("each bias must be a contiguous (1, d) array so it can be shared")
        layers += [Linear.from_params(W, flat), _LAYERS[activation_fn]()]
    return Net(layers)
