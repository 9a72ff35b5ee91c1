"""Partial derivatives of the two-variable test function of dl2023/dl2024 §1.1."""

from __future__ import annotations

import sympy as sp

from derivations.core import Derivation, Step
from derivations.notation import Abbreviations, Partial, add, mul

x, y = sp.symbols("x y", real=True)
f = x**2 + y**2 + x * (y + 2) + sp.cos(3 * x)
"""f(x, y) = x^2 + y^2 + x(y + 2) + cos 3x, as the assignment defines it."""

_f = sp.Symbol("f")


def f_partials() -> Derivation:
    """grad f = (2x - 3 sin 3x + y + 2, x + 2y), term by term."""
    terms = (x**2, y**2, mul(x, add(y, 2)), sp.cos(mul(3, x)))
    by_term = sp.Matrix([add(*(Partial(t, v) for t in terms)) for v in (x, y)])
    rules = sp.Matrix(
        [
            add(mul(2, x), 0, add(y, 2), mul(-3, sp.sin(mul(3, x)))),
            add(0, mul(2, y), x, 0),
        ]
    )
    collected = sp.Matrix([add(mul(2, x), mul(-3, sp.sin(mul(3, x))), y, 2), add(x, mul(2, y))])
    return Derivation(
        name="f_partials",
        title="Partial derivatives of f(x, y) = x^2 + y^2 + x(y + 2) + cos 3x",
        lhs=sp.Matrix([Partial(_f, x), Partial(_f, y)]),
        steps=[
            Step(by_term, "sum rule, term by term"),
            Step(rules, "power, product and chain rules"),
            Step(collected, "collect terms"),
        ],
        definition=f,
        wrt=sp.Matrix([x, y]),
        context=Abbreviations({_f: f}),
    )
