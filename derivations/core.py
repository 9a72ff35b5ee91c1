"""A derivation is a chain of equal expressions with a reason for each; this checks and prints it.

`Derivation.verify` proves every step equal to the one before (symbolically, or numerically at
random points where SymPy cannot decide cheaply) and the result equal to an independent
`sp.diff` of the definition; `Derivation.to_latex` prints the same steps as an `align*`.
"""

from __future__ import annotations

import cmath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter

from derivations.notation import Context, Partial, Value

# Relative tolerance of the numeric check, and how many random points it uses.
NUMERIC_RTOL = 1e-9
NUMERIC_POINTS = 4
# Where a free symbol is sampled when the derivation does not say.
DEFAULT_RANGE = (-2.0, 2.0)
# Above this many operations a difference is not handed to sp.simplify (too slow).
SIMPLIFY_MAX_OPS = 80
# Rough width, in characters of visible math, of one line of an A4 page.
LINE_BUDGET = 68


class DerivationError(AssertionError):
    """A step of a derivation does not equal the step before it (or the reference)."""


@dataclass(frozen=True)
class Equation:
    """A step that names what it states: `lhs = rhs`.  Only `rhs` takes part in the chain."""

    lhs: Value
    rhs: Value


@dataclass(frozen=True)
class Step:
    """One line of a derivation.  `tol` (absolute) marks values rounded for printing."""

    expr: Value | Equation
    why: str
    tol: float | None = None

    @property
    def value(self) -> Value:
        return self.expr.rhs if isinstance(self.expr, Equation) else self.expr


