"""hw2-mnist's own API (002_*.txt §1.2) with its names, signatures and return values.

Row-vector convention as hw2 uses it: a mini-batch X is (n, d), a weight matrix (d_in, d_out),
a bias (1, d_out) a row vector. The sigmoid, ReLU, loss and the finite-difference loop are the
core's (`model.functional`, `model.losses`, `model.gradcheck`); training is `train` below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from model.functional import relu, relu_grad, sigmoid
from model.gradcheck import H, numeric_grad
from model.init import normal
from model.layers import DEFAULT_SEED
from model.losses import logistic_loss as _nll
from model.losses import logistic_loss_grad as _nll_grad

SIGMOID_CLIP = 1e-15
"""hw2 §1.2 (b)(i): sigmoid outputs are clipped to [eps, 1 - eps] with this eps (float64)."""

Activation = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
Cache = tuple[np.ndarray, np.ndarray, np.ndarray]
Params = Sequence[np.ndarray]


def sigmoid_clip(dtype: npt.DTypeLike) -> float:
    """The eps of `sigmoid_activation` for outputs of `dtype`: 1e-15, or the machine epsilon
    where 1 - 1e-15 would round to 1 (float32: 1.2e-7)."""
    return max(SIGMOID_CLIP, float(np.finfo(dtype).eps))


def sigmoid_activation(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g, g (1 - g)) with g the sigmoid of s clipped to [eps, 1 - eps]; both of s's shape.

    eps is 1e-15 in float64 (`sigmoid_clip`). The slope is taken at the clipped g: times
    dL/dg = (g - y) / (g (1 - g)) it gives the output layer g - y, so a saturated wrong output
    still gets a gradient of size about 1. That needs the loss to clip no further than here,
    hence float32's eps: the loss clips at it, and 1 - 1e-15 is 1 in float32.
    """
    g = sigmoid(s)
    eps = sigmoid_clip(g.dtype)
    g = np.clip(g, eps, 1 - eps)
    return g, g * (1 - g)


def relu_activation(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max(0, s), its derivative 1[s > 0]), both (n, d) like s."""
    return relu(s), relu_grad(s)


def logistic_loss(g: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(loss, dL_dg): loss[i] = -log(g_i^y_i (1 - g_i)^(1 - y_i)) and its derivative in g_i.

    g (the network outputs) and y (labels in {0, 1}) must have the same shape, (n,): a column
    against a row would silently broadcast to an (n, n) loss. Both are in g's type: integer
    labels would turn a float32 loss and everything back-propagated from it into float64.
    """
    g = np.asarray(g)
    y = np.asarray(y, dtype=g.dtype)
    if g.shape != y.shape:
        raise ValueError(f"g and y must have the same shape, got {g.shape} and {y.shape}")
    return _nll(y, g), _nll_grad(y, g)


def layer_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray,
                  activation_fn: Activation) -> tuple[np.ndarray, Cache]:
    """out = activation_fn(x W + b), (n, d_out), and cache = (x, W, the activation's slope).

    x (n, d_in), W (d_in, d_out), b (1, d_out).
    """
    out, slope = activation_fn(x @ W + b)
    return out, (x, W, slope)


def create_weight_matrices(layer_dims: Sequence[int], seed: int = DEFAULT_SEED) -> list[np.ndarray]:
    """One (d_l, d_l+1) matrix per layer, entries N(0, 0.01^2), from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    draw = normal(0.01)
    return [draw(d_in, d_out, rng)[0] for d_in, d_out in pairwise(layer_dims)]


def create_bias_vectors(layer_dims: Sequence[int]) -> list[np.ndarray]:
    """One zero (1, d_l+1) row vector per layer."""
    return [np.zeros((1, d_out)) for d_out in layer_dims[1:]]


def forward_pass(X_batch: np.ndarray, weight_matrices: Params, biases: Params,
                 activations: Sequence[Activation]) -> tuple[np.ndarray, list[Cache]]:
    """(output, layer_caches): the outputs as a vector (n,) (the last layer has one unit) and
    each layer's cache from `layer_forward`."""
    z, caches = X_batch, []
    for W, b, activation_fn in zip(weight_matrices, biases, activations, strict=True):
        z, cache = layer_forward(z, W, b, activation_fn)
        caches.append(cache)
    return z.reshape(-1), caches


