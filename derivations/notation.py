"""Display notation for derivations, and the contexts that turn it into checkable SymPy.

A derivation's steps are written in the notation the assignments use (index sums, named
matrices per layer, gradients, Hadamard products).  `evaluate` replaces every node of that
notation by plain SymPy for one choice of the free indices; a `Context` says what the named
quantities are (an abbreviation such as y_i = softmax_i(o), or a concrete small network) and
how to take a partial derivative with respect to an intermediate quantity.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import reduce

import sympy as sp
from sympy.core.function import AppliedUndef

Value = sp.Expr | sp.MatrixBase
Env = Mapping[sp.Basic, sp.Basic]


def _is_matrix(v: object) -> bool:
    return isinstance(v, sp.MatrixBase)


def _tex(printer: sp.printing.latex.LatexPrinter, e: sp.Basic) -> str:
    return printer._print(e)


def _layer_tex(e: sp.Basic) -> str:
    # SymPy's default term order prints \ell - 1, not the -1 + \ell of order="none".
    return sp.latex(e)


def _index_tex(indices: Sequence[sp.Basic]) -> str:
    parts = [_layer_tex(i) for i in indices]
    # ji reads better than j,i; compound indices such as n-1 need the comma.
    return "".join(parts) if all(len(p) == 1 for p in parts) else ",".join(parts)


class Node(sp.Function):
    """A piece of notation: prints itself and knows how to become plain SymPy."""

    def evaluate(self, ctx: Context, env: Env) -> Value:
        raise NotImplementedError(type(self).__name__)


def evaluate(e: object, ctx: Context, env: Env) -> Value:
    """Plain SymPy for expression `e` with the free indices bound by `env`."""
    if _is_matrix(e):
        return sp.Matrix(e.rows, e.cols, [evaluate(a, ctx, env) for a in e])
    if e in env:
        return env[e]
    if isinstance(e, Node):
        return e.evaluate(ctx, env)
    if isinstance(e, sp.Sum):
        return _evaluate_sum(e, ctx, env)
    if isinstance(e, sp.UnevaluatedExpr):
        return evaluate(e.args[0], ctx, env)
    if isinstance(e, sp.Subs):
        inner = evaluate(e.expr, ctx, env)
        return inner.subs(dict(zip(e.variables, e.point, strict=True)))
    if isinstance(e, sp.IndexedBase) or not e.args:
        return e
    args = [evaluate(a, ctx, env) for a in e.args]
    if isinstance(e, sp.Mul):
        # Python's * keeps the written order, so matrix products stay products.
        return reduce(operator.mul, args)
    if isinstance(e, sp.Add):
        return reduce(operator.add, args)
    if isinstance(e, sp.Pow):
        return args[0] ** args[1]
    return e.func(*args)


def _evaluate_sum(e: sp.Sum, ctx: Context, env: Env) -> Value:
    total: Value = sp.Integer(0)
    body, limits = e.function, e.limits
    if len(limits) > 1:
        body, limits = sp.Sum(body, *limits[:-1]), limits[-1:]
    (k, lo, hi) = limits[0]
    for value in range(int(evaluate(lo, ctx, env)), int(evaluate(hi, ctx, env)) + 1):
        total = total + evaluate(body, ctx, {**env, k: sp.Integer(value)})
    return total


def add(*terms: sp.Expr) -> sp.Expr:
    """A sum kept as written (no reordering, no cancelling), for display."""
    return sp.Add(*terms, evaluate=False)


def mul(*factors: sp.Expr) -> sp.Expr:
    """A product kept as written, for display."""
    return sp.Mul(*factors, evaluate=False)


def keep(e: sp.Expr) -> sp.Expr:
    """`e` printed as one unit inside a product (a fraction stays a separate fraction)."""
    return sp.UnevaluatedExpr(e)


# --- generic notation ---------------------------------------------------------------------


def _is_name(e: sp.Basic) -> bool:
    """True for what prints as a name (y, o_i, sigma(x), tanh(x)), not as a formula."""
    if isinstance(e, sp.Function) and not isinstance(e, Node):
        return all(a.is_Atom for a in e.args)
    return isinstance(e, sp.Symbol | sp.Indexed | AppliedUndef | Elem | Quantity)


class Partial(Node):
    """Partial derivative d f / d v, printed as a fraction; elementwise if v is a matrix."""

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        f, v = self.args
        if _is_name(f):
            return rf"\frac{{\partial {_tex(printer, f)}}}{{\partial {_tex(printer, v)}}}"
        return rf"\frac{{\partial}}{{\partial {_tex(printer, v)}}}\left({_tex(printer, f)}\right)"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        f, v = (evaluate(a, ctx, env) for a in self.args)
        if _is_matrix(v):
            return v.applyfunc(lambda s: ctx.partial(f, s))
        if _is_matrix(f):
            return f.applyfunc(lambda a: ctx.partial(a, v))
        return ctx.partial(f, v)


class Grad(Partial):
    """Gradient of a scalar with respect to a vector or matrix, same shape as that matrix."""

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        f, v = self.args
        return rf"\nabla_{{{_tex(printer, v)}}} {_tex(printer, f)}"


class At(Node):
    """An expression evaluated at a point, printed with a vertical bar."""

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        expr, point = self.args
        where = r",\ ".join(f"{_tex(printer, k)}={_tex(printer, v)}" for k, v in point)
        return rf"\left. {_tex(printer, expr)} \right|_{{{where}}}"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        expr, point = self.args
        return evaluate(expr, ctx, env).subs({k: v for k, v in point})


def at(expr: Value, point: Mapping[sp.Symbol, sp.Expr]) -> At:
    """`expr` evaluated at `point`, e.g. at(df, {x: 5})."""
    return At(expr, sp.Tuple(*(sp.Tuple(k, v) for k, v in point.items())))


class Quantity(Node):
    """A named quantity of a model: a matrix (noncommutative) or the scalar loss.

    Args are the layer (an expression such as ell - 1) or nothing.  Subclasses set `key`
    (what the context calls it), `tex` and an optional `tag` such as "out".
    """

    is_commutative = False
    key = ""
    tex = ""
    tag = ""

    def tex_with(self, printer: sp.printing.latex.LatexPrinter, indices: Sequence) -> str:
        sup = f"^{{({_layer_tex(self.args[0])})}}" if self.args else ""
        sub = ",".join(p for p in (_index_tex(indices), self.tag) if p)
        return self.tex + sup + (f"_{{{sub}}}" if sub else "")

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return self.tex_with(printer, ())

    def evaluate(self, ctx: Context, env: Env) -> Value:
        layer = int(evaluate(self.args[0], ctx, env)) if self.args else None
        return ctx.tensor(self.key, layer)


def quantity(key: str, tex: str, tag: str = "", *, scalar: bool = False) -> type[Quantity]:
    """A Quantity class, e.g. quantity("zout", "Z", r"\\mathrm{out}")."""
    attrs = {"key": key, "tex": tex, "tag": tag, "is_commutative": scalar}
    return type(key, (Quantity,), attrs)


class Elem(Node):
    """Entry of a named matrix: Elem(W(l), j, i) is W^(l)_ji (indices count from 1).

    A row vector takes one index.
    """

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        m, *indices = self.args
        if isinstance(m, Quantity):
            return m.tex_with(printer, indices)
        return rf"\left({_tex(printer, m)}\right)_{{{_index_tex(indices)}}}"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        m, *indices = (evaluate(a, ctx, env) for a in self.args)
        idx = [int(i) - 1 for i in indices]
        return m[0, idx[0]] if len(idx) == 1 else m[idx[0], idx[1]]


class Entries(Node):
    """The matrix [body]_{ij} built by letting the indices run over their ranges.

    One index gives a row vector.  Args: body, then (index, first, last) tuples.
    """

    is_commutative = False

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        body, *ranges = self.args
        return rf"\left[{_tex(printer, body)}\right]_{{{_index_tex([r[0] for r in ranges])}}}"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        body, *ranges = self.args
        spans = [
            range(int(evaluate(lo, ctx, env)), int(evaluate(hi, ctx, env)) + 1)
            for _, lo, hi in ranges
        ]
        names = [r[0] for r in ranges]
        if len(spans) == 1:
            spans.insert(0, range(1))
            names.insert(0, sp.Dummy())

        def entry(r: int, c: int) -> sp.Expr:
            bound = {names[0]: sp.Integer(spans[0][r]), names[1]: sp.Integer(spans[1][c])}
            return evaluate(body, ctx, {**env, **bound})

        return sp.Matrix(len(spans[0]), len(spans[1]), entry)


class Hadamard(Node):
    """Elementwise product A ⊙ B."""

    is_commutative = False

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        a, b = (_tex(printer, x) for x in self.args)
        if isinstance(self.args[0], sp.Mul):
            a = rf"\left({a}\right)"
        return rf"{a} \odot {b}"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        a, b = (evaluate(x, ctx, env) for x in self.args)
        return a.multiply_elementwise(b)


class Transposed(Node):
    """Matrix transpose A^T."""

    is_commutative = False

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"{{{_tex(printer, self.args[0])}}}^{{T}}"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        return evaluate(self.args[0], ctx, env).T


class RowSum(Node):
    """Sum of the rows of a matrix (over the samples of a batch), a row vector."""

    is_commutative = False

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        m = self.args[0]
        n = _tex(printer, self.args[1])
        row = m.tex_with(printer, [self.args[1]]) if isinstance(m, Quantity) else _tex(printer, m)
        return rf"\sum_{{{n}}} {row}"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        m = evaluate(self.args[0], ctx, env)
        return sp.ones(1, m.rows) * m


class Width(Node):
    """Number of units of a layer, d^(l)."""

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        return rf"d^{{({_layer_tex(self.args[0])})}}"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        return sp.Integer(ctx.width(int(evaluate(self.args[0], ctx, env))))


class Act(Node):
    """The activation of a layer, sigma^(l), applied elementwise."""

    prime = False

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        layer, x = _layer_tex(self.args[0]), _tex(printer, self.args[1])
        mark = "'" if self.prime else ""
        return rf"\sigma{mark}^{{({layer})}}\left({x}\right)"

    def evaluate(self, ctx: Context, env: Env) -> Value:
        layer = int(evaluate(self.args[0], ctx, env))
        x = evaluate(self.args[1], ctx, env)
        t = sp.Dummy("t")
        fn = ctx.activation(layer)(t)
        # sigma' comes from differentiating sigma itself, not from a hand-written formula.
        fn = sp.diff(fn, t) if self.prime else fn
        apply = sp.Lambda(t, fn)
        return x.applyfunc(apply) if _is_matrix(x) else apply(x)


class ActPrime(Act):
    """Derivative of the activation of a layer, sigma'^(l), applied elementwise."""

    prime = True


