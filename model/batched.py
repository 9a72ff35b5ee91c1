"""Many small networks of one shape trained at once: their parameters stacked along a leading axis.

Seeds, initialisations and learning rates that differ only in numbers need no Python loop per
network: every weight matrix becomes a stack W (K, n_in, n_out) and each step is a handful of
`np.matmul` calls on stacks, the same arithmetic as `model.train.fit` does for one network
(full-batch gradient descent), so `fit_many(nets, ...)` gives what
`[fit(net, ...) for net in nets]` gives, to rounding, in a fraction of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from model.functional import sigmoid
from model.layers import Identity, Linear, ReLU, Sigmoid, Tanh
from model.losses import BCE, MSE, Loss, bce_with_logits
from model.net import Net
from model.train import Diverged, History

_ACTIVATIONS = (Identity, ReLU, Sigmoid, Tanh)


def _check_shapes(nets: Sequence[Net]) -> list[type]:
    """The layer types of the first net, after checking that every net has its layers and shapes."""
    if not nets:
        raise ValueError("fit_many needs at least one network")
    kinds = [type(layer) for layer in nets[0].layers]
    shapes = [np.shape(p) for _, p in nets[0].parameters()]
    for k, net in enumerate(nets):
        if [type(layer) for layer in net.layers] != kinds:
            raise ValueError(f"network {k} has layers {net!s:.60}, not those of network 0")
        if [np.shape(p) for _, p in net.parameters()] != shapes:
            raise ValueError(f"network {k}'s parameter shapes differ from network 0's")
    for kind in kinds:
        if kind is not Linear and kind not in _ACTIVATIONS:
            raise ValueError(f"fit_many cannot stack a {kind.__name__} layer")
    return kinds


def fit_many(
    nets: Sequence[Net],
    loss: Loss,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float | Sequence[float],
) -> list[History]:
    """Train every net of `nets` in place by full-batch gradient descent on (x (N, d), y).

    The same as `[fit(net, loss, x, y, epochs=epochs, lr=r, progress=False) for net, r in
    zip(nets, lr)]` for networks of one architecture (Linear, Sigmoid, Tanh, ReLU, Identity
    layers) under `BCE` or `MSE`; only the order of the floating-point products inside a matrix
    multiply may differ. `lr` is one rate for all or one per net. Afterwards each net holds its
    trained parameters and the gradients of its last step, as after `fit`, and the returned
    histories are those `fit` would return. A net whose loss turns non-finite raises `Diverged`
    (with that net's history and its index in the message), as `fit` would.
    """
    if not isinstance(loss, BCE | MSE):
        raise ValueError(f"fit_many supports the BCE and MSE losses, not {loss!r}")
    kinds = _check_shapes(nets)
    n_nets = len(nets)
    rates = np.broadcast_to(np.asarray(lr, dtype=np.float64), (n_nets,))
    dtype = nets[0].dtype
    # One rate per net as a (K, 1, 1) column in the parameters' type: multiplying a stack by it
    # rounds each net's rate as `fit`'s Python float does.
    lr_col = rates.astype(dtype)[:, None, None]
    x = np.asarray(x, dtype=dtype)
    y = np.asarray(y)
    n = len(x)
    # Stacks W (K, n_in, n_out), b (K, 1, n_out), one Linear layer after another.
    linear = [i for i, kind in enumerate(kinds) if kind is Linear]
    W = {i: np.stack([net.layers[i].W for net in nets]) for i in linear}
    b = {i: np.stack([net.layers[i].b for net in nets])[:, None, :] for i in linear}
    dW: dict[int, np.ndarray] = {}
    db: dict[int, np.ndarray] = {}
    # A final Sigmoid under BCE is differentiated from its logit, as Net.objective does.
    from_logits = isinstance(loss, BCE) and kinds[-1] is Sigmoid
    losses = np.empty((epochs, n_nets))
    accs = np.empty((epochs, n_nets))
    target = y.astype(dtype).reshape(n, -1)
    layers = nets[0].layers
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(epochs):
            inputs, out = [], x
            for i, kind in enumerate(kinds):
                inputs.append(out)
                if kind is Linear:
                    out = out @ W[i]
                    out += b[i]
                else:
                    out = kind.f(out)
            stop = len(kinds)
            if from_logits:
                z = inputs[-1]
                values = bce_with_logits(target, z).mean(axis=(1, 2))
                grad = (sigmoid(z) - target) / n
                stop -= 1
            elif isinstance(loss, BCE):
                values = np.asarray([loss.value(target, o) for o in out])
                grad = np.stack([loss(target, o)[1] for o in out])
            else:
                diff = out - target
                values = np.sum(diff * diff, axis=(1, 2)) / n
                grad = 2 * (out - target) / n
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                k = int(bad[0])
                history = _history(losses[:step, k], accs[:step, k])
                error = Diverged(history, step + 1, step + 1, float(rates[k]))
                error.add_note(f"network {k} of the {n_nets} trained together")
                raise error
            losses[step] = values
            accs[step] = _accuracy(target, out)
            for i in reversed(range(stop)):
                kind, inp = kinds[i], inputs[i]
                if kind is Linear:
                    dW[i] = np.swapaxes(inp, -1, -2) @ grad
                    db[i] = grad.sum(axis=-2, keepdims=True)
                    if i > 0:
                        grad = grad @ np.swapaxes(W[i], -1, -2)
                elif i > 0:
                    # The layer's own elementwise derivative, applied to the stacks.
                    below = inputs[i + 1] if i + 1 < len(inputs) else out
                    grad = layers[i]._dx(inp, grad, below)
            for i in linear:
                W[i] -= lr_col * dW[i]
                b[i] -= lr_col * db[i]
    for k, net in enumerate(nets):
        for i in linear:
            layer = net.layers[i]
            layer.W[...] = W[i][k]
            layer.b[...] = b[i][k, 0]
            layer.dW, layer.db = dW[i][k].copy(), db[i][k, 0].copy()
    return [_history(losses[:, k], accs[:, k]) for k in range(n_nets)]


def _accuracy(target: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Each net's `model.losses.accuracy` of its outputs out (K, N, n_out): threshold or argmax."""
    if out.shape[-1] > 1:
        return np.mean(out.argmax(axis=-1) == target.argmax(axis=-1), axis=-1)
    return np.mean((target > 0.5) == (out > 0.5), axis=(1, 2))


def _history(loss: np.ndarray, acc: np.ndarray) -> History:
    """A full-batch run's history: one step per epoch, so the epoch lists repeat the steps'."""
    steps = [float(v) for v in loss]
    accs = [float(v) for v in acc]
    return History(steps_per_epoch=1, step_loss=steps, step_acc=accs,
                   epoch_loss=list(steps), epoch_acc=list(accs))



def fit_recorded(nets: Sequence[Net], loss: Loss, x: np.ndarray, y: np.ndarray, *,
                 probe: Callable[[Net], dict] | None = None,
                 **fit: float | Sequence[float]) -> list[dict]:
    """`fit_many(nets, loss, x, y, **fit)` (`fit`: its `epochs` and `lr`), with what a report
    quotes of each run: one record per net.

    A record holds `loss`, the loss after each of 0..epochs updates (epochs + 1 values: those
    `fit_many` measured before each update, then `loss.value` after the last), `probe(net)`
    measured before training as `start`, and `probe(net)` after training merged in.
    """
    probe = probe or (lambda net: {})
    starts = [probe(net) for net in nets]
    histories = fit_many(nets, loss, x, y, **fit)
    return [probe(net) | {"start": start, "loss": np.append(history.step_loss,
                                                            loss.value(y, net.forward(x)[0]))}
            for net, start, history in zip(nets, starts, histories, strict=True)]


def snapshot(net: Net, loss: Loss, x: np.ndarray, y: np.ndarray,
             grid: np.ndarray | None = None) -> dict:
    """What an explanation of a small classifier quotes at one moment of training (a probe
    for `fit_recorded`): `out`, its first output on x; `acc`; `grads`, every parameter's
    gradient norm after one backward pass of `loss` on (x, y); `saturated`, the share of
    saturated units per sigmoid/tanh layer on x; with `grid` (points (M, d)), `grid_out`, the
    first output there. The net keeps the gradients of that backward pass."""
    from model.diagnostics import gradient_norms, saturated_fraction  # sympy: only when used

    out, trace = net.forward(x)
    _, grad, trace = net.objective(loss, y, out, trace)
    net.backward(trace, grad)
    state = {"out": out[:, 0], "acc": loss.accuracy(y, out), "grads": gradient_norms(net),
             "saturated": saturated_fraction(net, x)}
    return state if grid is None else state | {"grid_out": net.forward(grid)[0][:, 0]}
