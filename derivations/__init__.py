"""SymPy derivations of every gradient the reports display, each checked step by step.

`all()` lists them in a stable order, `get(name)` picks one; call `verify()` before showing one
and `to_latex()` to show it.  `DerivationError` is what a wrong step raises. A report adds its
own with the `@register` decorator; nothing here needs editing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from derivations import activations, autograd, backprop, gd2d, linear, losses, one_layer, softmax
from derivations.core import Derivation, DerivationError, Equation, Step

__all__ = ["Derivation", "DerivationError", "Equation", "Step", "all", "builder_of", "builders",
           "get", "names", "register"]

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


# Registered by reports (`@derivations.register`), in the order they were registered.
_REGISTERED: dict[str, Callable[[], Derivation]] = {}


def register(builder: Callable[[], Derivation]) -> Callable[[], Derivation]:
    """Add a report's own derivation: `builder()` returns it. Use as a decorator.

    A registered derivation is verified, cached and footnoted like the core's; its cache key
    covers the builder's code (see `builder_of`). Registering the same function twice (a
    module imported again) keeps one copy.
    """
    _REGISTERED[f"{builder.__module__}.{builder.__qualname__}"] = builder
    _built.cache_clear()
    return builder


@cache
def _built() -> dict[str, tuple[Derivation, Callable[[], Derivation]]]:
    built: dict[str, tuple[Derivation, Callable[[], Derivation]]] = {}
    for build in builders():
        derivation = build()
        if derivation.name in built:
            other = built[derivation.name][1]
            raise DerivationError(
                f"two derivations are called {derivation.name!r}: "
                f"{other.__module__}.{other.__qualname__} and "
                f"{build.__module__}.{build.__qualname__}")
        built[derivation.name] = (derivation, build)
    return built


def _registry() -> dict[str, Derivation]:
    return {name: derivation for name, (derivation, _) in _built().items()}


def all() -> list[Derivation]:  # shadows the builtin inside this module only
    """Every derivation, the core's first, in a stable order."""
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


def builders() -> list[Callable[[], Derivation]]:
    """Every builder function, the core's first, without building anything."""
    return [*_BUILDERS, *_REGISTERED.values()]


def builder_of(name: str) -> Callable[[], Derivation]:
    """The function that builds derivation `name`: a cache key of its verification hashes it."""
    get(name)
    return _built()[name][1]
