"""lab4-backprop's network (003_*.txt, Exercise 2) on the core: tanh hidden layers, a sigmoid
output, the mean squared error, and full-batch gradient descent. `backward` is Exercise 1.3's
batched back-propagation, written out layer by layer."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from model.init import Initialiser, glorot_uniform
from model.layers import Linear, Sigmoid, Tanh
from model.losses import MSE
from model.net import Net


class NeuralNetwork:
    """input_size -> hidden_sizes[0] -> ... -> output_size; tanh after every hidden layer,
    sigmoid after the last. Weights from `init` (Glorot uniform by default) drawn from
    default_rng(seed); biases zero. Inputs x (N, input_size), outputs (N, output_size)."""

    def __init__(self, input_size: int, output_size: int, hidden_sizes: Sequence[int],
                 seed: int = 0, init: Initialiser = glorot_uniform) -> None:
        rng = np.random.default_rng(seed)
        sizes = [input_size, *hidden_sizes, output_size]
        layers = []
        for d_in, d_out in pairwise(sizes):
            layers += [Linear(d_in, d_out, rng, init), Tanh()]
        layers[-1] = Sigmoid()
        self.net = Net(layers)
        self.loss = MSE()

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Predictions (N, output_size)."""
        return self.net.forward(x)[0]

    def get_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean squared error of the predictions for x against the targets y."""
        return self.loss.value(y, self.forward(x))

    def backward(self, x: np.ndarray, y: np.ndarray) -> float:
        """Store every layer's gradients; returns the loss of the forward pass it made.

        Layer l is a Linear layer and its activation: (z_prev, z_in) and (z_in, z_out) are
        their inputs and outputs, the rows of Z_out^(l-1), Z_in^(l) and Z_out^(l).
        """
        z_out, trace = self.net.forward(x)
        loss, grad = self.loss(y, z_out)  # grad: dL/dZ_out^(L), shape (N, output_size)
        for ell in reversed(range(0, len(trace), 2)):
            linear, z_prev, _ = trace[ell]
            act, z_in, z_out = trace[ell + 1]
            delta = act.backward(z_in, grad, z_out)  # Delta^(l) = grad * sigma'(Z_in^(l))
            linear.dW = z_prev.T @ delta  # Z_out^(l-1)T Delta^(l)
            linear.db = delta.sum(axis=0)  # the rows of Delta^(l), summed
            grad = delta @ linear.W.T  # dL/dZ_out^(l-1); sigma' of layer l-1 comes next
        return loss


def train(x: np.ndarray, y: np.ndarray, net: NeuralNetwork, epochs: int,
          lr: float) -> tuple[NeuralNetwork, np.ndarray]:
    """lab4's `train`: `epochs` full-batch gradient-descent steps on all of (x, y).

    Returns the network (trained in place) and the loss before each update, shape (epochs,).
    """
    losses = np.empty(epochs)
    for epoch in range(epochs):
        losses[epoch] = net.backward(x, y)  # every update uses all the data
        net.net.step(lr)  # W <- W - lr dW in every layer, with the gradients of `backward`
    return net, losses

