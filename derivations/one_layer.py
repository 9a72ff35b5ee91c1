"""The one-layer model h = x w^T + b, y_hat = sigma(h) with BCE: grad_x L (dl2023 §1.3)."""

from __future__ import annotations

import sympy as sp

from derivations.activations import _logistic
from derivations.core import Derivation, Step
from derivations.losses import bce
from derivations.notation import Elem, Entries, Grad, Model, Partial, add, keep, mul, quantity

FEATURES = 3
i = sp.Symbol("i", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)

x, w = quantity("x", "x")(), quantity("w", "w")()
h = quantity("h", "h", scalar=True)()
y_hat = quantity("y_hat", r"\hat{y}", scalar=True)()
y = quantity("y", "y", scalar=True)()
loss = quantity("L", r"\mathcal{L}", scalar=True)()


def model() -> Model:
    """x, w of FEATURES entries; h = x w^T + b; y_hat = sigma(h); L = BCE(y, y_hat)."""
    m = Model([("", {D: FEATURES})])
    xs = m.leaves("x", None, 1, FEATURES, level=0)
    ws = m.leaves("w", None, 1, FEATURES, level=0)
    bias = m.leaf("b", None, level=0)
    label = m.leaf("y", None, level=0)
    hs = m.define("h", None, (xs * ws.T)[0, 0] + bias, level=1)
    yh = m.define("y_hat", None, _logistic(hs), level=2)
    m.define("L", None, bce(label, yh), level=3)
    return m


def grad_x() -> Derivation:
    """grad_x L = (y_hat - y) w."""
    one_minus = add(1, mul(-1, y_hat))
    bce_grad = mul(add(y_hat, mul(-1, y)), sp.Pow(mul(y_hat, one_minus), -1, evaluate=False))
    return Derivation(
        name="one_layer_grad_x",
        title="One-layer model: BCE gradient with respect to the input",
        lhs=Grad(loss, x),
        steps=[
            Step(
                Entries(
                    mul(Partial(loss, y_hat), Partial(y_hat, h), Partial(h, Elem(x, i))), (i, 1, D)
                ),
                "chain rule",
            ),
            Step(
                Entries(mul(keep(bce_grad), y_hat, one_minus, Elem(w, i)), (i, 1, D)),
                r"BCE gradient, $\sigma' = \sigma (1 - \sigma)$, $\partial h / \partial x_i = w_i$",
            ),
            Step(Entries(mul(add(y_hat, mul(-1, y)), Elem(w, i)), (i, 1, D)), "cancel"),
            Step(mul(add(y_hat, mul(-1, y)), w), "as a row vector"),
        ],
        definition=loss,
        wrt=x,
        conventions=["x and w are row vectors of D entries; y is the label"],
        context=model(),
        ranges={"y": (0.0, 1.0)},
    )
