"""Derivatives of the losses: BCE (also through a sigmoid), hw2's logistic loss, lab4's MSE."""

from __future__ import annotations

import sympy as sp

from derivations.activations import sigma
from derivations.core import Derivation, Step
from derivations.notation import Abbreviations, Partial, add, keep, mul

y = sp.Symbol("y", real=True)
y_hat = sp.Symbol(r"\hat{y}", real=True)
h = sp.Symbol("h", real=True)
g = sp.Symbol("g", real=True)
loss = sp.Symbol(r"\mathcal{L}")
_RANGES = {"y": (0.0, 1.0), r"\hat{y}": (0.05, 0.95), "g": (0.05, 0.95)}


def bce(y: sp.Expr, y_hat: sp.Expr) -> sp.Expr:
    """L = -(y log y_hat + (1 - y) log(1 - y_hat))."""
    return -(y * sp.log(y_hat) + (1 - y) * sp.log(1 - y_hat))


def _logistic(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


def _bce_grad_steps(p: sp.Symbol) -> list[Step]:
    """d/dp of -(y log p + (1 - y) log(1 - p)), down to (p - y) / (p (1 - p))."""
    one_minus = add(1, mul(-1, p))
    return [
        Step(
            mul(-1, add(keep(y / p), mul(-1, keep((1 - y) / one_minus)))),
            r"$(\log u)' = u'/u$",
        ),
        Step(add(mul(-1, keep(y / p)), keep((1 - y) / one_minus)), "expand the sign"),
        Step(
            mul(add(p, mul(-1, y)), sp.Pow(mul(p, one_minus), -1, evaluate=False)),
            "common denominator",
        ),
    ]


def bce_grad() -> Derivation:
    """dL/dy_hat = (y_hat - y) / (y_hat (1 - y_hat)) (dl2023 §1.2 (j))."""
    return Derivation(
        name="bce",
        title="Gradient of the binary cross-entropy with respect to the prediction",
        lhs=Partial(loss, y_hat),
        steps=[Step(Partial(bce(y, y_hat), y_hat), "definition of BCE"), *_bce_grad_steps(y_hat)],
        definition=bce(y, y_hat),
        wrt=y_hat,
        conventions=[r"$0 < \hat{y} < 1$"],
        context=Abbreviations({loss: bce(y, y_hat)}),
        ranges=_RANGES,
    )


def bce_logit() -> Derivation:
    """dL/dh = y_hat - y for y_hat = sigma(h) (dl2023 §1.3, hw2's output layer)."""
    one_minus = add(1, mul(-1, y_hat))
    return Derivation(
        name="bce_logit",
        title="Gradient of the BCE after a sigmoid with respect to the logit",
        lhs=Partial(loss, h),
        steps=[
            Step(
                mul(Partial(loss, y_hat), Partial(y_hat, h)), r"chain rule, $\hat{y} = \sigma(h)$"
            ),
            Step(
                mul(keep((y_hat - y) / (y_hat * one_minus)), y_hat, one_minus),
                r"BCE gradient and $\sigma' = \sigma(1 - \sigma)$",
            ),
            Step(add(y_hat, mul(-1, y)), "cancel"),
        ],
        definition=bce(y, _logistic(h)),
        wrt=h,
        context=Abbreviations({sigma: _logistic, y_hat: sigma(h), loss: bce(y, y_hat)}),
        ranges=_RANGES,
    )


def logistic_loss() -> Derivation:
    """hw2's l(g, y) = -log(g^y (1 - g)^(1 - y)): dl/dg = (g - y) / (g (1 - g)) (hw2 (b)(iii))."""
    nll = -sp.log(g**y * (1 - g) ** (1 - y))
    return Derivation(
        name="logistic_loss",
        title="Derivative of the negative log-likelihood with respect to the network output",
        lhs=Partial(sp.Symbol("l"), g),
        steps=[
            Step(Partial(mul(-1, sp.log(mul(g**y, (1 - g) ** (1 - y)))), g), "definition"),
            Step(
                Partial(mul(-1, add(mul(y, sp.log(g)), mul(add(1, mul(-1, y)), sp.log(1 - g)))), g),
                "log of a product; $\\log g^{y} = y \\log g$",
            ),
            *_bce_grad_steps(g),
        ],
        definition=nll,
        wrt=g,
        conventions=["$0 < g < 1$, so both logarithms exist"],
        ranges=_RANGES,
    )


def mse_grad() -> Derivation:
    """lab4's L = mean_n (y_n - y_hat_n)^2: dL/dy_hat_m = 2 (y_hat_m - y_m) / N."""
    n, m = sp.symbols("n m", integer=True, positive=True)
    big_n = sp.Symbol("N", integer=True, positive=True)
    yv, yh = sp.IndexedBase("y"), sp.IndexedBase(r"\hat{y}")
    mse = sp.Sum((yv[n] - yh[n]) ** 2, (n, 1, big_n)) / big_n
    residual = add(yv[n], mul(-1, yh[n]))
    size = 3
    return Derivation(
        name="mse",
        title="Gradient of the mean squared error with respect to the predictions",
        lhs=Partial(loss, yh[m]),
        steps=[
            Step(
                mul(keep(1 / big_n), sp.Sum(Partial(residual**2, yh[m]), (n, 1, big_n))),
                "definition of the mean; sum rule",
            ),
            Step(
                mul(
                    keep(1 / big_n),
                    sp.Sum(mul(2, residual, mul(-1, sp.KroneckerDelta(n, m))), (n, 1, big_n)),
                ),
                r"chain rule; $\partial \hat{y}_n / \partial \hat{y}_m = \delta_{mn}$",
            ),
            Step(mul(keep(2 / big_n), add(yh[m], mul(-1, yv[m]))), "only $n = m$ remains"),
        ],
        definition=mse,
        wrt=yh[m],
        conventions=[
            "one output unit per sample; the mean runs over the N samples, without a factor 1/2",
        ],
        context=Abbreviations(
            {loss: mse},
            instances=[(f"N={size}, m={k}", {big_n: size, m: k}) for k in range(1, size + 1)],
        ),
        ranges=_RANGES,
    )
