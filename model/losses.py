"""Loss functions with their gradients, and the loss objects the training loop calls.

The functions follow the assignments' definitions: `bce_loss` is elementwise (dl2023), hw2's
`logistic_loss` is the same negative log-likelihood under hw2's name, `softmax_cross_entropy`
works from logits (mlp-numpy), `mse_loss` is lab4's mean over samples. A loss object (`BCE`,
`SoftmaxCE`, `MSE`) bundles, for a batch: the mean loss and its gradient with respect to the
network output, the loss alone, and the accuracy. `BCE.from_logits` is the same loss taken from
the logit z of a final sigmoid, with the gradient y_hat - y that the training loop uses (see
`bce_with_logits`). Every loss takes the targets first: `loss(y, y_hat)`,
`softmax_cross_entropy(labels, logits)`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from model.functional import flush_subnormals, sigmoid


def _clip_eps(y_hat: np.ndarray) -> float:
    """Machine epsilon of the type the loss is computed in (float64 for integer input)."""
    return float(np.finfo(np.result_type(y_hat, np.float32)).eps)


def _clip(y_hat: np.ndarray) -> np.ndarray:
    r"""\hat y clipped to [eps, 1 - eps], eps = machine epsilon of its floating type.

    Why this eps: 1 - eps is exactly representable and 1 - (1 - eps) = eps exactly, so the clip
    puts the same floor eps under both \hat y and 1 - \hat y and treats both labels alike:
    a confidently wrong prediction costs -log(eps) (36.04 in float64, 15.94 in float32) whichever
    label it misses, and a perfect prediction costs about eps, not -log(0) = inf (or the nan of
    0 * log(0)).
    """
    y_hat = np.asarray(y_hat)
    eps = _clip_eps(y_hat)
    return np.clip(y_hat, eps, 1 - eps)


def bce_loss(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    r"""Elementwise binary cross-entropy -(y \log \hat y + (1 - y) \log(1 - \hat y)).

    y and y_hat broadcast together (give them the same shape, e.g. (N, 1)); \hat y is clipped
    to [eps, 1 - eps] first (see `_clip`), so the loss is finite for \hat y exactly 0 or 1.
    """
    p = _clip(y_hat)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def bce_loss_grad(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    r"""Elementwise d bce / d \hat y = -(y / \hat y - (1 - y) / (1 - \hat y)), shape of y_hat.

    Evaluated at the clipped \hat y: the clip acts only on the value, not as a zero slope, so a
    saturated wrong prediction still gets a (large, finite) gradient pushing it back.
    """
    p = _clip(y_hat)
    return -(y / p - (1 - y) / (1 - p))


def bce_with_logits(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    r"""Elementwise binary cross-entropy of \hat y = \sigma(z), computed from the logit z.

    -(y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))) = \max(z, 0) - z y + \log(1 + e^{-|z|}):
    no exponent is positive and no clip is needed, so the loss is exact for every z, including
    the saturated ones where \sigma(z) rounds to 0 or 1 (it grows like |z| on the wrong side).
    """
    with np.errstate(under="ignore"):  # e^{-|z|} underflowing to 0 is the right value
        return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def bce_with_logits_grad(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    r"""d bce / d z = \sigma(z) - y = \hat y - y, elementwise.

    The chain rule through the sigmoid, (d bce / d \hat y) \sigma'(z), simplified before any
    rounding: taken as two factors, the clipped 1 / (1 - \hat y) meets a \sigma' = \hat y
    (1 - \hat y) that has rounded to 0 (\hat y = 1 - 1e-15 is 1 in float32), and a saturated,
    wrong prediction gets no gradient at all. Here it gets \pm 1.
    """
    return sigmoid(z) - y


def logistic_loss(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    r"""hw2's negative log-likelihood -\log(g^y (1 - g)^{1 - y}), elementwise.

    For y in {0, 1} it is the binary cross-entropy, so this is `bce_loss` (same clip).
    """
    return bce_loss(y, g)


def logistic_loss_grad(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """d logistic_loss / d g = (g - y) / (g (1 - g)), elementwise: `bce_loss_grad`."""
    return bce_loss_grad(y, g)


def softmax_cross_entropy(labels: np.ndarray, logits: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Mean over the batch of -\log softmax(o)_c, and its gradient with respect to the logits.

    labels c (N,) integers in [0, K), logits o (N, K): targets first, as in every loss here.
    The log-probabilities come from the log-sum-exp form o_c - m - \log \sum_j e^{o_j - m}
    with m = \max_j o_j, so neither overflow nor log(0) can occur. Returns (loss, dlogits) with
    dlogits = (softmax(o) - onehot(c)) / N, of shape (N, K) and the logits' dtype.
    """
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):  # a class e^{-800} times less likely is correctly 0
        e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    # The batch mean as a sum over n: the same float as np.mean gives, and this whole
    # function a fifth faster on a batch of 100 (np.mean's bookkeeping is in Python).
    loss = float((np.log(total[:, 0]) - shifted[rows, labels]).sum() / n)
    e /= total
    e[rows, labels] -= 1
    e /= n
    return loss, flush_subnormals(e)  # as the activation layers do


