"""Back-propagation for an L-layer network in lab4's notation (lab4 Exercise 1, parts 1-3).

z^(l)_{i,in} = sum_j W^(l)_ji z^(l-1)_{j,out} + b^(l)_i, z^(l)_{i,out} = sigma^(l)(z^(l)_{i,in}),
delta^(l)_i = dL/dz^(l)_{i,in}.  Every identity is checked on a concrete 2-3-2-2 network
(tanh, tanh, sigmoid; mean squared error over the samples), for every layer and unit, one
sample for parts 1-2 and a batch of 2 for part 3, against sp.diff of the whole loss.  The
expressions are too large for simplify, so those checks are numeric (and marked).
"""

from __future__ import annotations

import itertools

import sympy as sp

from derivations.core import Derivation, Step
from derivations.notation import (
    ActPrime,
    Elem,
    Entries,
    Grad,
    Hadamard,
    Model,
    Partial,
    RowSum,
    Transposed,
    Width,
    mul,
    quantity,
)

WIDTHS = (2, 3, 2, 2)
LAYERS = len(WIDTHS) - 1
BATCH = 2
ACTIVATIONS = {1: sp.tanh, 2: sp.tanh, 3: lambda t: 1 / (1 + sp.exp(-t))}

ell, L = sp.symbols(r"\ell L", integer=True, positive=True)
i, j, k, n = sp.symbols("i j k n", integer=True, positive=True)
N = sp.Symbol("N", integer=True, positive=True)

loss = quantity("loss", r"\mathcal{L}", scalar=True)()
# One sample: row vectors, lab4's lower-case names.
z_in = quantity("zin", "z", r"\mathrm{in}")
z_out = quantity("zout", "z", r"\mathrm{out}")
W = quantity("W", "W")
b = quantity("b", "b")
delta = quantity("delta", r"\delta")
# A batch: one row per sample.
Z_in = quantity("zin", "Z", r"\mathrm{in}")
Z_out = quantity("zout", "Z", r"\mathrm{out}")
Delta = quantity("delta", r"\Delta")


def network(batch: int, instances: list[tuple[str, dict]]) -> Model:
    """The 2-3-2-2 network on `batch` samples, with delta^(l) = dL/dZ^(l)_in stored too."""
    m = Model(instances)
    m.set_layers(dict(enumerate(WIDTHS)), ACTIVATIONS)
    z = m.leaves("zout", 0, batch, WIDTHS[0], level=0)
    labels = m.leaves("y", None, batch, WIDTHS[-1], level=0)
    pre = []
    for layer in range(1, LAYERS + 1):
        w = m.leaves("W", layer, WIDTHS[layer - 1], WIDTHS[layer], level=3 * layer - 2)
        bias = m.leaves("b", layer, 1, WIDTHS[layer], level=3 * layer - 2)
        zin = m.define("zin", layer, z * w + sp.ones(batch, 1) * bias, level=3 * layer - 1)
        z = m.define("zout", layer, zin.applyfunc(ACTIVATIONS[layer]), level=3 * layer)
        pre.append(zin)
    residual = labels - z
    total = m.define("loss", None, sum(e**2 for e in residual) / batch, level=3 * LAYERS + 1)
    for layer, zin in enumerate(pre, start=1):
        m.put("delta", layer, zin.applyfunc(lambda s: m.partial(total, s)))
    return m


def _instances(layers: range, *units: tuple[sp.Symbol, int]) -> list[tuple[str, dict]]:
    """Every layer in `layers` and every unit index; (symbol, offset) uses d^(l + offset)."""
    out = []
    for layer in layers:
        spans = [range(1, WIDTHS[layer + offset] + 1) for _, offset in units]
        for values in itertools.product(*spans):
            env = {ell: layer, L: LAYERS, N: BATCH}
            env.update({s: v for (s, _), v in zip(units, values, strict=True)})
            label = ", ".join(f"{s}={v}" for s, v in env.items() if s not in (L, N))
            out.append((label, env))
    return out


_ALL = range(1, LAYERS + 1)
_HIDDEN = range(2, LAYERS + 1)
_LAST = range(LAYERS, LAYERS + 1)
_CONVENTIONS = [
    r"$\mathcal{L}$ is short for $\mathcal{L}(\mathbf{y}, \mathbf{z}^{(L)}_{\cdot,\mathrm{out}})$",
    r"$\mathbf{z}^{(0)}_{\mathrm{out}} = \mathbf{x}$, the input",
]
_ROWS = [
    r"vectors are rows, as in $\mathbf{z}_{\mathrm{in}} = \mathbf{z}_{\mathrm{out}} W + \mathbf{b}$"
]
_RANGES = {"zout0": (-1.5, 1.5), "y": (0.0, 1.0)}