# --- contexts -----------------------------------------------------------------------------


class Context:
    """What the names in a derivation mean, and for which index values to check it.

    `instances` lists (label, env) pairs: every step is checked once per env, which binds
    the free indices (e.g. i and j of a softmax Jacobian).  `regions` lists (label, subs)
    pairs applied after evaluation, to check piecewise results on each branch separately.
    """

    def __init__(
        self,
        instances: Iterable[tuple[str, Env]] = (("", {}),),
        regions: Iterable[tuple[str, Env]] = (("", {}),),
    ) -> None:
        self.instances = list(instances)
        self.regions = list(regions)
        # The instance being evaluated: definitions may use its indices and sizes too.
        self.env: Env = {}

    def concretize(self, value: Value, regions: bool = True) -> dict[str, Value]:
        """Plain SymPy for `value`, one entry per instance (and region, if `regions`)."""
        out: dict[str, Value] = {}
        for label, env in self.instances:
            self.env = env
            v = self.expand(evaluate(value, self, env))
            for region, subs in self.regions if regions else [("", {})]:
                out[", ".join(p for p in (label, region) if p)] = v.subs(subs) if subs else v
        return out

    def expand(self, e: Value) -> Value:
        """Replace every named intermediate quantity by its definition."""
        return e

    def complete(
        self, symbols: Sequence[sp.Symbol], draw: Callable[[sp.Symbol], float]
    ) -> dict[sp.Symbol, float]:
        """A numeric point for `symbols`: drawn, or computed from what was drawn."""
        return {s: draw(s) for s in symbols}

    def partial(self, f: sp.Expr, v: sp.Expr) -> sp.Expr:
        return sp.diff(f, v)

    def tensor(self, key: str, layer: int | None) -> Value:
        raise KeyError(f"this context has no quantity {key!r}")

    def width(self, layer: int) -> int:
        raise KeyError("this context has no layers")

    def activation(self, layer: int) -> Callable[[sp.Expr], sp.Expr]:
        raise KeyError("this context has no activations")


