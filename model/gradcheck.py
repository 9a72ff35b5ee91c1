"""The one gradient checker: central differences against analytic gradients.

Every test and every report table compares gradients through `rel_error`, with the bands of
CS231n's gradient check: below `SMOOTH_BAND` is right for a smooth function in float64, below
`KINK_BAND` is acceptable when the function has kinks (ReLU).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from model.losses import Loss
from model.net import Net

H = 1e-5
"""Step of the central differences. The truncation error h^2 |f'''| / 6 and the rounding error,
about 1e-16 |f| / h, balance near h = (1e-16)^(1/3), about 1e-5, where both are about 1e-11."""

SMOOTH_BAND = 1e-7
KINK_BAND = 1e-4


def rel_error(a: np.ndarray, n: np.ndarray) -> float:
    """max over elements of |a - n| / max(1e-8, |a| + |n|) (0.0 for empty arrays).

    Elementwise, so a wrong small entry is not hidden by large right ones; the floor 1e-8 keeps
    entries that are both (nearly) zero from dividing by zero.
    """
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))


def numeric_grad(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = H) -> np.ndarray:
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h for every entry i of x.

    f maps an array of x's shape to a number. x is perturbed in place, one entry at a time, and
    each entry is restored to its exact old value, so f may read x through any alias (a layer's
    weight matrix, say). Returns a float64 array of x's shape.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


@dataclass(frozen=True)
class GradCheck:
    """One row of a gradient-check table."""

    name: str
    analytic: np.ndarray
    numeric: np.ndarray
    abs_error: float
    rel_error: float

    @classmethod
    def of(cls, name: str, analytic: np.ndarray, numeric: np.ndarray) -> GradCheck:
        """Compare two gradients of the same shape: max |a - n| and `rel_error`."""
        analytic = np.array(analytic, dtype=np.float64)
        numeric = np.array(numeric, dtype=np.float64)
        if analytic.shape != numeric.shape:
            raise ValueError(f"{name}: analytic {analytic.shape} vs numeric {numeric.shape}")
        abs_err = float(np.max(np.abs(analytic - numeric))) if analytic.size else 0.0
        return cls(name, analytic, numeric, abs_err, rel_error(analytic, numeric))


def check_function(
    f: Callable[[np.ndarray], float],
    grad_f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    name: str = "x",
) -> GradCheck:
    """Check grad_f, the claimed gradient of f: R^n -> R (x of any shape), at x."""
    analytic = np.array(grad_f(x), dtype=np.float64)
    return GradCheck.of(name, analytic, numeric_grad(f, x))


def check_net(net: Net, loss: Loss, x: np.ndarray, y: np.ndarray,
              analytic: Sequence[np.ndarray] | None = None) -> list[GradCheck]:
    """Check the backward pass of `net` for every parameter, on the batch (x, y).

    `loss` is a loss object (`model.losses.BCE`, ...): the analytic gradients are those of its
    mean loss after one forward and backward pass, the numeric ones perturb each parameter in
    place. Given `analytic` (one gradient per parameter, in `net.parameters()` order), those
    are checked instead: another implementation's backward pass (an assignment's own, on a
    `Net` that shares its arrays), against the same numeric gradients. Returns one `GradCheck`
    per parameter, in `net.parameters()` order (W1, b1, ...).
    """
    if analytic is None:
        out, trace = net.forward(x)
        _, dout, trace = net.objective(loss, y, out, trace)
        net.backward(trace, dout)
        analytic = [grad.copy() for _, grad in net.gradients()]
    return check_stored(net, lambda: net.objective(loss, y, *net.forward(x))[0], analytic)


def check_layer(layer: object, x: np.ndarray, dy: np.ndarray, name: str = "") -> list[GradCheck]:
    """Check a layer's backward pass at the batch x for the upstream gradient dy.

    The checked function is sum(dy * layer.forward(x)), whose gradients are what
    `layer.backward(x, dy)` returns (dx) and stores (d<param> for each of `layer.params`); a dy
    other than all ones catches a backward pass that ignores its upstream gradient. Returns the
    rows "<name> dx" and "<name> d<param>" (name defaults to the layer's class name).
    """
    name = name or type(layer).__name__

    def total(_: np.ndarray) -> float:
        return float(np.sum(dy * layer.forward(x)))

    dx = layer.backward(x, dy)
    rows = [GradCheck.of(f"{name} d{param}", getattr(layer, f"d{param}"),
                         numeric_grad(total, getattr(layer, param))) for param in layer.params]
    return [GradCheck.of(f"{name} dx", dx, numeric_grad(total, x)), *rows]


def difference_errors(fn: Callable[[np.ndarray], np.ndarray], exact: np.ndarray, x: np.ndarray,
                      steps: np.ndarray) -> dict[str, np.ndarray]:
    """For each step e: the largest error, over the points x, of the central difference
    (fn(x + e/2) - fn(x - e/2)) / e and of the forward difference (fn(x + e) - fn(x)) / e of
    the elementwise `fn` against its `exact` derivative at x. Returns {"central", "forward"}."""
    central = [np.max(np.abs((fn(x + e / 2) - fn(x - e / 2)) / e - exact)) for e in steps]
    forward = [np.max(np.abs((fn(x + e) - fn(x)) / e - exact)) for e in steps]
    return {"central": np.array(central), "forward": np.array(forward)}


def spot_check(net: Net, loss: Loss, x: np.ndarray, y: np.ndarray, per_param: int,
               seed: int = 0) -> list[GradCheck]:
    """`check_net` on `per_param` entries of each parameter, for nets too large to perturb whole.

    The entries are drawn (default_rng(seed)) among those with a non-zero gradient: a weight
    from a pixel that is blank in every image of the batch has gradient exactly 0, on both
    sides. Returns one `GradCheck` per parameter, in `net.parameters()` order.
    """
    out, trace = net.forward(x)
    _, dout, trace = net.objective(loss, y, out, trace)
    net.backward(trace, dout)
    analytic = [grad.reshape(-1).copy() for _, grad in net.gradients()]
    rng = np.random.default_rng(seed)

    def f(_: np.ndarray) -> float:
        return net.objective(loss, y, *net.forward(x))[0]

    checks = []
    for (name, param), grad in zip(net.parameters(), analytic, strict=True):
        picks = rng.choice(np.flatnonzero(grad), size=per_param, replace=False)
        flat = param.reshape(-1)  # a view: perturbing it perturbs the layer's own weights
        numeric = [numeric_grad(f, flat[i:i + 1])[0] for i in picks]
        checks.append(GradCheck.of(name, grad[picks], np.array(numeric)))
    return checks


# --- checks of plain-Python networks and sweeps over the step ---------------------------------

def attribute_grads(obj: object, names: Sequence[str],
                    loss: Callable[[], float]) -> dict[str, np.ndarray]:
    """Central differences of `loss()` in every entry of each list-valued attribute of `obj`
    named in `names` (a plain-Python network's W, b, ...): {name: gradient as an array}.

    Each attribute is set to the perturbed values as a list (the form plain-Python code reads)
    and put back afterwards, so `obj` ends as it started.
    """
    grads = {}
    for name in names:
        old = getattr(obj, name)

        def f(value: np.ndarray, name: str = name) -> float:
            setattr(obj, name, value.tolist())
            return loss()

        grads[name] = numeric_grad(f, np.array(old, dtype=np.float64))
        setattr(obj, name, old)
    return grads


def step_sweep(error_at: Callable[[float], float], steps: Sequence[float],
               default: float = H) -> dict:
    """A finite-difference error over a range of steps: `error_at(h)` for each of `steps`
    (`error`), the step with the smallest error (`best_eps`, `best_error`), the error at the step
    nearest `default` (`default_error`), and whether the error is more than a thousand times the
    smallest at both ends of the range (`grows_both_sides`: truncation on one side, round-off on
    the other)."""
    eps = np.asarray(steps, dtype=np.float64)
    err = np.array([error_at(h) for h in eps])
    best = int(np.argmin(err))
    return {"eps": eps, "error": err, "best_eps": float(eps[best]), "best_error": float(err[best]),
            "default_error": float(err[int(np.argmin(np.abs(np.log(eps / default))))]),
            "grows_both_sides": bool(min(err[0], err[-1]) > 1e3 * err[best])}


# --- gradients a hand-written backward pass stored, checked ------------------------------------

def check_stored(net: Net, loss: Callable[[], float],
                 analytic: Sequence[np.ndarray] | None = None) -> list[GradCheck]:
    """Every parameter's gradient as `net.gradients()` holds it (left there by any backward
    pass, a lab's own say), or `analytic` (one per parameter) when given, against central
    differences of `loss()`, which must read the parameters (they are perturbed in place).
    One `GradCheck` per parameter, W1, b1, ..."""
    grads = [grad for _, grad in net.gradients()] if analytic is None else analytic
    return [GradCheck.of(name, grad, numeric_grad(lambda _: loss(), p))
            for (name, p), grad in zip(net.parameters(), grads, strict=True)]