def mse_loss(y: np.ndarray, y_hat: np.ndarray) -> float:
    r"""lab4's mean squared error (1/N) \sum_n \lVert \hat y_n - y_n \rVert^2, no factor 1/2.

    y and y_hat of shape (N, K) (or (N,)). With lab4's single output this is the mean of the
    squared errors, which is what its `MSELoss.forward` computes.
    """
    diff = np.asarray(y_hat) - y
    # The method, not np.sum: the same sum, without np.sum's Python-level dispatch (1 us).
    return float((diff * diff).sum() / len(diff))


def mse_loss_grad(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    r"""d mse_loss / d \hat y = 2 (\hat y - y) / N, the shape of y_hat (lab4's gradient)."""
    return 2 * (y_hat - y) / len(y_hat)


def accuracy(y: np.ndarray, out: np.ndarray) -> float:
    """Fraction of samples classified right.

    One output per sample (out of shape (N,) or (N, 1)): the class is out > 0.5, compared with
    y > 0.5. Several outputs (N, K): the class is the argmax, compared with y if y holds
    integer labels (N,), or with y's argmax if y is one-hot (N, K).
    """
    out = np.asarray(out)
    y = np.asarray(y)
    if out.ndim == 2 and out.shape[1] > 1:
        target = y if y.ndim == 1 else y.argmax(axis=1)
        return _share(out.argmax(axis=1) == target)
    return _share((y.reshape(out.shape) > 0.5) == (out > 0.5))


def _share(hits: np.ndarray) -> float:
    """np.mean of a boolean array, exactly (a count over a size), without np.mean's overhead."""
    return float(np.count_nonzero(hits)) / hits.size if hits.size else float("nan")


def _mean(values: np.ndarray) -> float:
    """np.mean of an array as a Python float: the same float (its sum over its size), without
    np.mean's Python-level bookkeeping, which costs a step of a 5-sample batch a tenth of its time.
    """
    return float(values.sum() / values.size)


def _targets(y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """y in the network output's shape and dtype, so nothing broadcasts or up-casts by accident."""
    return np.asarray(y, dtype=out.dtype).reshape(out.shape)


class Loss(Protocol):
    """What the training loop and the gradient checker need from a loss."""

    def __call__(self, y: np.ndarray, out: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss over the batch, its gradient w.r.t. the network output `out`)."""
        ...

    def value(self, y: np.ndarray, out: np.ndarray) -> float:
        """Mean loss over the batch."""
        ...

    def accuracy(self, y: np.ndarray, out: np.ndarray) -> float:
        """Fraction of the batch classified right."""
        ...


class BCE:
    """Binary cross-entropy of sigmoid outputs y_hat (N, 1) against labels y in {0, 1}."""

    def __call__(self, y: np.ndarray, y_hat: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, its gradient w.r.t. y_hat (N, 1))."""
        y = _targets(y, y_hat)
        return _mean(bce_loss(y, y_hat)), bce_loss_grad(y, y_hat) / len(y_hat)

    def value(self, y: np.ndarray, y_hat: np.ndarray) -> float:
        """Mean loss over the batch."""
        return _mean(bce_loss(_targets(y, y_hat), y_hat))

    def from_logits(
        self, y: np.ndarray, z: np.ndarray, y_hat: np.ndarray | None = None
    ) -> tuple[float, np.ndarray]:
        r"""(mean loss, its gradient (\hat y - y) / N w.r.t. the logits z (N, 1)) of \sigma(z).

        What `Net.objective` uses when the network ends in a Sigmoid: the same loss as
        `__call__` wherever \hat y is not saturated, and a gradient that survives saturation.
        y_hat: \sigma(z) as `model.functional.sigmoid` computed it (the Sigmoid layer's output),
        so that the gradient does not evaluate the sigmoid a second time (same values).
        """
        y = _targets(y, z)
        grad = bce_with_logits_grad(y, z) if y_hat is None else y_hat - y
        return _mean(bce_with_logits(y, z)), grad / len(z)

    accuracy = staticmethod(accuracy)

    def __repr__(self) -> str:
        return "BCE()"


class SoftmaxCE:
    """Softmax cross-entropy from the logits (N, K) of a network ending in a Linear layer."""

    def __call__(self, labels: np.ndarray, logits: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, its gradient w.r.t. the logits (N, K)); labels (N,) integers."""
        return softmax_cross_entropy(labels, logits)

    def value(self, labels: np.ndarray, logits: np.ndarray) -> float:
        """Mean loss over the batch."""
        return softmax_cross_entropy(labels, logits)[0]

    accuracy = staticmethod(accuracy)

    def __repr__(self) -> str:
        return "SoftmaxCE()"


class MSE:
    """lab4's mean squared error between outputs y_hat (N, K) and targets y of the same size."""

    def __call__(self, y: np.ndarray, y_hat: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, its gradient w.r.t. y_hat)."""
        y = _targets(y, y_hat)
        return mse_loss(y, y_hat), mse_loss_grad(y, y_hat)

    def value(self, y: np.ndarray, y_hat: np.ndarray) -> float:
        """Mean loss over the batch."""
        return mse_loss(_targets(y, y_hat), y_hat)

    accuracy = staticmethod(accuracy)

    def __repr__(self) -> str:
        return "MSE()"
