"""Derivatives of the activation functions: sigmoid (and its stable form), tanh, ReLU."""

from __future__ import annotations

import sympy as sp

from derivations.core import Derivation, Equation, Step
from derivations.notation import Abbreviations, Partial, add, keep, mul

x = sp.Symbol("x", real=True)
# Piecewise results are checked on each side of the kink: x = t and x = -t with t > 0.
_t = sp.Symbol("t", positive=True)
_SIDES = (("x > 0", {x: _t}), ("x < 0", {x: -_t}))
_RANGES = {"t": (0.05, 3.0)}

sigma = sp.Function("sigma")
relu_fn = sp.Function("ReLU")


def _logistic(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


def sigmoid() -> Derivation:
    """sigma'(x) = sigma(x)(1 - sigma(x)) (dl2023 §1.2 (a))."""
    e = sp.exp(-x)
    denom = add(1, e)
    inv = keep(sp.Pow(denom, -1, evaluate=False))
    return Derivation(
        name="sigmoid",
        title="Derivative of the logistic sigmoid",
        lhs=Partial(sigma(x), x),
        steps=[
            Step(Partial(sp.Pow(denom, -1, evaluate=False), x), "definition of $\\sigma$"),
            Step(
                mul(-1, keep(sp.Pow(denom, -2, evaluate=False)), Partial(denom, x)),
                "power rule and chain rule",
            ),
            Step(mul(e, sp.Pow(denom, -2, evaluate=False)), "$(1 + e^{-x})' = -e^{-x}$"),
            Step(mul(inv, keep(mul(e, sp.Pow(denom, -1, evaluate=False)))), "split the square"),
            Step(mul(inv, add(1, mul(-1, inv))), "$e^{-x} = (1 + e^{-x}) - 1$"),
            Step(
                Equation(sp.Symbol(r"\sigma'(x)"), mul(sigma(x), add(1, mul(-1, sigma(x))))),
                "definition of $\\sigma$",
            ),
        ],
        definition=_logistic(x),
        wrt=x,
        context=Abbreviations({sigma: _logistic}),
    )


def sigmoid_stable() -> Derivation:
    """The overflow-free two-branch sigmoid equals the plain one (hw2 (b)(ii))."""
    plus, minus = add(1, sp.exp(-x)), add(1, sp.exp(x))
    return Derivation(
        name="sigmoid_stable",
        title="The numerically stable sigmoid equals the plain one",
        lhs=sigma(x),
        steps=[
            Step(
                sp.Piecewise(
                    (sp.Pow(plus, -1, evaluate=False), x >= 0),
                    (mul(sp.exp(x), sp.Pow(minus, -1, evaluate=False)), True),
                    evaluate=False,
                ),
                "stable form: only $e^{-|x|}$ is computed",
            ),
            Step(
                sp.Piecewise(
                    (sp.Pow(plus, -1, evaluate=False), x >= 0),
                    (sp.Pow(add(sp.exp(-x), 1), -1, evaluate=False), True),
                    evaluate=False,
                ),
                "divide by $e^{x}$ for $x < 0$",
            ),
            Step(sp.Pow(plus, -1, evaluate=False), "both branches agree"),
        ],
        definition=_logistic(x),
        conventions=["e^{-x} is computed only for x >= 0 and e^{x} only for x < 0"],
        context=Abbreviations({sigma: _logistic}, regions=(*_SIDES, ("x = 0", {x: 0}))),
        ranges=_RANGES,
    )


def tanh() -> Derivation:
    """tanh'(x) = 1 - tanh^2(x) (lab4)."""
    c, s = sp.cosh(x), sp.sinh(x)
    return Derivation(
        name="tanh",
        title="Derivative of tanh",
        lhs=Partial(sp.tanh(x), x),
        steps=[
            Step(Partial(mul(s, sp.Pow(c, -1, evaluate=False)), x), "tanh = sinh / cosh"),
            Step(
                mul(add(mul(c, c), mul(-1, s, s)), sp.Pow(sp.Pow(c, 2), -1, evaluate=False)),
                "quotient rule, sinh' = cosh, cosh' = sinh",
            ),
            Step(add(1, mul(-1, sp.Pow(s, 2), sp.Pow(sp.Pow(c, 2), -1, evaluate=False))), "divide"),
            Step(
                Equation(sp.Symbol(r"\tanh'(x)"), add(1, mul(-1, sp.tanh(x) ** 2))),
                "tanh = sinh / cosh",
            ),
        ],
        definition=sp.tanh(x),
        wrt=x,
    )


def relu() -> Derivation:
    """ReLU'(x) = 1 for x > 0 and 0 otherwise (dl2023 §1.2 (e))."""
    return Derivation(
        name="relu",
        title="Derivative of the ReLU",
        lhs=Partial(relu_fn(x), x),
        steps=[
            Step(
                Partial(sp.Piecewise((x, x > 0), (0, True), evaluate=False), x),
                "max(0, x) by cases",
            ),
            Step(
                Equation(
                    sp.Symbol(r"\operatorname{ReLU}'(x)"),
                    sp.Piecewise((1, x > 0), (0, True), evaluate=False),
                ),
                "differentiate each branch",
            ),
        ],
        definition=sp.Max(0, x),
        wrt=x,
        conventions=["ReLU'(0) := 0 (the kink gets the left derivative)"],
        context=Abbreviations({relu_fn: lambda z: sp.Max(0, z)}, regions=_SIDES),
        ranges=_RANGES,
    )
