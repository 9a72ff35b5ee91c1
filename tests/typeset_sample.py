"""Code for the typesetting tests to list: docstrings with backticks and LaTeX, an elided block."""

from __future__ import annotations


def progress(step: int) -> None:
    """Stands in for a progress bar a listing should not show."""


def scaled_step(w: float, grad: float, lr: float, steps: int = 3) -> float:
    r"""Gradient descent on `w`: $w \leftarrow w - \eta \nabla L$, ``steps`` times.

    Returns the last $w$; the learning rate is \eta = `lr`.
    """
    for step in range(steps):
        w = w - lr * grad
        # listing: elide
        progress(step)
        # listing: end
    return w


class Layer:
    """A layer with three methods."""

    def forward(self, x: float) -> float:
        """The output."""
        return 2 * x

    def backward(self, dy: float) -> float:
        """The gradient."""
        return 2 * dy

    def from_params(self) -> Layer:
        """Machinery a listing of the answer leaves out."""
        return self