def _derivation(name: str, title: str, **kw) -> Derivation:
    return Derivation(name=name, title=title, definition=loss, ranges=_RANGES, **kw)


# --- part 1: scalar identities, one sample -------------------------------------------------


def delta_output() -> Derivation:
    """delta^(L)_i = dL/dz^(L)_{i,out} sigma'^(L)(z^(L)_{i,in})."""
    return _derivation(
        "backprop_delta_output",
        "Back-propagation: delta of the output layer",
        lhs=Elem(delta(L), i),
        steps=[
            Step(Partial(loss, Elem(z_in(L), i)), r"definition of $\delta$"),
            Step(
                sp.Sum(
                    mul(
                        Partial(loss, Elem(z_out(L), k)),
                        Partial(Elem(z_out(L), k), Elem(z_in(L), i)),
                    ),
                    (k, 1, Width(L)),
                ),
                "chain rule through the outputs",
            ),
            Step(
                mul(Partial(loss, Elem(z_out(L), i)), ActPrime(L, Elem(z_in(L), i))),
                r"$z^{(L)}_{k,\mathrm{out}}$ depends only on $z^{(L)}_{k,\mathrm{in}}$",
            ),
        ],
        wrt=Elem(z_in(L), i),
        conventions=_CONVENTIONS,
        context=network(1, _instances(_LAST, (i, 0))),
    )


def grad_weight() -> Derivation:
    """dL/dW^(l)_ji = delta^(l)_i z^(l-1)_{j,out}."""
    w_ji = Elem(W(ell), j, i)
    return _derivation(
        "backprop_grad_W",
        "Back-propagation: gradient of a weight",
        lhs=Partial(loss, w_ji),
        steps=[
            Step(
                sp.Sum(
                    mul(Partial(loss, Elem(z_in(ell), k)), Partial(Elem(z_in(ell), k), w_ji)),
                    (k, 1, Width(ell)),
                ),
                r"chain rule through layer $\ell$",
            ),
            Step(
                sp.Sum(
                    mul(Elem(delta(ell), k), sp.KroneckerDelta(k, i), Elem(z_out(ell - 1), j)),
                    (k, 1, Width(ell)),
                ),
                r"definition of $\delta$; "
                r"$W^{(\ell)}_{ji}$ enters only $z^{(\ell)}_{i,\mathrm{in}}$",
            ),
            Step(mul(Elem(delta(ell), i), Elem(z_out(ell - 1), j)), "only $k = i$ remains"),
        ],
        wrt=w_ji,
        conventions=_CONVENTIONS,
        context=network(1, _instances(_ALL, (j, -1), (i, 0))),
    )


def grad_bias() -> Derivation:
    """dL/db^(l)_i = delta^(l)_i."""
    b_i = Elem(b(ell), i)
    return _derivation(
        "backprop_grad_b",
        "Back-propagation: gradient of a bias",
        lhs=Partial(loss, b_i),
        steps=[
            Step(
                sp.Sum(
                    mul(Partial(loss, Elem(z_in(ell), k)), Partial(Elem(z_in(ell), k), b_i)),
                    (k, 1, Width(ell)),
                ),
                r"chain rule through layer $\ell$",
            ),
            Step(
                sp.Sum(mul(Elem(delta(ell), k), sp.KroneckerDelta(k, i)), (k, 1, Width(ell))),
                r"definition of $\delta$; "
                r"$b^{(\ell)}_{i}$ enters only $z^{(\ell)}_{i,\mathrm{in}}$",
            ),
            Step(Elem(delta(ell), i), "only $k = i$ remains"),
        ],
        wrt=b_i,
        conventions=_CONVENTIONS,
        context=network(1, _instances(_ALL, (i, 0))),
    )


def delta_recursion() -> Derivation:
    """delta^(l-1)_i = (sum_k delta^(l)_k W^(l)_ik) sigma'^(l-1)(z^(l-1)_{i,in})."""
    zin_i, zout_i = Elem(z_in(ell - 1), i), Elem(z_out(ell - 1), i)
    through = sp.Sum(
        mul(
            Partial(loss, Elem(z_in(ell), k)),
            Partial(Elem(z_in(ell), k), zout_i),
            Partial(zout_i, zin_i),
        ),
        (k, 1, Width(ell)),
    )
    return _derivation(
        "backprop_delta_recursion",
        "Back-propagation: delta of a layer from the delta of the next",
        lhs=Elem(delta(ell - 1), i),
        steps=[
            Step(Partial(loss, zin_i), r"definition of $\delta$"),
            Step(
                through, r"chain rule: layer $\ell - 1$ reaches the loss only through layer $\ell$"
            ),
            Step(
                sp.Sum(
                    mul(Elem(delta(ell), k), Elem(W(ell), i, k), ActPrime(ell - 1, zin_i)),
                    (k, 1, Width(ell)),
                ),
                r"definition of $\delta$ and of $z^{(\ell)}_{k,\mathrm{in}}$",
            ),
            Step(
                mul(
                    sp.Sum(mul(Elem(delta(ell), k), Elem(W(ell), i, k)), (k, 1, Width(ell))),
                    ActPrime(ell - 1, zin_i),
                ),
                r"$\sigma'$ does not depend on $k$",
            ),
        ],
        wrt=zin_i,
        conventions=_CONVENTIONS,
        context=network(1, _instances(_HIDDEN, (i, -1))),
    )


