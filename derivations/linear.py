"""Gradients of the linear layer y = x W + b (row vectors), dl2023 §1.2 (l), (m) and §1.4.

Checked on explicit matrices of symbols: n_in = 3, n_out = 4, a batch of 2, and a symbolic
upstream gradient G, with L = sum(G ⊙ Y) so that dL/dY = G exactly.
"""

from __future__ import annotations

import itertools

import sympy as sp

from derivations.core import Derivation, Step
from derivations.notation import (
    Elem,
    Entries,
    Grad,
    Model,
    Partial,
    RowSum,
    Transposed,
    add,
    mul,
    quantity,
)

N_IN, N_OUT, BATCH = 3, 4, 2
i, j, k, n, p, r = sp.symbols("i j k n p r", integer=True, positive=True)
N, M, B = sp.symbols("N M B", integer=True, positive=True)
_SIZES = {N: N_IN, M: N_OUT, B: BATCH}

x, W, b, y, g = (
    quantity("x", "x")(),
    quantity("W", "W")(),
    quantity("b", "b")(),
    quantity("y", "y")(),
    quantity("g", "g")(),
)
X, Y, G = quantity("x", "X")(), quantity("y", "Y")(), quantity("g", "G")()
loss = quantity("L", r"\mathcal{L}", scalar=True)()


def model(batch: int, instances: list[tuple[str, dict]] | None = None) -> Model:
    """Y = X W + 1 b and L = sum(G ⊙ Y) for `batch` rows (1: the single-sample layer)."""
    m = Model(instances or [("", dict(_SIZES))])
    xs = m.leaves("x", None, batch, N_IN, level=0)
    ws = m.leaves("W", None, N_IN, N_OUT, level=0)
    bs = m.leaves("b", None, 1, N_OUT, level=0)
    gs = m.leaves("g", None, batch, N_OUT, level=0)
    ys = m.define("y", None, xs * ws + sp.ones(batch, 1) * bs, level=1)
    m.define("L", None, sum(gs.multiply_elementwise(ys)), level=2)
    return m


def _scalar_instances(*names: sp.Symbol) -> list[tuple[str, dict]]:
    limits = {i: N_IN, j: N_OUT, k: N_OUT}
    out = []
    for values in itertools.product(*(range(1, limits[s] + 1) for s in names)):
        env = dict(zip(names, values, strict=True))
        out.append((", ".join(f"{s}={v}" for s, v in env.items()), {**_SIZES, **env}))
    return out


def _y_j() -> sp.Expr:
    return add(sp.Sum(mul(Elem(x, r), Elem(W, r, j)), (r, 1, N)), Elem(b, j))


def dy_dx() -> Derivation:
    """dy_j/dx_i = W_ij."""
    return Derivation(
        name="linear_dy_dx",
        title="Linear layer: output with respect to input, per entry",
        lhs=Partial(Elem(y, j), Elem(x, i)),
        steps=[
            Step(Partial(_y_j(), Elem(x, i)), "definition of $y_j$"),
            Step(
                sp.Sum(mul(sp.KroneckerDelta(r, i), Elem(W, r, j)), (r, 1, N)),
                "only $x_i$ depends on $x_i$",
            ),
            Step(Elem(W, i, j), "only $r = i$ remains"),
        ],
        definition=Elem(y, j),
        wrt=Elem(x, i),
        context=model(1, _scalar_instances(i, j)),
    )


def dy_dW() -> Derivation:
    """dy_j/dW_ik = x_i delta_jk."""
    return Derivation(
        name="linear_dy_dW",
        title="Linear layer: output with respect to weights, per entry",
        lhs=Partial(Elem(y, j), Elem(W, i, k)),
        steps=[
            Step(Partial(_y_j(), Elem(W, i, k)), "definition of $y_j$"),
            Step(
                sp.Sum(
                    mul(Elem(x, r), sp.KroneckerDelta(r, i), sp.KroneckerDelta(j, k)), (r, 1, N)
                ),
                r"$\partial W_{rj} / \partial W_{ik} = \delta_{ri} \delta_{jk}$",
            ),
            Step(mul(Elem(x, i), sp.KroneckerDelta(j, k)), "only $r = i$ remains"),
        ],
        definition=Elem(y, j),
        wrt=Elem(W, i, k),
        context=model(1, _scalar_instances(i, j, k)),
    )


def dy_db() -> Derivation:
    """dy_j/db_k = delta_jk."""
    return Derivation(
        name="linear_dy_db",
        title="Linear layer: output with respect to bias, per entry",
        lhs=Partial(Elem(y, j), Elem(b, k)),
        steps=[
            Step(Partial(_y_j(), Elem(b, k)), "definition of $y_j$"),
            Step(sp.KroneckerDelta(j, k), "only $b_j$ depends on $b$"),
        ],
        definition=Elem(y, j),
        wrt=Elem(b, k),
        context=model(1, _scalar_instances(j, k)),
    )


def _chain(wrt: sp.Expr, *ranges: tuple) -> Entries:
    """[sum_j dL/dy_j dy_j/d(wrt)] over `ranges`: the chain rule through every output."""
    return Entries(
        sp.Sum(mul(Partial(loss, Elem(y, j)), Partial(Elem(y, j), wrt)), (j, 1, M)), *ranges
    )


