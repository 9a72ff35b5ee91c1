"""model.autodiff: random expression graphs differentiated against SymPy and central differences,
and PyTorch's accumulation semantics for repeated backward passes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from model.autodiff import Value, grad
from model.gradcheck import H, numeric_grad, rel_error

SYMBOLS = sp.symbols("x y z")


def _sympy_relu(a: sp.Expr) -> sp.Expr:
    return sp.Piecewise((a, a > 0), (0, True))


# Each operation twice: on Values and on SymPy expressions. Log and division act on 1 + a^2
# and powers of non-integer order on exp(a), so every random graph is defined everywhere.
UNARY = {
    "exp": (lambda a: (a * 0.3).exp(), lambda a: sp.exp(a * sp.Rational(3, 10))),
    "log": (lambda a: (1 + a**2).log(), lambda a: sp.log(1 + a**2)),
    "sin": (lambda a: a.sin(), sp.sin),
    "cos": (lambda a: a.cos(), sp.cos),
    "tanh": (lambda a: a.tanh(), sp.tanh),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: 1 / (1 + sp.exp(-a))),
    "relu": (lambda a: a.relu(), _sympy_relu),
    "neg": (lambda a: -a, lambda a: -a),
    "square": (lambda a: a**2, lambda a: a**2),
    "cube": (lambda a: a**3, lambda a: a**3),
    "root": (lambda a: (a * 0.1).exp() ** 1.5, lambda a: sp.exp(a / 10) ** sp.Rational(3, 2)),
    "recip": (lambda a: 1 / (1 + a**2), lambda a: 1 / (1 + a**2)),
}
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b),
    "-": (lambda a, b: a - b, lambda a, b: a - b),
    "*": (lambda a, b: a * b, lambda a, b: a * b),
    "/": (lambda a, b: a / (2 + b**2), lambda a, b: a / (2 + b**2)),
    "const": (lambda a, b: 2.5 * a - b / 4, lambda a, b: sp.Rational(5, 2) * a - b / 4),
}


def _build(rng: np.random.Generator, leaves: list, sym: list, depth: int) -> tuple:
    """A random expression as (Value, SymPy) built from the same choices."""
    if depth == 0 or rng.random() < 0.2:
        i = int(rng.integers(len(leaves)))
        return leaves[i], sym[i]
    if rng.random() < 0.5:
        op = list(UNARY)[int(rng.integers(len(UNARY)))]
        v, s = _build(rng, leaves, sym, depth - 1)
        return UNARY[op][0](v), UNARY[op][1](s)
    op = list(BINARY)[int(rng.integers(len(BINARY)))]
    (v1, s1), (v2, s2) = (_build(rng, leaves, sym, depth - 1) for _ in range(2))
    return BINARY[op][0](v1, v2), BINARY[op][1](s1, s2)


def _random_graph(seed: int, at: np.ndarray | None = None
                  ) -> tuple[Value, sp.Expr, list[Value], list[float]]:
    """Graph number `seed` on three leaves, at its own random point or at `at`."""
    rng = np.random.default_rng(seed)
    point = [float(v) for v in rng.uniform(-2, 2, size=3)]
    if at is not None:
        point = [float(v) for v in at]
    leaves = [Value(p) for p in point]
    out, expr = _build(rng, leaves, list(SYMBOLS), depth=5)
    return out, expr, leaves, point


@pytest.mark.parametrize("seed", range(40))
def test_random_graph_gradients_match_sympy(seed: int) -> None:
    out, expr, leaves, point = _random_graph(seed)
    out.backward()
    values = dict(zip(SYMBOLS, point, strict=True))
    assert out.data == pytest.approx(float(expr.subs(values)), rel=1e-12, abs=1e-12)
    for leaf, s in zip(leaves, SYMBOLS, strict=True):
        expected = float(sp.diff(expr, s).subs(values))
        assert leaf.grad == pytest.approx(expected, rel=1e-9, abs=1e-12), (
            f"d/d{s} of {expr}: autodiff {leaf.grad}, SymPy {expected}")


@given(st.integers(0, 10**6))
@example(60077)  # steep: the default step is off by 1e-3, a tenth of it by 1e-5
@settings(max_examples=60, deadline=None)
def test_random_graph_gradients_match_central_differences(seed: int) -> None:
    out, _, leaves, point = _random_graph(seed)
    out.backward()
    numeric = numeric_grad(lambda p: _random_graph(seed, p)[0].data, np.array(point))
    analytic = np.array([leaf.grad for leaf in leaves])
    # The band for functions with kinks (relu): a central difference straddling a kink is off.
    # Where every gradient is tiny the relative error's 1e-8 floor compares differences'
    # rounding noise (about 1e-11 here) with itself, so an absolute bound decides instead.
    close = np.max(np.abs(analytic - numeric)) < 1e-9
    # A steep graph (a ninth power inside a cosine, say) leaves the default step's central
    # difference off by its O(h^2) truncation error; then a ten times smaller step must bring
    # it about a hundred times closer to the analytic gradient (at least fifty).
    error = rel_error(analytic, numeric)
    if error >= 1e-4 and not close:
        finer = numeric_grad(lambda p: _random_graph(seed, p)[0].data, np.array(point), H / 10)
        assert rel_error(analytic, finer) < error / 50, (analytic, numeric, finer)


def test_shared_subexpression_gets_both_paths() -> None:
    x = Value(3.0)
    y = x * x + x  # x is used three times
    y.backward()
    assert x.grad == 7.0


def test_second_backward_adds_into_leaves_like_pytorch() -> None:
    w, b = Value(2.0), Value(1.0)
    y = (5.0 * w).sin().__add__(b).exp()
    y.backward()
    first = (w.grad, b.grad)
    y.backward()
    assert (w.grad, b.grad) == pytest.approx((2 * first[0], 2 * first[1]), rel=1e-15)
    w.zero_grad()
    b.zero_grad()
    y.backward()
    assert (w.grad, b.grad) == pytest.approx(first, rel=1e-15)


def test_grad_helper_returns_value_and_gradient() -> None:
    y, (dw, db) = grad(lambda w, b: w * 5.0 + b, [2.0, 1.0])
    assert (y, dw, db) == (11.0, 5.0, 1.0)


def test_sigmoid_does_not_overflow_at_large_inputs() -> None:
    low, high = Value(-800.0).sigmoid(), Value(800.0).sigmoid()
    assert low.data == 0.0 and high.data == 1.0
    assert low.local == (0.0,) and high.local == (0.0,)