class Abbreviations(Context):
    """Context whose names abbreviate formulas: sigma(x), y_i = softmax_i(o), y_hat, ...

    `defs` maps a Symbol, an IndexedBase or an undefined function to its meaning (a Symbol to
    an expression, the others to a function of the indices or arguments), in the order of
    the forward computation: each may use the ones before it.  A partial derivative with
    respect to an abbreviation treats it as a variable and unfolds only what comes after
    it (the chain rule's local derivative); with respect to anything else it unfolds all.
    Indexed names become plain symbols o[1], o[2], ... at the end.
    """

    def __init__(
        self,
        defs: Mapping[sp.Basic, sp.Expr | Callable[..., sp.Expr]],
        instances: Iterable[tuple[str, Env]] = (("", {}),),
        regions: Iterable[tuple[str, Env]] = (("", {}),),
    ) -> None:
        super().__init__(instances, regions)
        self.defs = dict(defs)
        self._order = {head: n for n, head in enumerate(self.defs)}

    def _level(self, e: sp.Basic) -> int:
        if isinstance(e, sp.Indexed):
            head = e.base
        elif isinstance(e, AppliedUndef):
            head = e.func
        elif isinstance(e, sp.Symbol):
            head = e
        else:
            return -1
        return self._order.get(head, -1)

    def _definition(self, e: sp.Basic) -> sp.Expr:
        if isinstance(e, sp.Indexed):
            meaning = self.defs[e.base](*e.indices)
        elif isinstance(e, AppliedUndef):
            meaning = self.defs[e.func](*e.args)
        else:
            meaning = self.defs[e]
        return evaluate(meaning, self, self.env)

    def _unfold(self, e: Value, above: int = -1) -> Value:
        """Replace the abbreviations defined after position `above` until none is left."""
        while True:
            unfolded = e.replace(lambda a: self._level(a) > above, self._definition)
            if unfolded == e:
                return e
            e = unfolded

    def expand(self, e: Value) -> Value:
        e = self._unfold(e)
        return e.replace(lambda a: isinstance(a, sp.Indexed), lambda a: sp.Symbol(str(a)))

    def partial(self, f: sp.Expr, v: sp.Expr) -> sp.Expr:
        return sp.diff(self._unfold(f, self._level(v)), v)


