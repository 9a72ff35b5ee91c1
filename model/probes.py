"""Probes of a network's hidden units: what each activation layer outputs on a batch, and how
many of those outputs are saturated (tanh, sigmoid) or dead (ReLU)."""

from __future__ import annotations

import numpy as np

from model.layers import Activation
from model.net import Net


def hidden_outputs(net: Net, x: np.ndarray) -> list[np.ndarray]:
    """The output (N, units) of every activation layer but the last, in order, for x (N, d)."""
    _, trace = net.forward(x)
    outputs = [out for layer, _, out in trace if isinstance(layer, Activation)]
    # The last activation is the network's output, not a hidden layer.
    return outputs[:-1] if trace and isinstance(trace[-1][0], Activation) else outputs


def saturated_fraction(net: Net, x: np.ndarray, level: float, kind: type = Activation) -> float:
    """Share of the hidden outputs of layers of type `kind` whose magnitude exceeds `level`."""
    _, trace = net.forward(x)
    hidden = [out.ravel() for layer, _, out in trace[:-1] if isinstance(layer, kind)]
    return float(np.mean(np.abs(np.concatenate(hidden)) > level)) if hidden else 0.0


def dead_units(net: Net, x: np.ndarray) -> int:
    """Hidden units (across all hidden layers) that output 0 for every sample of x."""
    return int(sum(np.sum(out.max(axis=0) <= 0) for out in hidden_outputs(net, x)))
