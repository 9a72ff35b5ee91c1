"""mlp-numpy: Assignment 1, "Implementing an MLP using NumPy" — experiment configs and context."""

from __future__ import annotations

from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from figures import mlp_numpy as fig
from model import SoftmaxCE, fit
from model import scalar as sc
from model.assignments.mlp_numpy import forward_backward, from_scalar, make_net
from model.data import SYNTH_RADIUS, load_mnist, load_synth, read_mnist
from model.functional import softmax, softmax_jacobian
from model.gradcheck import (
    KINK_BAND,
    SMOOTH_BAND,
    GradCheck,
    check_function,
    check_net,
    numeric_grad,
)
from model.gradcheck import rel_error as grad_rel_error
from model.init import glorot_uniform
from model.losses import softmax_cross_entropy
from report.fragments import gradcheck_table, matrix, table
from report.latex import NoEscape, fmt_num
from report.numbers import num, pm
from report.spec import Experiment, FigureSpec, Report, claim
from report.sweep import grid, sweep

# --- Q1 and Q2: the local derivatives, checked on numbers -----------------------------------------

# A target logit 800 below the others makes y_c underflow to 0 in float64 (e^-800 < 1e-323).
SOFTMAX = {"seed": 3, "classes": 4, "target": 2, "gap": 800.0}


def ce_grad_y(y: np.ndarray, c: int) -> np.ndarray:
    """Q1's dl/dy_i for l = -log y_c: -1/y_c at i = c, 0 elsewhere; (K,)."""
    grad = np.zeros_like(y)
    with np.errstate(divide="ignore"):  # y_c = 0 gives -inf, which Q2's comparison shows
        grad[c] = -1 / y[c]
    return grad


def chained_grad_o(o: np.ndarray, c: int) -> np.ndarray:
    """dl/do_j = sum_i dl/dy_i dy_i/do_j: the chain rule through Q1's two local derivatives."""
    y = softmax(o)
    with np.errstate(invalid="ignore"):  # 0 * inf = nan once y_c has underflowed
        return softmax_jacobian(y).T @ ce_grad_y(y, c)


def run_softmax_ce(config: dict) -> dict[str, Any]:
    """Q1/Q2 on numbers: the local derivatives, their chain, Q2's formula, central differences.

    Then the chain and Q2's formula again on logits where the target's probability underflows.
    """
    k, c = config["classes"], config["target"]
    o = np.random.default_rng(config["seed"]).normal(0.0, 2.0, size=k)
    y = softmax(o)
    onehot = np.eye(k)[c]
    jac_numeric = np.stack([numeric_grad(lambda v, i=i: softmax(v)[i], o.copy()) for i in range(k)])
    loss_check = check_function(lambda v: -np.log(softmax(v)[c]), lambda v: softmax(v) - onehot,
                                o.copy(), "dl/do")
    far = np.zeros(k)
    far[c] = -config["gap"]
    y_far = softmax(far)
    with np.errstate(divide="ignore"):
        naive_loss = float(-np.log(y_far[c]))
    return {
        "o": o, "y": y, "dl_dy": ce_grad_y(y, c), "jacobian": softmax_jacobian(y),
        "jacobian_rel_error": grad_rel_error(softmax_jacobian(y), jac_numeric),
        "chained": chained_grad_o(o, c), "direct": y - onehot, "numeric": loss_check.numeric,
        "numeric_rel_error": loss_check.rel_error,
        "far_o": far, "far_y": y_far, "far_chained": chained_grad_o(far, c),
        "far_direct": y_far - onehot, "far_naive_loss": naive_loss,
        "far_stable_loss": softmax_cross_entropy(np.array([c]), far[None, :])[0],
    }


# --- Q3: one forward and one backward pass in plain Python ----------------------------------------

# The input and target of the network in the text's (missing) picture, and the derivatives the
# text says one should get; they are inputs to check against, not results.
Q3 = {"x": [1.0, -1.0], "target": 0,
      "expected": {"W": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "b": [0.0, 0.0, 0.0],
                   "V": [[-0.4404, 0.4404], [-0.4404, 0.4404], [-0.4404, 0.4404]],
                   "c": [-0.5, 0.5]}}
PARAMS = ("W", "b", "V", "c")


def _scalar_loss(net: sc.ScalarMLP, name: str, x: list[float], target: int):
    """The loss as a function of one parameter array of `net`, for central differences."""

    def loss(value: np.ndarray) -> float:
        setattr(net, name, value.tolist())
        return sc.forward_backward(net, x, target)[0]

    return loss