class Model(Context):
    """A concrete small model: named matrices of symbols, some defined by others.

    Every symbol has a level (its position in the forward pass).  The partial derivative of
    f with respect to v unfolds in f only the quantities computed after v, so that
    quantities computed alongside v count as independent, as the chain rule assumes.
    Values stay written in the intermediate symbols (fully unfolded, a network's loss is too
    large to print or lambdify); the numeric check computes them by a forward pass.
    """

    def __init__(self, instances: Iterable[tuple[str, Env]] = (("", {}),)) -> None:
        super().__init__(instances)
        self._tensors: dict[tuple[str, int | None], Value] = {}
        self._level: dict[sp.Symbol, int] = {}
        self._definition: dict[sp.Symbol, sp.Expr] = {}
        self._forward: dict[tuple[float, ...], dict[sp.Symbol, float]] = {}
        # f unfolded down to a level, kept because a gradient differentiates it many times.
        self._unfolded: dict[tuple[sp.Expr, int], sp.Expr] = {}
        self._widths: dict[int, int] = {}
        self._activations: dict[int, Callable[[sp.Expr], sp.Expr]] = {}

    def _name(self, key: str, layer: int | None) -> str:
        return key if layer is None else f"{key}{layer}"

    def leaves(self, key: str, layer: int | None, rows: int, cols: int, level: int) -> sp.Matrix:
        """A rows x cols matrix of fresh symbols that nothing defines (inputs, parameters)."""
        name = self._name(key, layer)
        m = sp.Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}_{r + 1}_{c + 1}"))
        for s in m:
            self._level[s] = level
        self._tensors[(key, layer)] = m
        return m

    def leaf(self, key: str, layer: int | None, level: int) -> sp.Symbol:
        """A fresh scalar symbol that nothing defines (a label, a scalar bias)."""
        s = sp.Symbol(self._name(key, layer))
        self._level[s] = level
        self._tensors[(key, layer)] = s
        return s

    def define(self, key: str, layer: int | None, values: Value, level: int) -> Value:
        """Fresh symbols standing for `values` (a matrix, or a scalar such as the loss)."""
        name = self._name(key, layer)
        if _is_matrix(values):
            m = sp.Matrix(
                values.rows, values.cols, lambda r, c: sp.Symbol(f"{name}_{r + 1}_{c + 1}")
            )
            pairs = zip(m, values, strict=True)
        else:
            m = sp.Symbol(name)
            pairs = [(m, values)]
        for s, v in pairs:
            self._level[s] = level
            self._definition[s] = v
        self._tensors[(key, layer)] = m
        return m

    def put(self, key: str, layer: int | None, value: Value) -> None:
        """Register a derived quantity (e.g. delta = dL/dz_in) under a name."""
        self._tensors[(key, layer)] = value

    def set_layers(
        self, widths: Mapping[int, int], activations: Mapping[int, Callable[[sp.Expr], sp.Expr]]
    ) -> None:
        self._widths = dict(widths)
        self._activations = dict(activations)

    def tensor(self, key: str, layer: int | None) -> Value:
        return self._tensors[(key, layer)]

    def width(self, layer: int) -> int:
        return self._widths[layer]

    def activation(self, layer: int) -> Callable[[sp.Expr], sp.Expr]:
        return self._activations[layer]

    def complete(
        self, symbols: Sequence[sp.Symbol], draw: Callable[[sp.Symbol], float]
    ) -> dict[sp.Symbol, float]:
        leaves = [s for s in self._level if s not in self._definition]
        values = {s: draw(s) for s in leaves}
        values.update({s: draw(s) for s in symbols if s not in self._level})
        key = tuple(values[s] for s in leaves)
        if key not in self._forward:
            known = {s: sp.Float(values[s]) for s in leaves}
            for s, definition in self._definition.items():
                known[s] = definition.xreplace(known)
            self._forward[key] = {s: float(v) for s, v in known.items() if s in self._definition}
        return {**values, **self._forward[key]}

    def partial(self, f: sp.Expr, v: sp.Expr) -> sp.Expr:
        if v not in self._level:
            raise ValueError(f"cannot differentiate with respect to {v}: not a model quantity")
        level = self._level[v]
        key = (f, level)
        if key not in self._unfolded:
            g = f
            while True:
                later = {
                    s: self._definition[s]
                    for s in g.free_symbols
                    if s in self._definition and self._level[s] > level
                }
                if not later:
                    break
                g = g.xreplace(later)
            self._unfolded[key] = g
        return sp.diff(self._unfolded[key], v)
