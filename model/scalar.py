"""mlp-numpy Q3 and Q4 in plain Python: a 2-3-2 sigmoid/softmax network as lists of floats.

Only the `math` and `random` modules, and explicit loops, as Q3 asks. The network is

    k_j = sum_i x_i W_ij + b_j,   h_j = sigmoid(k_j),   o_m = sum_j h_j V_jm + c_m,
    y_m = exp(o_m) / sum_n exp(o_n),   l = -log y_t   (t the target class),

and the backward pass walks the same modules in reverse, each with its local derivative.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class ScalarMLP:
    """Parameters (or their gradients): W (n_in x n_hidden), b (n_hidden), V (n_hidden x n_out),
    c (n_out), each a list (of lists) of floats."""

    W: list[list[float]]
    b: list[float]
    V: list[list[float]]
    c: list[float]


def q3_network() -> ScalarMLP:
    """The network of Q3 (its picture is missing from the text; the README gives it)."""
    return ScalarMLP(
        W=[[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]],
        b=[0.0, 0.0, 0.0],
        V=[[1.0, 1.0], [-1.0, -1.0], [-1.0, -1.0]],
        c=[0.0, 0.0],
    )


def random_network(n_in: int, n_hidden: int, n_out: int, seed: int = 0) -> ScalarMLP:
    """Weights drawn from N(0, 1) and zero biases, Q4's suggestion, from random.Random(seed)."""
    rand = random.Random(seed)
    return ScalarMLP(
        W=[[rand.gauss(0.0, 1.0) for _ in range(n_hidden)] for _ in range(n_in)],
        b=[0.0] * n_hidden,
        V=[[rand.gauss(0.0, 1.0) for _ in range(n_out)] for _ in range(n_hidden)],
        c=[0.0] * n_out,
    )


def sigmoid(x: float) -> float:
    """1 / (1 + e^{-x}), with the exponent kept <= 0 so that math.exp cannot overflow."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softmax(o: Sequence[float]) -> list[float]:
    """exp(o_m) / sum_n exp(o_n), shifted by max(o) so that no exponent is positive."""
    top = max(o)
    e = [math.exp(o_m - top) for o_m in o]
    total = sum(e)
    return [e_m / total for e_m in e]


def forward(
    net: ScalarMLP, x: Sequence[float]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """The forward pass: (k, h, o, y) for one input x."""
    n_hidden, n_out = len(net.b), len(net.c)
    k = [net.b[j] + sum(x[i] * net.W[i][j] for i in range(len(x))) for j in range(n_hidden)]
    h = [sigmoid(k_j) for k_j in k]
    o = [net.c[m] + sum(h[j] * net.V[j][m] for j in range(n_hidden)) for m in range(n_out)]
    return k, h, o, softmax(o)


def forward_backward(net: ScalarMLP, x: Sequence[float], target: int) -> tuple[float, ScalarMLP]:
    """Loss l = -log y_target for one input, and dl/d(every parameter), in the shape of `net`.

    Local derivatives, as in Q1: dl/dy_t = -1/y_t (0 for the other outputs); dy_m/do_n =
    y_m ([m = n] - y_n); then the usual ones of a linear layer and the sigmoid. (y_t > 0 unless
    the logits are more than ~745 apart, far outside what this small network produces.)
    """
    k, h, o, y = forward(net, x)
    n_in, n_hidden, n_out = len(x), len(h), len(y)
    loss = -math.log(y[target])

    dy = [-1.0 / y[m] if m == target else 0.0 for m in range(n_out)]
    do = [sum(dy[m] * y[m] * ((m == n) - y[n]) for m in range(n_out)) for n in range(n_out)]
    dV = [[h[j] * do[m] for m in range(n_out)] for j in range(n_hidden)]
    dc = list(do)
    dh = [sum(net.V[j][m] * do[m] for m in range(n_out)) for j in range(n_hidden)]
    dk = [dh[j] * h[j] * (1.0 - h[j]) for j in range(n_hidden)]
    dW = [[x[i] * dk[j] for j in range(n_hidden)] for i in range(n_in)]
    db = list(dk)
    return loss, ScalarMLP(W=dW, b=db, V=dV, c=dc)


def sgd_step(net: ScalarMLP, grads: ScalarMLP, lr: float) -> None:
    """p <- p - lr dp for every parameter, in place."""
    for rows, grad_rows in ((net.W, grads.W), (net.V, grads.V)):
        for row, grad_row in zip(rows, grad_rows, strict=True):
            for j, g in enumerate(grad_row):
                row[j] -= lr * g
    for vec, grad_vec in ((net.b, grads.b), (net.c, grads.c)):
        for j, g in enumerate(grad_vec):
            vec[j] -= lr * g


def evaluate(
    net: ScalarMLP, xs: Sequence[Sequence[float]], ys: Sequence[int]
) -> tuple[float, float]:
    """(mean loss, accuracy) over a data set, without training."""
    total, right = 0.0, 0
    for x, t in zip(xs, ys, strict=True):
        *_, y = forward(net, [float(v) for v in x])
        total -= math.log(y[int(t)])
        right += max(range(len(y)), key=y.__getitem__) == int(t)
    return total / len(ys), right / len(ys)


def train(
    net: ScalarMLP,
    xs: Sequence[Sequence[float]],
    ys: Sequence[int],
    epochs: int,
    lr: float,
    seed: int = 0,
) -> list[float]:
    """Q4: stochastic gradient descent, one instance per step, in a fresh random order each
    epoch (random.Random(seed)). Trains `net` in place; returns the loss of every step."""
    rand = random.Random(seed)
    order = list(range(len(ys)))
    losses = []
    for _ in range(epochs):
        rand.shuffle(order)
        for i in order:
            loss, grads = forward_backward(net, [float(v) for v in xs[i]], int(ys[i]))
            sgd_step(net, grads, lr)
            losses.append(loss)
    return losses
