"""The autograd examples of dl2024 §1.2, derived by hand at w = 2, b = 1, x = 5.

The exponential example must give the gradients that PyTorch printed there, to 4 decimals.
"""

from __future__ import annotations

import sympy as sp

from derivations.core import Derivation, Step
from derivations.notation import Abbreviations, Partial, add, at, mul

x, w, b = sp.symbols("x w b", real=True)
y = sp.Symbol("y")
POINT = {x: sp.Integer(5), w: sp.Integer(2), b: sp.Integer(1)}
# What PyTorch printed for w.grad and b.grad of y = exp(sin(x w) + b).
PRINTED_EXP_SIN = (-6.6191, 1.5777)


def linear() -> Derivation:
    """y = x w + b: dy/dw = x = 5 and dy/db = 1."""
    f = x * w + b
    return Derivation(
        name="autograd_linear",
        title="Gradients of y = x w + b at x = 5, w = 2, b = 1",
        lhs=at(sp.Matrix([Partial(y, w), Partial(y, b)]), POINT),
        steps=[
            Step(at(sp.Matrix([x, 1]), POINT), "differentiate term by term"),
            Step(sp.Matrix([5, 1]), "substitute"),
        ],
        definition=f,
        wrt=sp.Matrix([w, b]),
        at=POINT,
        context=Abbreviations({y: f}),
    )


def exp_sin() -> Derivation:
    """y = exp(sin(x w) + b): dy/dw = x cos(x w) y, dy/db = y; PyTorch's -6.6191, 1.5777."""
    f = sp.exp(sp.sin(x * w) + b)
    shown = sp.exp(add(sp.sin(mul(x, w)), b))
    at_point = sp.exp(add(sp.sin(10), 1))
    return Derivation(
        name="autograd_exp_sin",
        title="Gradients of y = exp(sin(x w) + b) at x = 5, w = 2, b = 1",
        lhs=at(sp.Matrix([Partial(y, w), Partial(y, b)]), POINT),
        steps=[
            Step(at(sp.Matrix([mul(shown, sp.cos(mul(x, w)), x), shown]), POINT), "chain rule"),
            Step(sp.Matrix([mul(5, sp.cos(10), at_point), at_point]), "substitute"),
            Step(
                sp.Matrix([sp.Float(v, 5) for v in PRINTED_EXP_SIN]),
                "rounded to 4 decimals, as PyTorch printed them",
                tol=5e-5,
            ),
        ],
        definition=f,
        wrt=sp.Matrix([w, b]),
        at=POINT,
        context=Abbreviations({y: f}),
    )