def run_q3(config: dict) -> dict[str, Any]:
    """Q3: the pass of `model.scalar` on the text's network, checked two independent ways.

    Central differences perturb each parameter of the plain-Python network; the core's
    vectorised network (`from_scalar`) computes the same gradients with matrices.
    """
    x, target = config["x"], config["target"]
    net = sc.q3_network()
    k, h, o, y = sc.forward(net, x)
    loss, grads = sc.forward_backward(net, x, target)
    _, core = forward_backward(from_scalar(net), np.array([x]), np.array([target]))
    numeric_rel, core_diff = {}, {}
    for name, core_name in zip(PARAMS, ("W1", "b1", "W2", "b2"), strict=True):
        probe = sc.q3_network()
        analytic = np.array(getattr(grads, name))
        numeric = numeric_grad(_scalar_loss(probe, name, x, target), np.array(getattr(probe, name)))
        numeric_rel[name] = GradCheck.of(name, analytic, numeric).rel_error
        core_diff[name] = float(np.max(np.abs(core[core_name] - analytic)))
    return {
        "net": {name: getattr(net, name) for name in PARAMS},
        "k": k, "h": h, "o": o, "y": y, "loss": loss,
        "grads": {name: getattr(grads, name) for name in PARAMS},
        "numeric_rel_error": numeric_rel, "core_max_diff": core_diff,
    }


# --- Q4: training the plain-Python network on the synthetic data --------------------------------

SYNTH = {"n_train": 20_000, "epochs": 3, "lr": 0.01, "hidden": 3, "seed": 0, "grid": 121,
         "grid_box": 3.0}


def run_synth(config: dict) -> dict[str, Any]:
    """Q4: a look at the data, then per-instance SGD with `model.scalar`, epoch by epoch.

    The first `n_train` of the 60,000 training points (the plain-Python loop costs about 13 µs
    per instance); the validation loss and accuracy are taken before training and after every
    epoch, and the trained network's class-1 probability on a grid over the plane.
    """
    (x, y), (x_val, y_val), num_cls = load_synth()
    xs, ys = x[: config["n_train"]].tolist(), y[: config["n_train"]].tolist()
    val = (x_val.tolist(), y_val.tolist())
    net = sc.random_network(2, config["hidden"], num_cls, seed=config["seed"])
    step_loss, val_loss, val_acc = [], [], []
    for epoch in range(config["epochs"] + 1):
        if epoch:
            # A fresh shuffling seed every epoch; `train` reshuffles with random.Random(seed).
            step_loss += sc.train(net, xs, ys, epochs=1, lr=config["lr"],
                                  seed=config["seed"] * 1000 + epoch)
        loss, acc = sc.evaluate(net, *val)
        val_loss.append(loss)
        val_acc.append(acc)
    axis = np.linspace(-config["grid_box"], config["grid_box"], config["grid"])
    grid = [[sc.forward(net, [u, v])[3][1] for u in axis] for v in axis]
    return {
        "n_train": len(x), "n_val": len(x_val), "num_cls": num_cls,
        "head": x[:5], "head_labels": y[:5], "min": float(x.min()), "max": float(x.max()),
        "mean": x.mean(axis=0), "std": x.std(axis=0), "class1": float(y.mean()),
        "scatter": x_val[:1500], "scatter_labels": y_val[:1500],
        "step_loss": np.array(step_loss), "val_loss": val_loss, "val_acc": val_acc,
        "grid_axis": axis, "grid_p1": np.array(grid), "radius": SYNTH_RADIUS,
    }


# --- Q5 and Q6: the vectorised, batched network on MNIST ----------------------------------------

MNIST_STATS = {"num_val": 5_000, "show": 12}
# A float64 twin of the network narrowed to 16 hidden units: central differences over all its
# 12,730 parameters take about a second (over the 238,510 of 784-300-10, half a minute).
GRADCHECK = {"n_in": 784, "hidden": 16, "n_out": 10, "batch": 4, "seed": 0}
BATCHED = {"batch": 100, "seed": 0}
SATURATED = 0.01  # a hidden unit whose slope sigma'(k) is below this (its maximum is 1/4)