def backward_pass(dL_dg: np.ndarray,
                  layer_caches: Sequence[Cache]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(grad_Ws, grad_bs): gradients of the batch-mean loss for every W (d_in, d_out) and
    b (1, d_out), from dL_dg (n,) of `logistic_loss` and the caches of `forward_pass`."""
    d = np.reshape(dL_dg, (-1, 1)) / len(dL_dg)  # 1/n: the loss is the batch mean
    grad_Ws, grad_bs = [], []
    for layer in reversed(range(len(layer_caches))):
        x, W, slope = layer_caches[layer]
        delta = d * slope
        grad_Ws.append(x.T @ delta)
        grad_bs.append(delta.sum(axis=0, keepdims=True))
        if layer > 0:  # nothing needs the gradient of the input X: skip its (n, 784) product
            d = delta @ W.T
    return grad_Ws[::-1], grad_bs[::-1]


def nn_finite_difference_checker(
    X_batch: np.ndarray, y_batch: np.ndarray, weight_matrices: Params, biases: Params,
    activations: Sequence[Activation], h: float = H) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(grad_Ws, grad_bs) of the batch-mean logistic loss by central differences with step h
    (1e-5); each entry is perturbed in place and restored exactly."""

    def mean_loss(_: np.ndarray) -> float:
        output, _ = forward_pass(X_batch, weight_matrices, biases, activations)
        return float(logistic_loss(output, y_batch)[0].mean())

    grad_Ws = [numeric_grad(mean_loss, W, h) for W in weight_matrices]
    grad_bs = [numeric_grad(mean_loss, b, h) for b in biases]
    return grad_Ws, grad_bs


def sgd_update(weight_matrices: Params, biases: Params, grad_Ws: Params, grad_bs: Params,
               step_size: float) -> None:
    """One SGD step in place: W <- W - step_size dW and b <- b - step_size db, every layer."""
    for param, grad in zip([*weight_matrices, *biases], [*grad_Ws, *grad_bs], strict=True):
        param -= step_size * grad


def evaluate(X: np.ndarray, y: np.ndarray, weight_matrices: Params, biases: Params,
             activations: Sequence[Activation]) -> tuple[float, float]:
    """(mean loss, accuracy) of the network on (X, y); an output above 1/2 predicts a 9."""
    output, _ = forward_pass(X, weight_matrices, biases, activations)
    loss, _ = logistic_loss(output, y)
    return float(loss.mean()), float(np.mean((output > 0.5) == y))


def train(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
          layer_dims: Sequence[int], activations: Sequence[Activation], step_size: float = 0.1,
          batch_size: int = 100, epochs: int = 5, seed: int = DEFAULT_SEED, eval_every: int = 1
          ) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, list[float]]]:
    """Mini-batch SGD (§1.2 (e)): (weights, biases, record) after `epochs` passes over (X, y).

    Every epoch reshuffles the training set and cuts it into batches of `batch_size` (the last
    one may be smaller). The record holds, for every step, the batch's mean loss and accuracy,
    and every `eval_every` steps the test set's (`test_step` says after which step).
    """
    weights = [W.astype(X.dtype) for W in create_weight_matrices(layer_dims, seed)]
    biases = [b.astype(X.dtype) for b in create_bias_vectors(layer_dims)]
    rng = np.random.default_rng([seed, 1])  # shuffling: a stream apart from the weights' draw
    record: dict[str, list[float]] = {key: [] for key in (
        "train_loss", "train_acc", "test_step", "test_loss", "test_acc")}
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            output, caches = forward_pass(X[batch], weights, biases, activations)
            loss, dL_dg = logistic_loss(output, y[batch])
            grad_Ws, grad_bs = backward_pass(dL_dg, caches)
            sgd_update(weights, biases, grad_Ws, grad_bs, step_size)
            step += 1
            record["train_loss"].append(float(loss.mean()))
            record["train_acc"].append(float(np.mean((output > 0.5) == y[batch])))
            if step % eval_every == 0:
                test_loss, test_acc = evaluate(X_test, y_test, weights, biases, activations)
                record["test_step"].append(step)
                record["test_loss"].append(test_loss)
                record["test_acc"].append(test_acc)
    return weights, biases, record
