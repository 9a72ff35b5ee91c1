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

from model.functional import identity, relu, sigmoid
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
        _descend(self.W, self.dW, lr)
        _descend(self.b, self.db, lr)

    def __str__(self) -> str:
        n_in, n_out = self.W.shape
        return f"Linear {n_in}x{n_out}"

    def __repr__(self) -> str:
        n_in, n_out = self.W.shape
        return f"Linear({n_in}, {n_out})"


_AXPY_BYTES = 1 << 16
"""Parameters from this size up are updated by BLAS axpy (see `_descend`)."""

_AXPY: dict[np.dtype, Callable[..., np.ndarray]] = {}
"""BLAS ?axpy by parameter type, filled by `_load_axpy` at the first large update."""


def _load_axpy() -> None:
    """Fill `_AXPY` from scipy.linalg.blas, whose BLAS then uses no more threads than the fewest
    any BLAS library of the process is set to.

    Loaded at the first large update because scipy.linalg costs a third of a second to import,
    which a process that trains no large layer should not pay. scipy's wheel brings its own
    OpenBLAS, with its default thread count: loaded inside a `threadpool_limits(1)` (the build's
    experiments, the benchmark's --threads 1), it would run an axpy of 235k floats on two
    threads that fight for the cores, twenty times slower than one thread on a busy machine.
    """
    from scipy.linalg import blas
    from threadpoolctl import ThreadpoolController

    libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    fewest = min((lib.num_threads for lib in libraries), default=1)
    for lib in libraries:
        if lib.num_threads > fewest:
            lib.set_num_threads(fewest)
    _AXPY.update({np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy})


def _descend(param: np.ndarray, grad: np.ndarray, lr: float) -> None:
    """param -= lr * grad in place.

    A parameter of 64 kB or more (mlp-numpy's and hw2's first W), contiguous and of the
    gradient's shape and type, is updated by one BLAS axpy over the raveled arrays: one pass
    instead of a product into a W-sized array and a subtraction, half the time of the plain
    update. The kernel may fuse the multiply and the add, so such a W can differ from
    `W - lr * dW` in the last bit (one rounding instead of two). Everything else takes the
    plain expression, whose rounding the small networks keep, so that `fit` and
    `model.batched.fit_many` (which updates stacks of small nets with that expression) agree
    bit for bit; below 64 kB axpy would save under a microsecond per update anyway.
    """
    if (
        param.nbytes >= _AXPY_BYTES
        and grad.shape == param.shape
        and grad.dtype == param.dtype
        and param.flags.c_contiguous
        and grad.flags.c_contiguous
    ):
        if not _AXPY:
            _load_axpy()
        axpy = _AXPY.get(param.dtype)
        if axpy is not None:
            flat = param.reshape(-1)
            # Contiguous and of the routine's type, the array is handed to BLAS as it is and
            # updated there. f2py would update a copy of anything else (say a read-only or
            # misaligned array), which `is` notices: param is then untouched, and the plain
            # update below does the step.
            if axpy(grad.reshape(-1), flat, flat.size, -lr) is flat:
                return
    param -= lr * grad


class Activation:
    """An elementwise function y = f(x) without parameters; x, y, dy, dx all share one shape."""

    params: tuple[str, ...] = ()

    @staticmethod
    def f(x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = f(x), elementwise."""
        return self.f(x)

    def backward(
        self, x: np.ndarray, dy: np.ndarray, y: np.ndarray | None = None, input_grad: bool = True
    ) -> np.ndarray | None:
        """dx = dy * f'(x), elementwise."""
        if not input_grad:
            return None
        return self._dx(x, dy, self.f(x) if y is None else y)

    def _dx(self, x: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
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

    def _dx(self, x: np.ndarray, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
        return dy