def run_mnist_stats(config: dict) -> dict[str, Any]:
    """Q5: what the data look like before and after scaling, and the sizes of both splits."""
    train_images, train_labels, _, _ = read_mnist()
    (x, y), (x_val, _), num_cls = load_mnist(num_val=config["num_val"], dtype=np.float32)
    (x_all, _), (x_test, _), _ = load_mnist(final=True, dtype=np.float32)
    return {
        "raw_dtype": str(train_images.dtype), "raw_shape": train_images.shape,
        "raw_min": int(train_images.min()), "raw_max": int(train_images.max()),
        "min": float(x.min()), "max": float(x.max()), "mean": float(x.mean()),
        "n_train": len(x), "n_val": len(x_val), "n_all": len(x_all), "n_test": len(x_test),
        "n_features": x.shape[1], "num_cls": num_cls,
        "class_counts": np.bincount(y, minlength=num_cls),
        "images": train_images[: config["show"]], "labels": train_labels[: config["show"]],
    }


def _first_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first n training images as the loader scales them, in float64, and their labels."""
    (x, y), _, _ = load_mnist(dtype=np.float32)
    return x[:n].astype(np.float64), y[:n]


def _worst_entry_grad(check: GradCheck) -> float:
    """|analytic gradient| at the entry with the largest relative error."""
    a, n = check.analytic, check.numeric
    worst = np.argmax(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n)))
    return float(np.abs(a).flat[int(worst)])


def run_gradcheck(config: dict) -> dict[str, Any]:
    """Q5/Q6: the batched backward pass against central differences on a tiny MNIST batch.

    Glorot-scaled float64 weights: with N(0, 1) weights most hidden units saturate and many
    gradient entries fall to ~1e-9, below what central differences resolve (~1e-11 absolute).
    """
    x, y = _first_images(config["batch"])
    net = make_net(config["n_in"], config["hidden"], config["n_out"], seed=config["seed"],
                   init=glorot_uniform)
    return {"rows": [{"name": c.name, "shape": c.analytic.shape, "abs_error": c.abs_error,
                      "rel_error": c.rel_error, "max_grad": float(np.max(np.abs(c.analytic))),
                      "worst_grad": _worst_entry_grad(c)}
                     for c in check_net(net, SoftmaxCE(), x, y)]}


def run_batched(config: dict) -> dict[str, Any]:
    """Q6: one batched pass against a loop of single-instance passes on the real network.

    The batch gradient must be the mean of the single-instance gradients. (How much faster the
    batched pass is belongs to bench/, not to a report: timings would make the PDF differ from
    build to build.)
    """
    xb, yb = _first_images(config["batch"])
    net = make_net(seed=config["seed"])
    logits, trace = net.forward(xb)
    hidden = trace[1][2]  # the sigmoid's output h, (B, 300)
    loss, batched = forward_backward(net, xb, yb)
    batched = {name: g.copy() for name, g in batched.items()}
    singles = [forward_backward(net, xb[i : i + 1], yb[i : i + 1]) for i in range(len(xb))]
    mean = {name: np.mean([grads[name] for _, grads in singles], axis=0) for name in batched}
    return {
        "loss": loss, "mean_single_loss": float(np.mean([s[0] for s in singles])),
        "rows": [{"name": name, "shape": g.shape, "max_diff": float(np.max(np.abs(g - mean[name]))),
                  "rel_error": grad_rel_error(g, mean[name])} for name, g in batched.items()],
        "n_params": sum(p.size for _, p in net.parameters()), "logit_std": float(logits.std()),
        "saturated": float(np.mean(hidden * (1 - hidden) < SATURATED)),
    }


# --- Q7: learning curves, seeds, learning rates, the final run ----------------------------------

EPOCHS = 5
BATCH = 100
SEEDS = [0, 1, 2]
LRS = [0.001, 0.003, 0.01, 0.03]
# The sweep trains on the first 10,000 of the 55,000 training images so that 4 rates x 3 seeds
# x 5 epochs fit the build's budget; the final run uses all 60,000.
SWEEP = {"lrs": LRS, "seeds": SEEDS, "epochs": EPOCHS, "batch_size": BATCH, "n_train": 10_000,
         "final": False}
FINAL = {"lr": 0.03, "seed": 0, "epochs": EPOCHS, "batch_size": BATCH, "n_train": None,
         "final": True, "curves": False}


def train_mnist(config: dict) -> dict[str, Any]:
    """One run of Q7: the 784-300-10 network in float32, trained by `fit` one epoch at a time.

    Steps sum the gradients of `batch_size` instances (Q5's tip), so a learning rate means what
    it means for one-instance SGD. The loss and accuracy on the training data and on the held-out
    set (validation, or test if `final`) are measured with the weights as they stand before the
    first step and after every epoch (after the last only, if `curves` is False).
    """
    (x, y), (x_held, y_held), _ = load_mnist(final=config["final"], dtype=np.float32)
    x, y = x[: config["n_train"]], y[: config["n_train"]]
    net = make_net(seed=config["seed"], dtype=np.float32)
    loss = SoftmaxCE()
    out: dict[str, list[float]] = {"step_loss": [], "train_loss": [], "train_acc": [],
                                   "held_loss": [], "held_acc": []}

    def measure() -> None:
        for name, (xs, ys) in (("train", (x, y)), ("held", (x_held, y_held))):
            logits = net.forward(xs)[0]
            out[f"{name}_loss"].append(loss.value(ys, logits))
            out[f"{name}_acc"].append(loss.accuracy(ys, logits))

    # One BLAS thread: with batches of 100, threads cost more in hand-offs than they save.
    with threadpool_limits(1):
        for epoch in range(config["epochs"] + 1):
            if epoch:
                history = fit(net, loss, x, y, epochs=1, lr=config["lr"],
                              batch_size=config["batch_size"], reduction="sum",
                              seed=config["seed"] * 1000 + epoch, progress=False)
                out["step_loss"] += history.step_loss
            if config.get("curves", True) or epoch == config["epochs"]:
                measure()
    return out


def run_sweep(config: dict) -> dict[str, Any]:
    """Q7.1-7.3: every learning rate with every seed."""
    common = {k: config[k] for k in ("epochs", "batch_size", "n_train", "final")}
    runs = sweep(train_mnist, grid(common, lr=config["lrs"], seed=config["seeds"]), "sweep")
    stacked = {key: np.array([run[key] for run in runs]).reshape(
        len(config["lrs"]), len(config["seeds"]), -1) for key in runs[0]}
    return {"lrs": config["lrs"], "seeds": config["seeds"], **stacked}


# --- what the template quotes, and the claims behind its sentences --------------------------------

def _short(value: float, digits: int) -> str:
    """`digits` decimals without trailing zeros: 2, 0.5, 0.8808."""
    return num(value, digits, trim=True)


def _vec(values, digits: int = 4) -> NoEscape:
    """A vector as (a, b, ...) or a bracketed matrix, for math mode (-0.0 prints as 0)."""
    values = np.asarray(values, dtype=float) + 0.0
    if values.ndim == 1:
        return NoEscape("(" + r",\allowbreak\ ".join(_short(v, digits) for v in values) + ")")
    return matrix(values, digits, trim=True)


def _cell(values, digits: int = 4) -> NoEscape:
    """`_vec` as a table cell."""
    return NoEscape(f"${_vec(values, digits)}$")


def _sci(value: float) -> NoEscape:
    """A small error in math mode: 0 when it is exactly 0, else two significant digits."""
    return NoEscape("$0$") if value == 0 else fmt_num(value, 2, sci=True)


def context_q1_q3(r: dict[str, Any]) -> dict[str, Any]:
    """Q1-Q3: the numeric check of the local derivatives and the scalar network's pass."""
    s = r["softmax_ce"]
    c = SOFTMAX["target"]
    claim(s["jacobian_rel_error"] < SMOOTH_BAND, "Q1 the softmax Jacobian matches differences")
    claim(s["numeric_rel_error"] < SMOOTH_BAND, "Q2 y - onehot matches central differences")
    claim(np.max(np.abs(s["chained"] - s["direct"])) < 1e-15,
          "Q2 the chain of Q1's derivatives equals y - onehot")
    claim(s["far_y"][c] == 0.0 and bool(np.all(np.isnan(s["far_chained"]))),
          "Q2 with y_c underflowed, the chain gives nan everywhere")
    claim(bool(np.all(np.isfinite(s["far_direct"]))) and np.isinf(s["far_naive_loss"])
          and np.isfinite(s["far_stable_loss"]),
          "Q2 the combined formula and the log-sum-exp loss stay finite")
    q = r["q3"]
    expected = Q3["expected"]
    for name in PARAMS:
        got = np.round(np.array(q["grads"][name]), 4) + 0.0
        claim(bool(np.array_equal(got, np.array(expected[name]))),
              f"Q3 d{name} rounds to the text's values")
        claim(q["numeric_rel_error"][name] < SMOOTH_BAND, f"Q3 d{name} matches differences")
        claim(q["core_max_diff"][name] == 0, f"Q3 d{name} equals the vectorised core's")
    claim(abs(q["loss"] - np.log(2)) < 1e-15 and q["y"] == [0.5, 0.5],
          "Q3 both classes get probability 1/2, so the loss is log 2")
    claim(all(row[0] == row[1] for row in q["net"]["V"]), "Q3 both columns of V are equal")
    claim(len(set(q["h"])) == 1, "Q3 all hidden units have the same value")
    rows = [[i + 1, fmt_num(s["o"][i]), fmt_num(s["y"][i]), fmt_num(s["dl_dy"][i]),
             fmt_num(s["chained"][i]), fmt_num(s["direct"][i]), fmt_num(s["numeric"][i])]
            for i in range(SOFTMAX["classes"])]
    q3_rows = [[NoEscape(f"${name}$"), _cell(q["net"][name]), _cell(q["grads"][name]),
                _cell(expected[name]), _sci(q["numeric_rel_error"][name])] for name in PARAMS]
    return {
        "sm_table": table([NoEscape("$i$"), NoEscape("$o_i$"), NoEscape("$y_i$"),
                           NoEscape(r"$\partial l/\partial y_i$"), "chain rule",
                           NoEscape(r"$y_i - \delta_{ic}$"), "central diff."], rows),
        "sm": s, "sm_target": c + 1, "sm_classes": SOFTMAX["classes"],
        "far": {"o": _vec(s["far_o"], 0), "direct": _vec(s["far_direct"]),
                "gap": SOFTMAX["gap"]},
        "q3_table": table(["", "value", "derivative of the loss", "the text's value",
                           "rel. error"], q3_rows, align="lcccc"),
        "q3_vec": {key: _vec(q[key]) for key in ("k", "h", "o", "y")},
        "q3_x": _vec(Q3["x"], 0), "q3_dc": _vec(q["grads"]["c"]),
        "smooth_band": SMOOTH_BAND,
    }


def context_q4(r: dict[str, Any]) -> dict[str, Any]:
    """Q4: the data summary and the claims about the training run."""
    s = r["synth"]
    claim(s["min"] > -5 and s["max"] < 5 and bool(np.all(np.abs(s["mean"]) < 0.01))
          and bool(np.all(np.abs(s["std"] - 1) < 0.01)),
          "Q4 the inputs are centred, of unit spread and within (-5, 5): no normalisation")
    claim(abs(s["class1"] - 0.5) < 0.01, "Q4 the classes are balanced")
    steps = s["step_loss"]
    window = 1000
    first, last = steps[:window].mean(), steps[-window:].mean()
    claim(last < first / 4, "Q4 the training loss falls to less than a quarter")
    claim(bool(np.all(np.diff(s["val_loss"]) < 0)), "Q4 the validation loss falls every epoch")
    claim(s["val_acc"][0] < 0.5 and min(s["val_acc"][1:]) > 0.93,
          "Q4 accuracy from below chance to over 93% after every epoch")
    u, v = np.meshgrid(s["grid_axis"], s["grid_axis"])
    agree = float(np.mean((s["grid_p1"] > 0.5) == (np.hypot(u, v) < s["radius"])))
    claim(agree > 0.95, "Q4 the learned boundary agrees with the circle on over 95% of the box")
    head = [[fmt_num(a, 4), fmt_num(b, 4), int(t)]
            for (a, b), t in zip(s["head"], s["head_labels"], strict=True)]
    return {"synth_head": table([NoEscape("$x_1$"), NoEscape("$x_2$"), "class"], head),
            "synth_first": first, "synth_last": last, "synth_window": window,
            "synth_steps": len(steps), "synth_agree": agree}


ABS_BOUND = 1e-10  # what central differences resolve on these losses: rounding ~1e-16 |l| / h


def context_q5_q6(r: dict[str, Any]) -> dict[str, Any]:
    """Q5/Q6: data scaling, the gradient check and the batched-versus-loop comparison."""
    m, g, b = r["mnist_stats"], r["gradcheck"]["rows"], r["batched"]
    claim(m["raw_min"] == 0 and m["raw_max"] == 255, "Q5 raw pixels span 0..255")
    claim(m["min"] == 0.0 and m["max"] == 1.0, "Q5 scaled pixels span [0, 1]")
    worst = max(row["rel_error"] for row in g)
    claim(worst < KINK_BAND, "Q5 every gradient entry agrees to within the 1e-4 band")
    claim(max(row["abs_error"] for row in g) < ABS_BOUND, "Q5 absolute errors are below 1e-10")
    loose = [row for row in g if row["rel_error"] >= SMOOTH_BAND]
    claim(len(loose) == 1 and loose[0]["name"] == "W1" and loose[0]["worst_grad"] < 1e-4,
          "Q5 only W1 exceeds 1e-7, at an entry whose gradient is below 1e-4")
    claim(max(row["rel_error"] for row in b["rows"]) < 1e-9,
          "Q6 the batched gradient equals the mean of single-instance gradients")
    claim(abs(b["loss"] - b["mean_single_loss"]) < 1e-12, "Q6 the batch loss is the mean loss")
    claim(b["logit_std"] > 5, "Q7 N(0, 1) weights give logits spread over several units")
    claim(b["saturated"] > 0.5, "Q5 with N(0, 1) weights most hidden units are saturated")

    def name(row: dict) -> NoEscape:
        return NoEscape(f"${row['name'][0]}_{row['name'][1]}$")

    def shape(row: dict) -> NoEscape:
        return NoEscape("$" + r" \times ".join(map(str, row["shape"])) + "$")

    return {
        "gc_table": gradcheck_table(
            {"parameter": [name(row) for row in g], "shape": [shape(row) for row in g]},
            [row["rel_error"] for row in g], abs_error=[row["abs_error"] for row in g],
            extra={NoEscape(r"$\max|a|$"): [row["max_grad"] for row in g],
                   NoEscape(r"$|a|$ at the worst entry"): [row["worst_grad"] for row in g]}),
        "gc_loose": loose[0],
        "batched_table": gradcheck_table(
            {"parameter": [name(row) for row in b["rows"]],
             "shape": [shape(row) for row in b["rows"]]},
            [row["rel_error"] for row in b["rows"]],
            abs_error=[row["max_diff"] for row in b["rows"]],
            analytic_is="the gradient of the batch loss",
            numeric_is="the mean of the gradients of single instances"),
        "abs_bound": ABS_BOUND,
        "saturated_slope": SATURATED,
    }


# Windows (in steps) over which the text summarises curves.
FIRST_STEPS, LAST_STEPS, SPREAD_STEPS = 10, 100, 10


def context_q7(r: dict[str, Any]) -> dict[str, Any]:
    """Q7: train versus validation, the spread over seeds, the learning rates, the final run."""
    sw, final = r["sweep"], r["final"]
    lrs = sw["lrs"]
    mean = {key: sw[key].mean(axis=1) for key in ("train_loss", "held_loss", "train_acc",
                                                   "held_acc")}  # (lrs, epochs + 1)
    val_acc = sw["held_acc"][:, :, -1]  # (lrs, seeds)
    best = int(np.argmax(val_acc.mean(axis=1)))
    gap = mean["held_loss"] - mean["train_loss"]

    # 7.1: the training loss always falls; at the best rate the gap grows and validation stalls.
    claim(bool(np.all(np.diff(mean["train_loss"], axis=1) < 0)),
          "7.1 the training loss falls every epoch at every rate")
    claim(bool(np.all(gap[best, 1:] > 0)) and bool(np.all(np.diff(gap[best, 1:]) > 0)),
          "7.1 at the best rate the validation loss is above the training loss and the gap "
          "widens every epoch")
    held = mean["held_loss"][best]
    claim(held[-1] > held[-2], "7.1 at the best rate the validation loss rises in the last epoch")
    claim(gap[0, -1] < gap[best, -1] / 3, "7.1 at the smallest rate the gap is under a third")
    claim(min(mean["train_loss"][0, -1], mean["held_loss"][0, -1]) > 2 * held[-1],
          "7.1 at the smallest rate both losses are more than twice the best rate's")
    # 7.2: seeds differ at the start, hardly at the end.
    steps = sw["step_loss"]  # (lrs, seeds, steps)
    early_std = steps[:, :, :SPREAD_STEPS].std(axis=1).mean()
    late_std = steps[:, :, -SPREAD_STEPS:].std(axis=1).mean()
    claim(late_std < early_std / 10, "7.2 the spread over seeds shrinks more than tenfold")
    final_std = val_acc.std(axis=1)
    claim(bool(np.all(final_std < 0.005)), "7.2 final accuracies vary by under half a point (std)")
    claim(bool(np.all(np.diff(val_acc.mean(axis=1)) > 2 * final_std.max())),
          "7.2/7.3 neighbouring rates differ by more than twice the largest std over seeds")
    # 7.3: within 0.001..0.03 and 5 epochs, larger is better, with diminishing returns.
    acc = val_acc.mean(axis=1)
    claim(bool(np.all(np.diff(acc) > 0)), "7.3 final validation accuracy rises with the rate")
    claim(bool(np.all(np.diff(mean["held_loss"][:, -1]) < 0)),
          "7.3 final validation loss falls with the rate")
    claim(bool(np.all(np.diff(np.diff(acc)) < 0)), "7.3 each step up in the rate gains less")
    claim(acc[0] < mean["held_acc"][-1, 1], "7.3 the smallest rate after 5 epochs is behind the "
                                            "largest after one")
    # 7.4: the chosen setting, on all training data and the test set.
    claim(FINAL["lr"] == lrs[best], "7.4 the final learning rate is the sweep's best")
    claim(final["held_acc"][-1] > val_acc.max(), "7.4 the final run beats every sweep run")
    claim(final["train_acc"][-1] > final["held_acc"][-1], "7.4 train accuracy above test")
    f_steps = np.asarray(final["step_loss"])
    start, peak, last = f_steps[0], f_steps[:FIRST_STEPS].max(), f_steps[-LAST_STEPS:].mean()
    claim(start > 10 and peak > start, "Q7 the first batches' loss is large and rises at first")
    below_one = int(np.argmax(f_steps < 1)) + 1
    claim(f_steps[below_one - 1] < 1 <= f_steps[: below_one - 1].min(),
          "Q7 the step at which the batch loss first drops below 1")
    claim(last < start / 100, "Q7 the batch loss falls a hundredfold")
    rows = [[lr, pm(sw["train_loss"][i, :, -1]), pm(sw["held_loss"][i, :, -1]),
             pm(sw["train_acc"][i, :, -1]), pm(val_acc[i])] for i, lr in enumerate(lrs)]
    return {
        "lr_table": table(["learning rate", "train loss", "validation loss", "train accuracy",
                           "validation accuracy"], rows),
        "best": best, "best_lr": lrs[best], "acc": acc, "mean": mean, "gap": gap,
        "start_loss": sw["train_loss"][0, :, 0], "early_std": early_std, "late_std": late_std,
        "final_std": final_std,
        "steps_per_epoch": SWEEP["n_train"] // BATCH,
        "final_start": start, "final_peak": peak, "final_below_one": below_one,
        "final_last": last, "first_steps": FIRST_STEPS,
        "last_steps": LAST_STEPS, "spread_steps": SPREAD_STEPS, "best_run": val_acc.max(),
        "n_seeds": len(SEEDS),
    }


def context(r: dict[str, Any]) -> dict[str, Any]:
    return context_q1_q3(r) | context_q4(r) | context_q5_q6(r) | context_q7(r)


REPORT = Report(
    id="mlp-numpy",
    title="Assignment 1: Implementing an MLP using NumPy",
    template="mlp-numpy.tex.j2",
    experiments=(
        Experiment("softmax_ce", run_softmax_ce, SOFTMAX),
        Experiment("q3", run_q3, Q3),
        Experiment("synth", run_synth, SYNTH, data=("synth",)),
        Experiment("mnist_stats", run_mnist_stats, MNIST_STATS, data=("mnist",)),
        Experiment("gradcheck", run_gradcheck, GRADCHECK, data=("mnist",)),
        Experiment("batched", run_batched, BATCHED, data=("mnist",)),
        Experiment("sweep", run_sweep, SWEEP, data=("mnist",)),
        Experiment("final", train_mnist, FINAL, data=("mnist",)),
    ),
    figures=(
        FigureSpec("mlp_synth", fig.synth, ("synth",)),
        FigureSpec("mlp_digits", fig.mnist_digits, ("mnist_stats",)),
        FigureSpec("mlp_train_val", fig.train_val, ("sweep",)),
        FigureSpec("mlp_seeds", fig.seeds, ("sweep",)),
        FigureSpec("mlp_final_curve", fig.final_curve, ("final",)),
    ),
    context=context,
)