# --- part 2: vectorised, one sample ---------------------------------------------------------


def vector_delta_output() -> Derivation:
    """delta^(L) = grad_{z_out} L ⊙ sigma'^(L)(z^(L)_in)."""
    return _derivation(
        "backprop_vector_delta_output",
        "Back-propagation, vectorised: delta of the output layer",
        lhs=delta(L),
        steps=[
            Step(Entries(Elem(delta(L), i), (i, 1, Width(L))), "entry by entry"),
            Step(
                Entries(
                    mul(Partial(loss, Elem(z_out(L), i)), ActPrime(L, Elem(z_in(L), i))),
                    (i, 1, Width(L)),
                ),
                "part 1",
            ),
            Step(Hadamard(Grad(loss, z_out(L)), ActPrime(L, z_in(L))), "elementwise product"),
        ],
        wrt=z_in(L),
        conventions=_CONVENTIONS + _ROWS,
        context=network(1, _instances(_LAST)),
    )


def vector_grad_weight() -> Derivation:
    """grad_{W^(l)} L = z^(l-1)T_out delta^(l), an outer product."""
    ranges = ((j, 1, Width(ell - 1)), (i, 1, Width(ell)))
    return _derivation(
        "backprop_vector_grad_W",
        "Back-propagation, vectorised: gradient of the weights",
        lhs=Grad(loss, W(ell)),
        steps=[
            Step(Entries(Partial(loss, Elem(W(ell), j, i)), *ranges), "entry by entry"),
            Step(Entries(mul(Elem(z_out(ell - 1), j), Elem(delta(ell), i)), *ranges), "part 1"),
            Step(mul(Transposed(z_out(ell - 1)), delta(ell)), "outer product: column times row"),
        ],
        wrt=W(ell),
        conventions=_CONVENTIONS + _ROWS,
        context=network(1, _instances(_ALL)),
    )


def vector_grad_bias() -> Derivation:
    """grad_{b^(l)} L = delta^(l)."""
    return _derivation(
        "backprop_vector_grad_b",
        "Back-propagation, vectorised: gradient of the biases",
        lhs=Grad(loss, b(ell)),
        steps=[
            Step(Entries(Partial(loss, Elem(b(ell), i)), (i, 1, Width(ell))), "entry by entry"),
            Step(Entries(Elem(delta(ell), i), (i, 1, Width(ell))), "part 1"),
            Step(delta(ell), r"the row vector $\delta^{(\ell)}$"),
        ],
        wrt=b(ell),
        conventions=_CONVENTIONS + _ROWS,
        context=network(1, _instances(_ALL)),
    )


def vector_delta_recursion() -> Derivation:
    """delta^(l-1) = delta^(l) W^(l)T ⊙ sigma'^(l-1)(z^(l-1)_in)."""
    rows = (i, 1, Width(ell - 1))
    return _derivation(
        "backprop_vector_delta_recursion",
        "Back-propagation, vectorised: delta of a layer from the next",
        lhs=delta(ell - 1),
        steps=[
            Step(Entries(Elem(delta(ell - 1), i), rows), "entry by entry"),
            Step(
                Entries(
                    mul(
                        sp.Sum(mul(Elem(delta(ell), k), Elem(W(ell), i, k)), (k, 1, Width(ell))),
                        ActPrime(ell - 1, Elem(z_in(ell - 1), i)),
                    ),
                    rows,
                ),
                "part 1",
            ),
            Step(
                Hadamard(mul(delta(ell), Transposed(W(ell))), ActPrime(ell - 1, z_in(ell - 1))),
                r"the sum is entry $i$ of $\delta^{(\ell)} W^{(\ell)T}$",
            ),
        ],
        wrt=z_in(ell - 1),
        conventions=_CONVENTIONS + _ROWS,
        context=network(1, _instances(_HIDDEN)),
    )


# --- part 3: a batch, one row per sample -----------------------------------------------------


