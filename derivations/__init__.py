"""SymPy derivations of every gradient the reports display, each checked step by step.

`all()` lists them in a stable order, `get(name)` picks one; call `verify()` before showing one
and `to_latex()` to show it.  `DerivationError` is what a wrong step raises.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from derivations import activations, autograd, backprop, gd2d, linear, losses, one_layer, softmax
from derivations.core import Derivation, DerivationError, Equation, Step

__all__ = ["Derivation", "DerivationError", "Equation", "Step", "all", "get", "names"]

# In the order the assignments ask for them.
_BUILDERS: tuple[Callable[[], Derivation], ...] = (
    gd2d.f_partials,
    autograd.linear,
    autograd.exp_sin,
    activations.sigmoid,
    activations.sigmoid_stable,
    activations.relu,
    activations.tanh,
    losses.bce_grad,
    losses.bce_logit,
    losses.logistic_loss,
    losses.mse_grad,
    linear.dy_dx,
    linear.dy_dW,
    linear.dy_db,
    linear.grad_x,
    linear.grad_W,
    linear.grad_b,
    linear.batched_grad_x,
    linear.batched_grad_W,
    linear.batched_grad_b,
    one_layer.grad_x,
    softmax.softmax_diag,
    softmax.softmax_offdiag,
    softmax.softmax_jacobian,
    softmax.cross_entropy_grad,
    softmax.cross_entropy_logits,
    backprop.delta_output,
    backprop.grad_weight,
    backprop.grad_bias,
    backprop.delta_recursion,
    backprop.vector_delta_output,
    backprop.vector_grad_weight,
    backprop.vector_grad_bias,
    backprop.vector_delta_recursion,
    backprop.batch_delta_output,
    backprop.batch_grad_weight,
    backprop.batch_grad_bias,
    backprop.batch_delta_recursion,
)


@cache
def _registry() -> dict[str, Derivation]:
    built = [build() for build in _BUILDERS]
    registry = {d.name: d for d in built}
    if len(registry) != len(built):
        raise RuntimeError("two derivations share a name")
    return registry


def all() -> list[Derivation]:  # shadows the builtin inside this module only
    """Every derivation, in a stable order."""
    return list(_registry().values())


def names() -> list[str]:
    """The names of every derivation, in the order of all()."""
    return list(_registry())


def get(name: str) -> Derivation:
    """The derivation called `name`; KeyError listing the valid names otherwise."""
    try:
        return _registry()[name]
    except KeyError:
        raise KeyError(f"no derivation {name!r}; valid names: {', '.join(_registry())}") from None
