"""A network as a list of layers; forward keeps a trace that backward walks back (dl2023 §1.5)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from model.layers import Activation, Linear, Sigmoid

if TYPE_CHECKING:
    from model.losses import Loss

Layer = Linear | Activation
Trace = list[tuple[Layer, np.ndarray, np.ndarray]]


class Net:
    """A stack of layers applied in order: x (N, d_0) -> y (N, d_L)."""

    def __init__(self, layers: list[Layer]) -> None:
        self.layers = list(layers)

    @classmethod
    def from_params(cls, params: Sequence[tuple[np.ndarray, np.ndarray, Callable]]) -> Net:
        """The network of (W (d_0, d_1), b (d_1,), activation function) layers, sharing W and b
        (`Linear.from_params`), so training it updates `params`; each activation becomes its
        layer (`Activation.of`)."""
        layers: list[Layer] = []
        for W, b, h in params:
            layers += [Linear.from_params(W, b), Activation.of(h)]
        return cls(layers)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Trace]:
        """Output y and the trace [(layer, its input, its output), ...] that backward needs."""
        trace = []
        for layer in self.layers:
            y = layer.forward(x)
            trace.append((layer, x, y))
            x = y
        return x, trace

    def backward(self, trace: Trace, dy: np.ndarray) -> None:
        """Store every layer's parameter gradients, given dy = dL/d(output) of shape (N, d_L).

        The gradient for the network's input is never needed, so the first layer skips it (for
        a first Linear layer that is a third of the matrix products of a training step).
        """
        for i in reversed(range(len(trace))):
            layer, x, y = trace[i]
            dy = layer.backward(x, dy, y, input_grad=i > 0)

    def objective(
        self, loss: Loss, y: np.ndarray, out: np.ndarray, trace: Trace
    ) -> tuple[float, np.ndarray, Trace]:
        """(mean loss of the batch, its gradient, the trace to pass it back through).

        Usually the gradient is `loss`'s w.r.t. the output `out`, and the trace is the whole
        trace. A final Sigmoid followed by a loss that takes logits (`BCE.from_logits`) is
        differentiated as one: the gradient is then (y_hat - y) / N at the sigmoid's input and
        the trace stops before the sigmoid, so a saturated, wrong output is still pushed back
        instead of multiplying a clipped 1 / (1 - y_hat) by a sigma' that rounded to 0.
        """
        if trace and isinstance(trace[-1][0], Sigmoid) and hasattr(loss, "from_logits"):
            _, z, y_hat = trace[-1]
            value, dz = loss.from_logits(y, z, y_hat)
            return value, dz, trace[:-1]
        value, dout = loss(y, out)
        return value, dout, trace

    def step(self, lr: float) -> None:
        """One gradient-descent update of every layer's parameters."""
        for layer in self.layers:
            layer.step(lr)

    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) for every parameter, named W1, b1, W2, ... by Linear layer, from 1."""
        return [(name, getattr(layer, attr)) for name, layer, attr, _ in self._named()]

    def gradients(self) -> list[tuple[str, np.ndarray]]:
        """(name, gradient) in the order of `parameters()`, as stored by the last backward."""
        return [(name, getattr(layer, grad)) for name, layer, _, grad in self._named()]

    def _named(self) -> list[tuple[str, Layer, str, str]]:
        """(name, layer, parameter attribute, gradient attribute) of every parameter.

        Kept between calls for as long as the list of layers is the same (mlp-numpy asks for
        the gradients at every training step); `layers` is a public list, so a changed one is
        noticed by comparing the layers themselves.
        """
        layers = tuple(self.layers)
        cached = self.__dict__.get("_names")
        if cached is None or cached[0] != layers:
            with_params = [layer for layer in layers if layer.params]
            cached = self._names = (layers, [
                (f"{attr}{k}", layer, attr, "d" + attr)
                for k, layer in enumerate(with_params, start=1)
                for attr in layer.params
            ])
        return cached[1]

    @property
    def dtype(self) -> np.dtype:
        """Floating type of the parameters (float64 for a network without any)."""
        params = self.parameters()
        return params[0][1].dtype if params else np.dtype(np.float64)

    def __str__(self) -> str:
        return "\n".join(str(layer) for layer in self.layers)

    def __repr__(self) -> str:
        return f"Net({self.layers!r})"