def grad_x() -> Derivation:
    """grad_x L = g W^T for one sample."""
    return Derivation(
        name="linear_grad_x",
        title="Linear layer: loss gradient with respect to the input (one sample)",
        lhs=Grad(loss, x),
        steps=[
            Step(_chain(Elem(x, i), (i, 1, N)), "chain rule through every $y_j$"),
            Step(
                Entries(sp.Sum(mul(Elem(g, j), Elem(W, i, j)), (j, 1, M)), (i, 1, N)),
                r"$g = \nabla_y \mathcal{L}$ and $\partial y_j / \partial x_i = W_{ij}$",
            ),
            Step(mul(g, Transposed(W)), "row vector times $W^T$"),
        ],
        definition=loss,
        wrt=x,
        conventions=[r"$g = \nabla_y \mathcal{L}$ is the upstream gradient, a row vector like $y$"],
        context=model(1),
    )


def grad_W() -> Derivation:
    """grad_W L = x^T g for one sample."""
    return Derivation(
        name="linear_grad_W",
        title="Linear layer: loss gradient with respect to the weights (one sample)",
        lhs=Grad(loss, W),
        steps=[
            Step(_chain(Elem(W, i, k), (i, 1, N), (k, 1, M)), "chain rule through every $y_j$"),
            Step(
                Entries(
                    sp.Sum(mul(Elem(g, j), Elem(x, i), sp.KroneckerDelta(j, k)), (j, 1, M)),
                    (i, 1, N),
                    (k, 1, M),
                ),
                "scalar derivatives of $y$",
            ),
            Step(
                Entries(mul(Elem(x, i), Elem(g, k)), (i, 1, N), (k, 1, M)), "only $j = k$ remains"
            ),
            Step(mul(Transposed(x), g), "outer product"),
        ],
        definition=loss,
        wrt=W,
        context=model(1),
    )


def grad_b() -> Derivation:
    """grad_b L = g for one sample."""
    return Derivation(
        name="linear_grad_b",
        title="Linear layer: loss gradient with respect to the bias (one sample)",
        lhs=Grad(loss, b),
        steps=[
            Step(_chain(Elem(b, k), (k, 1, M)), "chain rule through every $y_j$"),
            Step(
                Entries(sp.Sum(mul(Elem(g, j), sp.KroneckerDelta(j, k)), (j, 1, M)), (k, 1, M)),
                "scalar derivatives of $y$",
            ),
            Step(g, "only $j = k$ remains"),
        ],
        definition=loss,
        wrt=b,
        context=model(1),
    )


def _batch_chain(wrt: sp.Expr, *ranges: tuple) -> Entries:
    """[sum_p sum_j dL/dY_pj dY_pj/d(wrt)]: through every output of every sample."""
    term = mul(Partial(loss, Elem(Y, p, j)), Partial(Elem(Y, p, j), wrt))
    return Entries(sp.Sum(term, (p, 1, B), (j, 1, M)), *ranges)


def batched_grad_x() -> Derivation:
    """grad_X L = G W^T for a batch (rows are samples)."""
    return Derivation(
        name="linear_batched_grad_x",
        title="Linear layer: loss gradient with respect to a batch of inputs",
        lhs=Grad(loss, X),
        steps=[
            Step(_batch_chain(Elem(X, n, i), (n, 1, B), (i, 1, N)), "chain rule"),
            Step(
                Entries(sp.Sum(mul(Elem(G, n, j), Elem(W, i, j)), (j, 1, M)), (n, 1, B), (i, 1, N)),
                "sample $n$ only feeds row $n$ of $Y$",
            ),
            Step(mul(G, Transposed(W)), "matrix product"),
        ],
        definition=loss,
        wrt=X,
        conventions=[r"rows are samples; $G = \nabla_Y \mathcal{L}$ is the upstream gradient"],
        context=model(BATCH),
    )


def batched_grad_W() -> Derivation:
    """grad_W L = X^T G: the weights are shared, so the samples' gradients add up."""
    return Derivation(
        name="linear_batched_grad_W",
        title="Linear layer: loss gradient with respect to the weights (batch)",
        lhs=Grad(loss, W),
        steps=[
            Step(_batch_chain(Elem(W, i, k), (i, 1, N), (k, 1, M)), "chain rule"),
            Step(
                Entries(sp.Sum(mul(Elem(X, n, i), Elem(G, n, k)), (n, 1, B)), (i, 1, N), (k, 1, M)),
                "scalar derivatives of $y$, for every sample",
            ),
            Step(mul(Transposed(X), G), "matrix product"),
        ],
        definition=loss,
        wrt=W,
        context=model(BATCH),
    )


def batched_grad_b() -> Derivation:
    """grad_b L = sum over the batch of the rows of G."""
    return Derivation(
        name="linear_batched_grad_b",
        title="Linear layer: loss gradient with respect to the bias (batch)",
        lhs=Grad(loss, b),
        steps=[
            Step(_batch_chain(Elem(b, k), (k, 1, M)), "chain rule"),
            Step(
                Entries(sp.Sum(Elem(G, n, k), (n, 1, B)), (k, 1, M)), "$b$ is added to every sample"
            ),
            Step(RowSum(G, n), "sum of the rows $G_n$ of $G$"),
        ],
        definition=loss,
        wrt=b,
        context=model(BATCH),
    )
