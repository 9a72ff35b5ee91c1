"""Elementwise activations, their derivatives, and the softmax: the maths every layer calls.

Every function works on arrays of any shape and keeps the input's floating dtype, so a float32
network stays float32 end to end.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def flush_subnormals(a: np.ndarray) -> np.ndarray:
    """Set every entry of `a` smaller in magnitude than its type's smallest normal number to 0,
    in place; returns `a` (anything but a floating array unchanged). NaN and inf are kept.

    A float32 sigmoid of a pre-activation below -87 is subnormal (under 1.2e-38), and so are
    gradients that pass through it. On many x86 processors arithmetic on a subnormal takes a
    slow path: a matrix product with some in its operands ran ten times slower, a saturated
    Q7 epoch five times (bench/subnormals.py). Next to the other terms of any sum they enter
    they are below rounding, so the activations' backward passes and the softmax loss flush what
    they produce; `sigmoid` itself never returns one.
    """
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        np.multiply(a, np.abs(a) >= np.finfo(a.dtype).tiny, out=a)
    return a


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid \sigma(x) = 1 / (1 + e^{-x}), without overflow for any x.

    Computed as e^{\min(x, 0)} / (1 + e^{-|x|}): no exponent is ever positive, so nothing
    overflows, and the left tail keeps its relative accuracy (sigmoid(-40) is 4.2e-18, where
    1 - sigmoid(40) would give 0) down to four times the smallest normal number; below that
    (x < -85.95 in float32, -707.01 in float64) the result is 0. The exponent is cut there, as
    NumPy's vectorised exp leaves its fast path for results near the subnormal range.
    """
    a = np.abs(x)
    cut = SIGMOID_CUT[np.result_type(a, np.float16).type]
    e = np.exp(-np.minimum(a, cut)) * (a < cut)  # e^{-|x|}, and 0 from |x| = cut on
    # e^{min(x, 0)} is e^{-|x|} where x < 0 and 1 where x >= 0; as e <= 1 that is a maximum
    # with the indicator [x >= 0], which is cheaper than np.where.
    num = np.maximum(e, x >= 0)
    if isinstance(num, np.ndarray):
        # The same quotient formed in place: two fewer x-sized arrays per call.
        e += 1
        num /= e
        return num
    return num / (1 + e)


SIGMOID_CUT = {t: -np.log(4 * np.finfo(t).tiny) for t in (np.float16, np.float32, np.float64,
                                                        np.longdouble)}
"""Per floating type, the |x| from which `sigmoid` takes e^{-|x|} as 0: e^{-|x|} = 4 tiny."""


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    r"""\sigma'(x) = \sigma(x) (1 - \sigma(x))."""
    s = sigmoid(x)
    return s * (1 - s)


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x)."""
    return np.maximum(x, 0)


def relu_grad(x: np.ndarray) -> np.ndarray:
    """1 where x > 0, else 0: the derivative, with the convention relu'(0) = 0."""
    x = np.asarray(x)
    return (x > 0).astype(np.result_type(x, np.float32))


def tanh_grad(x: np.ndarray) -> np.ndarray:
    r"""tanh'(x) = 1 - tanh(x)^2."""
    t = np.tanh(x)
    return 1 - t * t


def identity(x: np.ndarray) -> np.ndarray:
    """x itself: the activation of a layer that has none (dl2024 §1.6 (h))."""
    return x


_DERIVATIVES = {sigmoid: sigmoid_grad, relu: relu_grad, np.tanh: tanh_grad,
                identity: np.ones_like}


def derivative(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """The derivative of the activation function `fn`, elementwise: `sigmoid_grad` for
    `sigmoid`, `relu_grad` for `relu`, `tanh_grad` for `np.tanh`, ones for `identity`; for a
    network written as plain (W, b, activation) layers, whose backward pass needs h'(a)."""
    if fn not in _DERIVATIVES:
        raise ValueError(f"no derivative of {fn!r}: use sigmoid, relu, np.tanh or identity")
    return _DERIVATIVES[fn]


def softmax(o: np.ndarray) -> np.ndarray:
    r"""Softmax over the last axis, y_i = e^{o_i} / \sum_j e^{o_j}.

    Subtracting max_j o_j first changes nothing mathematically and keeps every exponent <= 0,
    so no logit, however large, overflows.
    """
    o = np.asarray(o)
    with np.errstate(under="ignore"):  # a class e^{-800} times less likely is correctly 0
        e = np.exp(o - o.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def softmax_jacobian(y: np.ndarray) -> np.ndarray:
    r"""dy_i/do_j = y_i (\delta_{ij} - y_j) as a (K, K) matrix (row i, column j), for y = softmax(o)
    of one sample (K,)."""
    return np.diag(y) - np.outer(y, y)
