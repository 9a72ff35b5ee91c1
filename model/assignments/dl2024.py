"""dl2024-a1's one-layer model (§1.4), network function and layer factory (§1.5), evaluation and
training (§1.6), in NumPy, not PyTorch; and the small functions §1.2-§1.3 ask for.

A network is a list of layers (w (d0, d1), b (d1,), h), h an activation from
`model.functional` (`sigmoid`, `relu`, `np.tanh`, or `identity` for "no activation").
`to_net` gives the core `Net` that trains the very same arrays with `model.fit`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import DTypeLike

from model.functional import identity, relu, sigmoid
from model.layers import DEFAULT_SEED, Identity, Linear, ReLU, Sigmoid, Tanh
from model.losses import BCE
from model.net import Net
from model.train import History, fit

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


def he_normal_fan_out(
    n_in: int, n_out: int, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    r"""dl2024's He rule: W ~ N(0, 2 / n_out), b = 0, with the layer's output width.

    dl2024's given test asks that the weights of a 100000 x 2 layer have standard deviation 1,
    which \sqrt{2 / n_out} gives and the conventional fan-in form `model.init.he_normal`
    (\sqrt{2 / n_in}, 0.0045 there) does not.
    """
    std = np.sqrt(2 / n_out)
    return rng.normal(0.0, std, size=(n_in, n_out)).astype(dtype), np.zeros(n_out, dtype=dtype)


def make_layer(
    d0: int,
    d1: int,
    activation: ActivationFn,
    rng: np.random.Generator | None = None,
    dtype: DTypeLike = np.float64,
) -> Layer:
    """(w, b, activation): w (d0, d1) ~ N(0, 2 / d1) (He, as dl2024's test fixes it, see
    `he_normal_fan_out`), b = 0 (d1,). Without `rng`, a fresh default_rng(DEFAULT_SEED)."""
    rng = np.random.default_rng(DEFAULT_SEED) if rng is None else rng
    w, b = he_normal_fan_out(d0, d1, rng, dtype)
    return w, b, activation


_LAYERS = {sigmoid: Sigmoid, relu: ReLU, np.tanh: Tanh, identity: Identity}


def to_net(params: Sequence[Layer]) -> Net:
    """The same network as a core `Net` sharing w and b (training it updates `params`)."""
    layers = []
    for w, b, h in params:
        if h not in _LAYERS:
            raise ValueError(f"unknown activation {h!r}: use one of model.functional's")
        layers += [Linear.from_params(w, b), _LAYERS[h]()]
    return Net(layers)


def evaluate(params: Sequence[Layer], x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean BCE, accuracy) of the network on x (N, D_0) with labels y (N,), without training."""
    y_hat = network(x, params)
    loss = BCE()
    return loss.value(y, y_hat), loss.accuracy(y, y_hat)


def train(
    params: Sequence[Layer],
    x: dict[str, np.ndarray],
    y: dict[str, np.ndarray],
    learning_rate: float,
    batch_size: int,
    epochs: int,
    seed: int = 0,
) -> History:
    """Train `params` in place on x["train"] (N, D_0), y["train"] (N,); validate on x["val"].

    As §1.6's training loop: each epoch visits the samples in a fresh random order
    (default_rng(seed)), in N // batch_size minibatches (the last partial one is dropped), and
    descends on the minibatch-mean BCE; the validation set is evaluated after every epoch.
    The learning rate is positive: the update subtracts it times the gradient.
    """
    return fit(to_net(params), BCE(), x["train"], y["train"], epochs=epochs, lr=learning_rate,
               batch_size=batch_size, x_val=x["val"], y_val=y["val"], shuffle=True, seed=seed,
               drop_last=True, progress=False)


def exp_sin_grads(x: float, w: float, b: float) -> tuple[float, float, float]:
    """y = exp(sin(x w) + b) and its chain-rule gradients (y, dy/dw, dy/db).

    dy/db = y (the exponential is its own derivative, the inner derivative is 1);
    dy/dw = y cos(x w) x.
    """
    y = math.exp(math.sin(x * w) + b)
    return y, y * math.cos(x * w) * x, y


def naive_bce(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    """The BCE formula evaluated as written, with no guard: the version §1.3 (f) asks about."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
