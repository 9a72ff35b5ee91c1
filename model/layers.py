"""Layers with forward, backward and a gradient-descent step: a linear layer and four activations.

Row-vector convention throughout: a batch is a matrix x of shape (N, d) holding one sample per
row, and a linear layer computes y = x W + b. Every layer has the same interface:

- ``forward(x) -> y``;
- ``backward(x, dy, y=None, input_grad=True) -> dx``: given the input x of the forward pass and
  dy = dL/dy, store the gradients of the layer's parameters and return dx = dL/dx. Passing the
  forward output y saves recomputing it (sigmoid, tanh); ``input_grad=False`` skips dx when
  nobody needs it (the network's input) and returns None;
- ``step(lr)``: one gradient-descent update of the parameters (a no-op for activations);
- ``params``: the names of the parameter attributes; each one's gradient is ``d`` + name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import DTypeLike

from model.functional import flush_subnormals, identity, relu, sigmoid
from model.init import Initialiser, glorot_uniform

DEFAULT_SEED = 12345
"""Seed of the generator a Linear layer draws from when it is given none (dl2023's seed)."""


class Linear:
    """Fully connected layer y = x W + b.

    Shapes: x (N, n_in), W (n_in, n_out), b (n_out,), y and dy (N, n_out), dx (N, n_in).
    """

    params = ("W", "b")

    def __init__(
        self,
        n_in: int,
        n_out: int,
        rng: np.random.Generator | None = None,
        init: Initialiser = glorot_uniform,
        dtype: DTypeLike = np.float64,
    ) -> None:
        # Without a generator every call draws from a fresh one with the same seed, so a script
        # gives the same weights however many other layers it built before this one.
        rng = np.random.default_rng(DEFAULT_SEED) if rng is None else rng
        W, b = init(n_in, n_out, rng, dtype)
        self._set(W, b)

    @classmethod
    def from_params(cls, W: np.ndarray, b: np.ndarray) -> Linear:
        """A layer that uses the given arrays themselves (no copy): W (n_in, n_out), b (n_out,).

        Its `step` updates them in place, so an assignment's own parameter list stays in step.
        """
        layer = cls.__new__(cls)
        layer._set(W, b)
        return layer

    def _set(self, W: np.ndarray, b: np.ndarray) -> None:
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"W must be (n_in, n_out) and b (n_out,); got {W.shape}, {b.shape}")
        self.W, self.b = W, b
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)
        # Room for lr * dW (and lr * db) between steps, so a step allocates nothing.
        self._scratch: dict[int, np.ndarray] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = x W + b; x (N, n_in) -> y (N, n_out)."""
        y = x @ self.W
        y += self.b  # in place: one pass over y instead of a second (N, n_out) array
        return y

    def backward(
        self, x: np.ndarray, dy: np.ndarray, y: np.ndarray | None = None, input_grad: bool = True
    ) -> np.ndarray | None:
        r"""dW = x^T dy (n_in, n_out), db = \sum_n dy_n (n_out,); returns dx = dy W^T (N, n_in).

        The sums over the batch rows are what make dW and db the gradients of a loss summed
        (or, if dy carries the 1/N, averaged) over the samples. `y` is not needed here.
        """
        self.dW = x.T @ dy
        self.db = dy.sum(axis=0)
        return dy @ self.W.T if input_grad else None

    def step(self, lr: float) -> None:
        """W <- W - lr dW, b <- b - lr db, in place (arrays shared via `from_params` follow)."""
        # setdefault: a layer unpickled from before the scratch arrays existed has none yet.
        scratch = self.__dict__.setdefault("_scratch", {})
        _descend(self.W, self.dW, lr, scratch)
        _descend(self.b, self.db, lr, scratch)

    def __str__(self) -> str:
        n_in, n_out = self.W.shape
        return f"Linear {n_in}x{n_out}"

    def __repr__(self) -> str:
        n_in, n_out = self.W.shape
        return f"Linear({n_in}, {n_out})"


_SCRATCH_BYTES = 1 << 16
"""Parameters from this size up are updated through a kept scratch array (see `_descend`)."""


def _descend(
    param: np.ndarray, grad: np.ndarray, lr: float, scratch: dict[int, np.ndarray]
) -> None:
    """param -= lr * grad in place, the product written into a kept array of param's shape.

    Same rounding as `param -= lr * grad` (the product is formed in the same type, then
    subtracted); without the fresh W-sized temporary, which costs as much as the arithmetic.
    A small parameter (a bias, a 64x32 W), or a gradient of another shape or type (set by
    hand), takes the plain expression: below about 64 kB the temporary costs less than the
    checks and the look-up that reuse needs.
    """
    if param.nbytes < _SCRATCH_BYTES or grad.shape != param.shape or grad.dtype != param.dtype:
        param -= lr * grad
        return
    buf = scratch.get(param.ndim)
    if buf is None or buf.shape != param.shape or buf.dtype != param.dtype:
        buf = scratch[param.ndim] = np.empty_like(param)
    np.multiply(grad, lr, out=buf)
    param -= buf


class Activation:
    """An elementwise function y = f(x) without parameters; x, y, dy, dx all share one shape."""

    params: tuple[str, ...] = ()

    @staticmethod
    def f(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def of(cls, fn: Callable[[np.ndarray], np.ndarray]) -> Activation:
        """The activation layer that applies `fn`: Sigmoid() for `sigmoid`, ReLU() for `relu`,
        Tanh() for `np.tanh`, Identity() for `identity` (an activation given as a function)."""
        for layer in cls.__subclasses__():
            if layer.f is fn:
                return layer()
        raise ValueError(f"no layer applies {fn!r}: use sigmoid, relu, np.tanh or identity")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = f(x), elementwise."""
        return self.f(x)

    def backward(
        self, x: np.ndarray, dy: np.ndarray, y: np.ndarray | None = None, input_grad: bool = True
    ) -> np.ndarray | None:
        """dx = dy * f'(x), elementwise; entries below the smallest normal number set to 0."""
        if not input_grad:
            return None
        return flush_subnormals(self._dx(x, dy, self.f(x) if y is None else y))

    def _dx(self, x: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
        """dy * f'(x) as a new array (`backward` flushes it in place), given y = f(x)."""
        raise NotImplementedError

    def step(self, lr: float) -> None:
        """Nothing to update."""

    def __str__(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    r"""y = \sigma(x) = 1 / (1 + e^{-x}); dx = dy \sigma(x) (1 - \sigma(x)) = dy y (1 - y)."""

    f = staticmethod(sigmoid)

    def _dx(self, x: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
        return dy * y * (1 - y)


class Tanh(Activation):
    """y = tanh(x); dx = dy (1 - y^2)."""

    f = staticmethod(np.tanh)

    def _dx(self, x: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
        return dy * (1 - y * y)


class ReLU(Activation):
    """y = max(0, x); dx = dy where x > 0, else 0 (relu'(0) = 0)."""

    f = staticmethod(relu)

    def _dx(self, x: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
        return dy * (x > 0)


class Identity(Activation):
    """y = x; dx = dy. Stands where a layer has no activation (dl2023 §1.6 (f))."""

    f = staticmethod(identity)

    def backward(
        self, x: np.ndarray, dy: np.ndarray, y: np.ndarray | None = None, input_grad: bool = True
    ) -> np.ndarray | None:
        """dy itself (None if not asked for): nothing is computed, so nothing is flushed."""
        return dy if input_grad else None

    def _dx(self, x: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
        return dy
