"""The NumPy core every report runs on: layers, a network, losses, one training loop.

Read it in this order: functional (the maths), init, layers, net, losses, train, gradcheck.
"""

from model.layers import Identity, Linear, ReLU, Sigmoid, Tanh
from model.losses import BCE, MSE, SoftmaxCE
from model.net import Net
from model.train import Diverged, History, evaluate, fit

__all__ = [
    "BCE",
    "MSE",
    "Diverged",
    "History",
    "Identity",
    "Linear",
    "Net",
    "ReLU",
    "Sigmoid",
    "SoftmaxCE",
    "Tanh",
    "evaluate",
    "fit",
]