def batch_delta_output() -> Derivation:
    """Delta^(L) = grad_{Z_out} L ⊙ sigma'^(L)(Z^(L)_in)."""
    ranges = ((n, 1, N), (i, 1, Width(L)))
    return _derivation(
        "backprop_batch_delta_output",
        "Back-propagation, batched: Delta of the output layer",
        lhs=Delta(L),
        steps=[
            Step(
                Entries(Partial(loss, Elem(Z_in(L), n, i)), *ranges),
                r"row $n$ holds sample $n$'s $\delta$",
            ),
            Step(
                Entries(
                    mul(Partial(loss, Elem(Z_out(L), n, i)), ActPrime(L, Elem(Z_in(L), n, i))),
                    *ranges,
                ),
                "each output depends only on its own input",
            ),
            Step(Hadamard(Grad(loss, Z_out(L)), ActPrime(L, Z_in(L))), "elementwise product"),
        ],
        wrt=Z_in(L),
        conventions=_CONVENTIONS + ["row $n$ of a batch matrix belongs to sample $n$"],
        context=network(BATCH, _instances(_LAST)),
    )


def batch_grad_weight() -> Derivation:
    """grad_{W^(l)} L = Z^(l-1)T_out Delta^(l): the samples' outer products add up."""
    ranges = ((j, 1, Width(ell - 1)), (i, 1, Width(ell)))
    w_ji = Elem(W(ell), j, i)
    chain = sp.Sum(
        mul(Partial(loss, Elem(Z_in(ell), n, k)), Partial(Elem(Z_in(ell), n, k), w_ji)),
        (n, 1, N),
        (k, 1, Width(ell)),
    )
    return _derivation(
        "backprop_batch_grad_W",
        "Back-propagation, batched: gradient of the weights",
        lhs=Grad(loss, W(ell)),
        steps=[
            Step(Entries(chain, *ranges), "chain rule through every sample"),
            Step(
                Entries(
                    sp.Sum(mul(Elem(Z_out(ell - 1), n, j), Elem(Delta(ell), n, i)), (n, 1, N)),
                    *ranges,
                ),
                "part 1 for each sample",
            ),
            Step(mul(Transposed(Z_out(ell - 1)), Delta(ell)), "matrix product"),
        ],
        wrt=W(ell),
        conventions=_CONVENTIONS + ["the weights are shared by all samples"],
        context=network(BATCH, _instances(_ALL)),
    )


def batch_grad_bias() -> Derivation:
    """grad_{b^(l)} L = sum over the samples of the rows of Delta^(l)."""
    chain = sp.Sum(
        mul(Partial(loss, Elem(Z_in(ell), n, k)), Partial(Elem(Z_in(ell), n, k), Elem(b(ell), i))),
        (n, 1, N),
        (k, 1, Width(ell)),
    )
    return _derivation(
        "backprop_batch_grad_b",
        "Back-propagation, batched: gradient of the biases",
        lhs=Grad(loss, b(ell)),
        steps=[
            Step(Entries(chain, (i, 1, Width(ell))), "chain rule through every sample"),
            Step(
                Entries(sp.Sum(Elem(Delta(ell), n, i), (n, 1, N)), (i, 1, Width(ell))),
                "part 1 for each sample",
            ),
            Step(RowSum(Delta(ell), n), r"sum of the rows $\Delta^{(\ell)}_{n}$"),
        ],
        wrt=b(ell),
        conventions=_CONVENTIONS + ["the biases are shared by all samples"],
        context=network(BATCH, _instances(_ALL)),
    )


def batch_delta_recursion() -> Derivation:
    """Delta^(l-1) = Delta^(l) W^(l)T ⊙ sigma'^(l-1)(Z^(l-1)_in)."""
    ranges = ((n, 1, N), (i, 1, Width(ell - 1)))
    return _derivation(
        "backprop_batch_delta_recursion",
        "Back-propagation, batched: Delta of a layer from the next",
        lhs=Delta(ell - 1),
        steps=[
            Step(
                Entries(Partial(loss, Elem(Z_in(ell - 1), n, i)), *ranges),
                r"definition of $\Delta$",
            ),
            Step(
                Entries(
                    mul(
                        sp.Sum(mul(Elem(Delta(ell), n, k), Elem(W(ell), i, k)), (k, 1, Width(ell))),
                        ActPrime(ell - 1, Elem(Z_in(ell - 1), n, i)),
                    ),
                    *ranges,
                ),
                "part 1 for sample $n$",
            ),
            Step(
                Hadamard(mul(Delta(ell), Transposed(W(ell))), ActPrime(ell - 1, Z_in(ell - 1))),
                "matrix product, then elementwise",
            ),
        ],
        wrt=Z_in(ell - 1),
        conventions=_CONVENTIONS,
        context=network(BATCH, _instances(_HIDDEN)),
    )
