"""Local derivatives of the softmax and the cross-entropy (mlp-numpy Q1, Q2).

The checks run on K = 3 classes with symbolic logits o_1, o_2, o_3, for every i, j and c.
"""

from __future__ import annotations

import itertools

import sympy as sp

from derivations.core import Derivation, Step
from derivations.notation import Abbreviations, Partial, add, keep, mul

i, j, k, c = sp.symbols("i j k c", integer=True, positive=True)
K = sp.Symbol("K", integer=True, positive=True)
o = sp.IndexedBase("o")
y = sp.IndexedBase("y")
loss = sp.Symbol("l")
CLASSES = 3
_RANGES = {"y": (0.05, 1.0)}

_S = sp.Sum(sp.exp(o[k]), (k, 1, K))
_S2 = sp.Pow(_S, 2, evaluate=False)


def softmax(index: sp.Expr) -> sp.Expr:
    """y_index = e^{o_index} / sum_k e^{o_k}."""
    return sp.exp(o[index]) / _S


def _context(pairs: list[dict[sp.Symbol, int]], defs: dict | None = None) -> Abbreviations:
    instances = [
        (", ".join(f"{s}={v}" for s, v in env.items()), {K: CLASSES, **env}) for env in pairs
    ]
    return Abbreviations(defs if defs is not None else {y: softmax}, instances=instances)


def _all(*names: sp.Symbol) -> list[dict[sp.Symbol, int]]:
    values = itertools.product(range(1, CLASSES + 1), repeat=len(names))
    return [dict(zip(names, v, strict=True)) for v in values]


def _over(*factors: sp.Expr) -> sp.Expr:
    """The product of `factors` over (sum_k e^{o_k})^2."""
    return mul(*factors, sp.Pow(_S2, -1, evaluate=False))


def softmax_diag() -> Derivation:
    """dy_i/do_i = y_i (1 - y_i)."""
    e_i = sp.exp(o[i])
    return Derivation(
        name="softmax_diag",
        title="Softmax derivative, diagonal entries",
        lhs=Partial(y[i], o[i]),
        steps=[
            Step(Partial(mul(e_i, sp.Pow(_S, -1, evaluate=False)), o[i]), "definition of $y_i$"),
            Step(
                _over(add(mul(e_i, _S), mul(-1, e_i, e_i))),
                r"quotient rule; $\partial \sum\nolimits_k e^{o_k} / \partial o_i = e^{o_i}$",
            ),
            Step(
                add(keep(e_i / _S), mul(-1, sp.Pow(keep(e_i / _S), 2, evaluate=False))),
                "split the fraction",
            ),
            Step(add(y[i], mul(-1, sp.Pow(y[i], 2, evaluate=False))), "definition of $y_i$"),
            Step(mul(y[i], add(1, mul(-1, y[i]))), "factor out $y_i$"),
        ],
        definition=softmax(i),
        wrt=o[i],
        context=_context(_all(i)),
    )


def softmax_offdiag() -> Derivation:
    """dy_i/do_j = -y_i y_j for i != j."""
    e_i, e_j = sp.exp(o[i]), sp.exp(o[j])
    return Derivation(
        name="softmax_offdiag",
        title="Softmax derivative, off-diagonal entries",
        lhs=Partial(y[i], o[j]),
        steps=[
            Step(Partial(mul(e_i, sp.Pow(_S, -1, evaluate=False)), o[j]), "definition of $y_i$"),
            Step(
                _over(mul(-1, e_i, e_j)),
                r"quotient rule; $e^{o_i}$ does not depend on $o_j$",
            ),
            Step(mul(-1, keep(e_i / _S), keep(e_j / _S)), "split the fraction"),
            Step(mul(-1, y[i], y[j]), "definition of $y_i$, $y_j$"),
        ],
        definition=softmax(i),
        wrt=o[j],
        conventions=[r"$i \ne j$"],
        context=_context([p for p in _all(i, j) if p[i] != p[j]]),
    )


def softmax_jacobian() -> Derivation:
    """dy_i/do_j = y_i (delta_ij - y_j), both cases in one formula."""
    e_i, e_j = sp.exp(o[i]), sp.exp(o[j])
    delta = sp.KroneckerDelta(i, j)
    return Derivation(
        name="softmax_jacobian",
        title="Softmax derivative, all entries in one formula",
        lhs=Partial(y[i], o[j]),
        steps=[
            Step(Partial(mul(e_i, sp.Pow(_S, -1, evaluate=False)), o[j]), "definition of $y_i$"),
            Step(
                _over(add(mul(delta, e_i, _S), mul(-1, e_i, e_j))),
                r"quotient rule; $\partial e^{o_i} / \partial o_j = \delta_{ij} e^{o_i}$",
            ),
            Step(add(mul(delta, y[i]), mul(-1, y[i], y[j])), "definition of $y_i$, $y_j$"),
            Step(mul(y[i], add(delta, mul(-1, y[j]))), "factor out $y_i$"),
        ],
        definition=softmax(i),
        wrt=o[j],
        conventions=[r"$\delta_{ij} = 1$ if $i = j$, else 0"],
        context=_context(_all(i, j)),
    )


def cross_entropy_grad() -> Derivation:
    """dl/dy_i = -1/y_c if i = c, else 0, for l = -log y_c."""
    return Derivation(
        name="ce_wrt_y",
        title="Cross-entropy derivative with respect to the softmax outputs",
        lhs=Partial(loss, y[i]),
        steps=[
            Step(Partial(mul(-1, sp.log(y[c])), y[i]), "definition, $l = -\\log y_c$"),
            Step(
                mul(-1, sp.KroneckerDelta(i, c), sp.Pow(y[c], -1, evaluate=False)),
                "only $y_c$ appears",
            ),
            Step(
                sp.Piecewise((mul(-1, sp.Pow(y[i], -1, evaluate=False)), sp.Eq(i, c)), (0, True)),
                "by cases",
            ),
        ],
        definition=-sp.log(y[c]),
        wrt=y[i],
        conventions=["the target class c is an integer", "$y_c > 0$"],
        context=_context(_all(i, c), defs={}),
        ranges=_RANGES,
    )


def cross_entropy_logits() -> Derivation:
    """dl/do_i = y_i - delta_ic: softmax and cross-entropy together (mlp-numpy Q2)."""
    delta = sp.KroneckerDelta
    return Derivation(
        name="ce_wrt_logits",
        title="Cross-entropy derivative with respect to the logits",
        lhs=Partial(loss, o[i]),
        steps=[
            Step(
                sp.Sum(mul(Partial(loss, y[j]), Partial(y[j], o[i])), (j, 1, K)),
                "multivariate chain rule",
            ),
            Step(
                sp.Sum(
                    mul(
                        mul(-1, delta(j, c), sp.Pow(y[j], -1, evaluate=False)),
                        y[j],
                        add(delta(i, j), mul(-1, y[i])),
                    ),
                    (j, 1, K),
                ),
                "the two local derivatives of Q1",
            ),
            Step(mul(-1, add(delta(i, c), mul(-1, y[i]))), "only $j = c$ remains"),
            Step(add(y[i], mul(-1, delta(i, c))), "expand"),
        ],
        definition=-sp.log(softmax(c)),
        wrt=o[i],
        conventions=["the target class c is an integer"],
        context=_context(_all(i, c), defs={y: softmax, loss: -sp.log(y[c])}),
    )