@dataclass
class Derivation:
    """lhs = steps[0] = steps[1] = ... = result, where result = d definition / d wrt.

    `wrt` is a symbol or a matrix of symbols (then the reference is the gradient of the
    same shape); None means the definition itself is the reference value.  `at` evaluates
    the reference at a point.  `context` gives the abbreviations and the index values to
    check on; `ranges` gives where each free symbol (by name, or by the part of its name
    before '[' or '_') is sampled by the numeric check.
    """

    name: str
    title: str
    lhs: Value
    steps: list[Step]
    definition: Value
    wrt: Value | None = None
    conventions: list[str] = field(default_factory=list)
    context: Context = field(default_factory=Context)
    at: Mapping[sp.Symbol, sp.Expr] | None = None
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    _numeric: frozenset[int] | None = field(default=None, init=False, repr=False)

    @property
    def result(self) -> Value:
        return self.steps[-1].value

    def reference(self) -> dict[str, Value]:
        """The independent answer, sp.diff of the definition, per checked instance."""
        target = self.definition if self.wrt is None else Partial(self.definition, self.wrt)
        ref = self.context.concretize(target)
        return {k: v.subs(self.at) for k, v in ref.items()} if self.at else ref

    def verify(self) -> frozenset[int]:
        """Check every step and the result; returns the steps (from 1) checked numerically."""
        if not self.steps:
            raise DerivationError(f"derivation {self.name!r} has no steps")
        values = [self.context.concretize(s.value) for s in self.steps]
        numeric: set[int] = set()
        for k in range(1, len(self.steps)):
            if self._compare(values[k - 1], values[k], k + 1, self.steps[k - 1].value):
                numeric.add(k + 1)
        last = len(self.steps)
        if self._compare(values[-1], self.reference(), last, None):
            numeric.add(last)
        self._numeric = frozenset(numeric)
        return self._numeric

    @property
    def numeric_steps(self) -> frozenset[int]:
        """Steps (from 1) that only a numeric check could confirm; verifies if needed."""
        return self.verify() if self._numeric is None else self._numeric

    def evaluate(self, values: Mapping[str, float]) -> dict[str, np.ndarray]:
        """The result in numbers, per instance, at a point given as symbol name -> value.

        A model context needs only its inputs and parameters; it computes the rest by a
        forward pass.  Scalars come back as arrays of shape (1, 1).
        """
        results = self.context.concretize(self.result, regions=False)
        symbols = sorted(
            set().union(*(e.free_symbols for v in results.values() for e in _entries(v))), key=str
        )
        point = self.context.complete(symbols, lambda s: float(values[s.name]))
        memo: dict[sp.Basic, complex] = {}
        return {
            label: np.array([_number(e, point, memo).real for e in _entries(v)]).reshape(_shape(v))
            for label, v in results.items()
        }

    def _fail(self, number: int, before: Value | None, detail: str) -> DerivationError:
        step = self.steps[number - 1]
        other = "the reference (sp.diff of the definition)" if before is None else before
        return DerivationError(
            f'derivation {self.name!r}, step {number} ("{step.why}"): '
            f"{_show(other)} != {_show(step.value)}; {detail}"
        )

    def _compare(
        self, a: dict[str, Value], b: dict[str, Value], number: int, before: Value | None
    ) -> bool:
        """Raise unless a == b for every instance; True if only numerics could tell."""
        pairs: list[tuple[str, sp.Expr, sp.Expr]] = []
        for label, va in a.items():
            vb = b[label]
            ea, eb = _entries(va), _entries(vb)
            if len(ea) != len(eb) or _shape(va) != _shape(vb):
                raise self._fail(number, before, f"shapes {_shape(va)} and {_shape(vb)} differ")
            pairs += [(label, x, y) for x, y in zip(ea, eb, strict=True)]
        tol = self.steps[number - 1].tol
        mismatch = self._numeric_mismatch(pairs, tol)
        if mismatch:
            raise self._fail(number, before, mismatch)
        if tol is not None:
            return True
        return not all(_proves_zero(x - y) for _, x, y in pairs)

    def _numeric_mismatch(
        self, pairs: list[tuple[str, sp.Expr, sp.Expr]], tol: float | None
    ) -> str | None:
        """A description of the first point where the sides differ, or None."""
        symbols = sorted(
            set().union(*(x.free_symbols | y.free_symbols for _, x, y in pairs)), key=str
        )
        rng = np.random.default_rng(0)

        def draw(s: sp.Symbol) -> float:
            return float(rng.uniform(*self._range(s)))

        for _ in range(NUMERIC_POINTS):
            values = self.context.complete(symbols, draw)
            point = [values[s] for s in symbols]
            memo: dict[sp.Basic, complex] = {}
            for label, x, y in pairs:
                try:
                    u, v = _number(x, values, memo), _number(y, values, memo)
                except (ValueError, ZeroDivisionError, OverflowError) as exc:
                    return f"cannot evaluate at {_point(symbols, point)}: {exc}"
                bound = tol if tol is not None else NUMERIC_RTOL * max(1.0, abs(u), abs(v))
                if not abs(u - v) <= bound:
                    where = f" ({label})" if label else ""
                    return (
                        f"numerically {u.real:.10g} vs {v.real:.10g}{where} "
                        f"at {_point(symbols, point)}"
                    )
        return None

    def _range(self, s: sp.Symbol) -> tuple[float, float]:
        base = re.split(r"[\[_]", s.name)[0]
        return self.ranges.get(s.name, self.ranges.get(base, DEFAULT_RANGE))

    def to_latex(self) -> str:
        """The steps as an align* environment; numerically checked steps carry a dagger."""
        numeric = self.numeric_steps
        lines = []
        for number, step in enumerate(self.steps, start=1):
            if isinstance(step.expr, Equation):
                lhs, rhs = _latex(step.expr.lhs), _latex(step.expr.rhs)
            else:
                lhs, rhs = (_latex(self.lhs) if number == 1 else ""), _latex(step.value)
            mark = r"^{\dagger}" if number in numeric else ""
            why = rf"\text{{({step.why})}}{mark}"
            if _visible_width(lhs + rhs) + len(step.why) > LINE_BUDGET:
                lines.append(rf"{lhs} &= {rhs} \\" + "\n" + rf"&\qquad {why}")
            else:
                lines.append(rf"{lhs} &= {rhs} \quad {why}")
        body = " \\\\\n".join(lines)
        return "\\begin{align*}\n" + body + "\n\\end{align*}"


