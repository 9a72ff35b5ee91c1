"""The one training loop: minibatch gradient descent with a history, held-out evaluation and a
divergence guard, for every assignment (from one sample per step up to the full batch)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from model.losses import Loss
from model.net import Net


@dataclass
class History:
    """What a run recorded, as plain lists (picklable, so the build can cache it).

    Steps are counted from 1 over the whole run. `step_loss[s - 1]` and `step_acc[s - 1]` are the
    mean loss and accuracy of step s's batch, measured before that step's update; the epoch
    lists hold the means over each epoch's steps. Each held-out evaluation is taken after
    `val_step[i]` updates and gives `val_loss[i]` and `val_acc[i]`. Probes (`fit(record=...)`)
    are taken after `record_step[i]` updates and give `records[name][i]`.
    """

    steps_per_epoch: int
    step_loss: list[float] = field(default_factory=list)
    step_acc: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_acc: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    record_step: list[int] = field(default_factory=list)
    records: dict[str, list[Any]] = field(default_factory=dict)


class Diverged(RuntimeError):
    """A run met a non-finite loss; carries the history up to it, the step, epoch and lr."""

    def __init__(self, history: History, step: int, epoch: int, lr: float) -> None:
        super().__init__(
            f"diverged: non-finite loss at step {step} (epoch {epoch}) with learning rate {lr:g}"
        )
        self.history, self.step, self.epoch, self.lr = history, step, epoch, lr

    def __reduce__(self) -> tuple:
        return type(self), (self.history, self.step, self.epoch, self.lr)


def fit(
    net: Net,
    loss: Loss,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int | None = None,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    eval_every: int | None = None,
    shuffle: bool = True,
    seed: int = 0,
    reduction: Literal["mean", "sum"] = "mean",
    drop_last: bool = False,
    progress: bool = True,
    desc: str | None = None,
    record: Mapping[str, Callable[[Net], Any]] | None = None,
    record_every: int | None = None,
) -> History:
    """Train `net` in place by minibatch gradient descent on (x (N, d), y) and return the history.

    - batch_size: samples per step; None (or >= N) is full-batch gradient descent, 1 is SGD
      on single samples. The last, smaller batch of an epoch is used unless drop_last is set.
    - shuffle: reshuffle the samples every epoch with np.random.default_rng(seed); otherwise
      iterate in order (dl2023's notebook). A full batch is never shuffled: order cannot matter.
    - reduction: "mean" descends on the batch-mean loss; "sum" on the batch-sum (dl2023's fit,
      which feeds the unscaled per-sample gradients back). The recorded loss is the mean either way.
    - x_val, y_val: held-out set, evaluated whole after every epoch, or after every
      `eval_every` steps if that is given (hw2 records the test set at every step).
    - The data are cast to the network's dtype (float32 or float64) once, before the first step.
    - A non-finite loss stops the run with `Diverged`, which carries the history so far.
    - progress: a tqdm bar over the steps, shown only on a terminal; `desc` labels it.
    - record: probes {name: fn(net) -> value} (see `model.diagnostics`), taken after every
      epoch, or after every `record_every` steps if that is given, and kept in
      `history.records[name]`; a probe sees the gradients of the step just taken.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', not {reduction!r}")
    if (x_val is None) != (y_val is None) or (eval_every is not None and x_val is None):
        raise ValueError("a held-out evaluation needs both x_val and y_val")
    if record_every is not None and not record:
        raise ValueError("record_every needs probes to record (record={name: fn})")
    dtype = net.dtype
    x = np.asarray(x, dtype=dtype)
    y = np.asarray(y)
    has_val = x_val is not None
    if has_val:
        x_val = np.asarray(x_val, dtype=dtype)
    lr = float(lr)  # a NumPy float64 lr would up-cast every float32 update
    n = len(x)
    size = n if batch_size is None else min(batch_size, n)
    n_batches = n // size if drop_last else -(-n // size)
    shuffle = shuffle and n_batches > 1
    rng = np.random.default_rng(seed)
    history = History(steps_per_epoch=n_batches)
    probes = dict(record or {})
    history.records.update({name: [] for name in probes})

    def take_probes(step: int) -> None:
        history.record_step.append(step)
        for name, probe in probes.items():
            history.records[name].append(probe(net))

    def held_out(step: int, epoch: int) -> None:
        value, acc = evaluate(net, loss, x_val, y_val)
        # listing: elide
        if not math.isfinite(value):
            bar.close()
            raise Diverged(history, step, epoch, lr)
        # listing: end
        history.val_step.append(step)
        history.val_loss.append(value)
        history.val_acc.append(acc)

    # listing: elide
    bar = tqdm(total=epochs * n_batches, desc=desc, unit="step", disable=None if progress else True)
    # listing: end
    step = 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if shuffle else None
        for b in range(n_batches):
            rows = slice(b * size, (b + 1) * size)
            if order is None:
                xb, yb = x[rows], y[rows]
            else:
                rows = order[rows]
                # The rows x[rows] gives, 8 us sooner on a batch of 100 MNIST images.
                xb, yb = x.take(rows, axis=0), y[rows]
            step += 1
            out, trace = net.forward(xb)
            value, dout, trace = net.objective(loss, yb, out, trace)
            # listing: elide
            if not math.isfinite(value):
                bar.close()
                raise Diverged(history, step, epoch, lr)
            # listing: end
            if reduction == "sum":
                dout *= len(xb)
            net.backward(trace, dout)
            net.step(lr)
            history.step_loss.append(value)
            history.step_acc.append(loss.accuracy(yb, out))
            if eval_every is not None and step % eval_every == 0:
                held_out(step, epoch)
            if record_every is not None and step % record_every == 0:
                take_probes(step)
            # listing: elide
            bar.update()
            # listing: end
        history.epoch_loss.append(_epoch_mean(history.step_loss, n_batches))
        history.epoch_acc.append(_epoch_mean(history.step_acc, n_batches))
        if has_val and eval_every is None:
            held_out(step, epoch)
        if probes and record_every is None:
            take_probes(step)
        # listing: elide
        if not bar.disable:  # formatting a postfix nobody sees costs a full-batch step a tenth
            bar.set_postfix(loss=f"{history.epoch_loss[-1]:.4f}")
        # listing: end
    # listing: elide
    bar.close()
    # listing: end
    return history


def evaluate(net: Net, loss: Loss, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) of `net` on (x, y), without changing it: what `fit` records for
    its held-out set after every epoch (through `Net.objective`, so a final Sigmoid with the
    BCE is scored from its logits)."""
    out, trace = net.forward(x)
    return net.objective(loss, y, out, trace)[0], loss.accuracy(y, out)


def _epoch_mean(values: list[float], n: int) -> float:
    """np.mean of the last n values as a float; the last value itself when n is 1 (the same
    float: x / 1 is x), which spares a full-batch run np.mean's 10 us at every epoch."""
    return values[-1] if n == 1 else float(np.mean(values[-n:]))


# Overflow on the way to a non-finite loss is what fit's divergence guard reports, once. Applied
# here rather than as a `with` block in the body, so that a listing of fit shows only training.
fit = np.errstate(over="ignore", invalid="ignore")(fit)
