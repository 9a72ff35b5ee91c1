"""lab4-backprop's network (003_*.txt, Exercise 2) on the core: tanh hidden layers, a sigmoid
output, the mean squared error, and full-batch gradient descent."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from numpy.typing import DTypeLike

from model.init import Initialiser, glorot_uniform, normal, zeros
from model.layers import Linear, Sigmoid, Tanh
from model.losses import MSE
from model.net import Net
from model.train import fit


class NeuralNetwork:
    """input_size -> hidden_sizes[0] -> ... -> output_size; tanh after every hidden layer,
    sigmoid after the last. Weights from `init` (lab4's Glorot-uniform by default) drawn from
    default_rng(seed); biases zero. Inputs x (N, input_size), outputs (N, output_size)."""

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_sizes: Sequence[int],
        seed: int = 0,
        init: Initialiser = glorot_uniform,
        dtype: DTypeLike = np.float64,
    ) -> None:
        rng = np.random.default_rng(seed)
        sizes = [input_size, *hidden_sizes, output_size]
        layers = []
        for d_in, d_out in pairwise(sizes):
            layers += [Linear(d_in, d_out, rng, init, dtype), Tanh()]
        layers[-1] = Sigmoid()
        self.net = Net(layers)
        self.loss = MSE()

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Predictions (N, output_size)."""
        return self.net.forward(x)[0]

    def get_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean squared error of the predictions for x against the targets y."""
        return self.loss.value(y, self.forward(x))

    def backward(self, x: np.ndarray, y: np.ndarray) -> None:
        """A forward pass, then every layer's weight and bias gradient of the loss."""
        out, trace = self.net.forward(x)
        self.net.backward(trace, self.loss(y, out)[1])

    def step(self, lr: float) -> None:
        """One gradient-descent update with the gradients of the last `backward`."""
        self.net.step(lr)

    def __str__(self) -> str:
        return str(self.net)


def train(
    x: np.ndarray, y: np.ndarray, net: NeuralNetwork, epochs: int, lr: float
) -> tuple[NeuralNetwork, np.ndarray]:
    """lab4's `train`: `epochs` full-batch gradient-descent steps on all of (x, y).

    Returns the network (trained in place) and the loss before each update, shape (epochs,).
    """
    history = fit(net.net, net.loss, x, y, epochs=epochs, lr=lr, progress=False)
    return net, np.array(history.step_loss)


def initialiser(name: str) -> Initialiser:
    """'glorot_uniform', 'zeros' or 'normal(std)': the weight initialiser of `model.init`."""
    if name.startswith("normal(") and name.endswith(")"):
        return normal(float(name[len("normal("):-1]))
    named = {"glorot_uniform": glorot_uniform, "zeros": zeros}
    if name not in named:
        raise ValueError(f"unknown initialiser {name!r}; expected one of "
                         f"{', '.join(named)} or normal(STD)")
    return named[name]