class _Printer(LatexPrinter):
    def _print_Mul(self, expr: sp.Mul) -> str:
        # SymPy prints -(a + b) with unsized parentheses; fractions inside need \left(.
        if len(expr.args) == 2 and expr.args[0] == -1 and isinstance(expr.args[1], sp.Add):
            return rf"- \left({self._print(expr.args[1])}\right)"
        return super()._print_Mul(expr)


def _latex(e: Value) -> str:
    return _Printer({"order": "none", "mat_delim": "("}).doprint(e)


def _visible_width(tex: str) -> int:
    """Roughly how many characters wide `tex` prints; fractions count their wider part."""
    if r"\begin{matrix}" in tex:
        # A matrix is as wide as its widest row.
        return max(_visible_width(row) for row in re.split(r"\\\\|\\begin\{matrix\}", tex))
    tex = re.sub(r"\\(left|right)\b.?", "", tex)
    tex = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: max(m[1], m[2], key=len), tex)
    tex = re.sub(r"\\(mathrm|operatorname|text)\b", "", tex)
    tex = re.sub(r"\\[a-zA-Z]+", "x", tex)
    return len(re.sub(r"[{}^_ ]", "", tex))


_FUNCTIONS = {
    sp.exp: cmath.exp,
    sp.log: cmath.log,
    sp.sin: cmath.sin,
    sp.cos: cmath.cos,
    sp.tanh: cmath.tanh,
    sp.sinh: cmath.sinh,
    sp.cosh: cmath.cosh,
}


def _number(
    e: sp.Basic, values: Mapping[sp.Symbol, float], memo: dict[sp.Basic, complex]
) -> complex:
    """e at the point `values`, each shared subexpression computed once.

    A network's gradient written out in full is a tree far larger than the graph it shares
    its subexpressions in; walking the graph (not printing the tree, as lambdify would)
    keeps the numeric check fast.
    """
    if e in memo:
        return memo[e]
    if e.is_Symbol:
        out = complex(values[e])
    elif e.is_Number or e.is_NumberSymbol:
        out = complex(e)
    elif e.is_Add:
        out = sum((_number(a, values, memo) for a in e.args), 0j)
    elif e.is_Mul:
        out = 1 + 0j
        for a in e.args:
            out *= _number(a, values, memo)
    elif e.is_Pow:
        out = _number(e.base, values, memo) ** _number(e.exp, values, memo)
    elif e.func in _FUNCTIONS:
        out = _FUNCTIONS[e.func](*(_number(a, values, memo) for a in e.args))
    else:
        # Piecewise, Heaviside, ...: rare and small, so SymPy evaluates them.
        at = {s: sp.Float(values[s]) for s in e.free_symbols}
        out = complex(sp.N(e.xreplace(at)))
    memo[e] = out
    return out


def _entries(v: Value) -> list[sp.Expr]:
    return list(v) if isinstance(v, sp.MatrixBase) else [v]


def _shape(v: Value) -> tuple[int, int]:
    return v.shape if isinstance(v, sp.MatrixBase) else (1, 1)


def _show(v: Value) -> str:
    return sp.sstr(v).replace("\n", " ")


def _point(symbols: Sequence[sp.Symbol], values: Sequence[float], shown: int = 6) -> str:
    parts = [f"{s}={x:.4g}" for s, x in zip(symbols, values, strict=True)]
    more = f", ... ({len(parts)} symbols)" if len(parts) > shown else ""
    return ", ".join(parts[:shown]) + more


def _proves_zero(d: sp.Expr) -> bool:
    """True if SymPy shows d == 0 with cheap rewrites, or simplify when d is small."""
    if d == 0:
        return True
    if sp.count_ops(d) > SIMPLIFY_MAX_OPS:
        return False
    for rewrite in (sp.expand, sp.cancel, sp.simplify):
        if rewrite(d) == 0:
            return True
    return False
