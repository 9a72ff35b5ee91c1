"""mlp-numpy: Assignment 1, "Implementing an MLP using NumPy": experiment configs and context."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from figures import mlp_numpy as fig
from figures import studies
from model import gradcheck
from model import scalar as sc
from model.assignments import mlp_numpy as ans
from model.data import SYNTH_RADIUS, load_mnist, load_synth, read_mnist, shared_split, summarize
from model.diagnostics import epoch_curves, saturated_fraction, seed_spread
from model.functional import identity, sigmoid, softmax, softmax_jacobian
from model.gradcheck import GradCheck, check_function, numeric_grad, rel_error, spot_check
from model.init import glorot_uniform, standard_normal
from model.losses import SoftmaxCE, softmax_cross_entropy
from model.net import Net
from model.runstats import largest_rate
from model.train import evaluate
from report.fragments import checks_table, columns_table, inline_math, seeds_table, table, vector
from report.latex import NoEscape
from report.numbers import num
from report.spec import Experiment, FigureSpec, Report
from report.sweep import grid_arrays, sweep

# --- Q1 and Q2: the local derivatives, checked on numbers -----------------------------------------

# A target logit 800 below the others makes y_c underflow to 0 in float64 (e^-800 < 1e-323).
SOFTMAX = {"seed": 3, "classes": 4, "target": 2, "gap": 800.0}


def run_softmax_ce(config: dict) -> dict[str, Any]:
    """Q1/Q2 on random logits (chain, Q2's formula, central differences), then on logits where
    the target's probability underflows."""
    k, c = config["classes"], config["target"]
    o = np.random.default_rng(config["seed"]).normal(0.0, 2.0, size=k)
    y, onehot = softmax(o), np.eye(k)[c]
    jac_numeric = np.stack([numeric_grad(lambda v, i=i: softmax(v)[i], o.copy()) for i in range(k)])
    check = check_function(lambda v: -np.log(softmax(v)[c]), lambda v: softmax(v) - onehot,
                           o.copy())
    far = np.zeros(k)
    far[c] = -config["gap"]
    with np.errstate(divide="ignore"):
        naive_loss = float(-np.log(softmax(far)[c]))
    return {"o": o, "y": y, "dl_dy": ans.ce_grad_y(y, c), "chained": ans.chained_grad_o(o, c),
            "jacobian_rel_error": rel_error(softmax_jacobian(y), jac_numeric),
            "chain_max_diff": float(np.max(np.abs(ans.chained_grad_o(o, c) - (y - onehot)))),
            "direct": y - onehot, "numeric": check.numeric, "numeric_rel_error": check.rel_error,
            "far_o": far, "far_direct": softmax(far) - onehot, "far_naive_loss": naive_loss,
            "far_nan": bool(softmax(far)[c] == 0 and np.all(np.isnan(ans.chained_grad_o(far, c)))),
            "far_stable_loss": softmax_cross_entropy(np.array([c]), far[None, :])[0]}


# --- Q3: one forward and one backward pass in plain Python ----------------------------------------

# The derivatives the text says one should get: inputs to check against, not results.
Q3 = {"x": [1.0, -1.0], "target": 0,
      "expected": {"W": [[0.0] * 3] * 2, "b": [0.0] * 3, "V": [[-0.4404, 0.4404]] * 3,
                   "c": [-0.5, 0.5]}}
PARAMS = ("W", "b", "V", "c")


def run_q3(config: dict) -> dict[str, Any]:
    """Q3 on the text's network, checked by central differences on every parameter and by the
    vectorised network of Q5 loaded with the same weights."""
    x, target, net = config["x"], config["target"], sc.q3_network()
    k, h, o, y = sc.forward(net, x)
    loss, scalar_grads = sc.forward_backward(net, x, target)
    # The same weights as matrices in the vectorised network of Q5 (its output layer linear).
    W, b, V, c = (np.array(getattr(net, n)) for n in PARAMS)
    core_net = Net.from_params([(W, b, sigmoid), (V, c, identity)])
    _, core = ans.forward_backward(core_net, np.array([x]), np.array([target]))
    probe, grads = sc.q3_network(), {n: np.array(getattr(scalar_grads, n)) for n in PARAMS}
    numeric = gradcheck.attribute_grads(probe, PARAMS,
                                        lambda: sc.forward_backward(probe, x, target)[0])
    core_names = dict(zip(PARAMS, ("W1", "b1", "W2", "b2"), strict=True))
    return {"net": {n: getattr(net, n) for n in PARAMS}, "k": k, "h": h, "o": o, "y": y,
            "loss": loss, "grads": {n: g.tolist() for n, g in grads.items()},
            "numeric_rel_error": {n: rel_error(grads[n], numeric[n]) for n in PARAMS},
            "core_max_diff": {n: float(np.max(np.abs(core[core_names[n]] - grads[n])))
                              for n in PARAMS}, "as_text": all(np.array_equal(
                np.round(grads[n], 4) + 0.0, config["expected"][n]) for n in PARAMS),
            "symmetric": y == [0.5, 0.5] and len(set(h)) == 1
            and all(row[0] == row[1] for row in net.V)}


# --- Q4: training the plain-Python network on the synthetic data --------------------------------

SYNTH = {"epochs": 2, "lr": 0.01, "hidden": 3, "seed": 0, "grid": 121, "grid_box": 3.0,
         "window": 1000}


def run_synth(config: dict) -> dict[str, Any]:
    """Q4: a look at the data, then per-instance SGD with `model.scalar` on all training points;
    validation after every epoch, and the class-1 probability on a grid over the plane."""
    (x, y), (x_val, y_val), num_cls = load_synth()
    xs, ys, val = x.tolist(), y.tolist(), (x_val.tolist(), y_val.tolist())
    net = sc.random_network(2, config["hidden"], num_cls, seed=config["seed"])
    run = epoch_curves(config["epochs"], lambda e: sc.train(
        net, xs, ys, 1, config["lr"], seed=config["seed"] * 1000 + e),  # a fresh shuffle each
        {"val": lambda: sc.evaluate(net, *val)})
    steps, val_loss = run["step_loss"], run["val_loss"].tolist()
    axis = np.linspace(-config["grid_box"], config["grid_box"], config["grid"])
    p1 = np.array([[sc.forward(net, [u, v])[3][1] for u in axis] for v in axis])
    first, last = np.mean(steps[:config["window"]]), np.mean(steps[-config["window"]:])
    return {"n_train": len(x), "n_val": len(x_val), "num_cls": num_cls, "head": x[:5],
            "head_labels": y[:5], "min": float(x.min()), "max": float(x.max()),
            "mean": x.mean(axis=0), "std": x.std(axis=0), "class1": float(y.mean()),
            "scatter": x_val[:1500], "scatter_labels": y_val[:1500], "step_loss": steps,
            "val_loss": val_loss, "val_acc": run["val_acc"].tolist(), "first": first, "last": last,
            "falls": bool(last < first / 4 and np.all(np.diff(val_loss) < 0)),
            "standard": bool(-5 < x.min() and x.max() < 5 and np.all(np.abs(x.mean(axis=0)) < 0.01)
                             and np.all(np.abs(x.std(axis=0) - 1) < 0.01)
                             and abs(y.mean() - 0.5) < 0.01),
            "grid_axis": axis, "grid_p1": p1, "radius": SYNTH_RADIUS, "agree": float(np.mean(
                (p1 > 0.5) == (np.hypot(*np.meshgrid(axis, axis)) < SYNTH_RADIUS)))}


# --- Q5 and Q6: the vectorised, batched network on MNIST ----------------------------------------

MNIST_STATS = {"num_val": 5_000, "show": 12}
GRADCHECK = {"batch": 10, "per_param": 8, "seed": 0}
BATCHED = {"batch": 100, "seed": 0}
INIT = {"images": 1000, "seed": 0}
INITS = {"normal": standard_normal, "glorot": glorot_uniform, "glorot_sigmoid": ans.glorot_sigmoid}


def run_mnist_stats(config: dict) -> dict[str, Any]:
    """Q5: what the data look like before and after scaling, and the sizes of both splits."""
    images, labels, _, _ = read_mnist()
    (x, y), (x_val, _), num_cls = load_mnist(num_val=config["num_val"], dtype=np.float32)
    (x_all, _), (x_test, _), _ = load_mnist(final=True, dtype=np.float32)
    return {"raw_dtype": str(images.dtype), "raw": summarize(images, labels),
            "train": summarize(x, y), "mean": float(x.mean()), "n_val": len(x_val),
            "n_all": len(x_all), "n_test": len(x_test), "num_cls": num_cls,
            "images": images[: config["show"]], "labels": labels[: config["show"]]}


def _first_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first n training images as the loader scales them, in float64, and their labels."""
    (x, y), _, _ = load_mnist(dtype=np.float32)
    return x[:n].astype(np.float64), y[:n]


def run_gradcheck(config: dict) -> dict[str, Any]:
    """Q5: the backward pass of the 784-300-10 network (float64, sigmoid-Glorot weights) against
    central differences on a few entries of each parameter."""
    net = ans.make_net(seed=config["seed"])
    x, y = _first_images(config["batch"])
    return {"checks": spot_check(net, SoftmaxCE(), x, y, config["per_param"], config["seed"]),
            "shapes": {name: p.shape for name, p in net.parameters()},
            "n_params": sum(p.size for _, p in net.parameters())}


def run_batched(config: dict) -> dict[str, Any]:
    """Q6: one batched pass against the mean of single-instance passes, on the real network."""
    xb, yb = _first_images(config["batch"])
    net = ans.make_net(seed=config["seed"])
    loss, batched = ans.forward_backward(net, xb, yb)
    batched = {name: g.copy() for name, g in batched.items()}
    singles = [ans.forward_backward(net, xb[i : i + 1], yb[i : i + 1]) for i in range(len(xb))]
    return {"loss": loss, "mean_single_loss": float(np.mean([s[0] for s in singles])),
            "checks": [GradCheck.of(name, g, np.mean([s[1][name] for s in singles], axis=0))
                       for name, g in batched.items()]}


def run_init(config: dict) -> dict[str, Any]:
    """Q7's initialisation: saturated hidden units, logit spread and loss of the untrained
    network under each initialiser, on the first training images."""
    x, y = _first_images(config["images"])
    nets = {name: ans.make_net(seed=config["seed"], init=init) for name, init in INITS.items()}
    return {name: {"saturated": saturated_fraction(net, x)[0],
                   "logit_std": float(net.forward(x)[0].std()),
                   "loss": evaluate(net, SoftmaxCE(), x, y)[0]} for name, net in nets.items()}


# --- Q7: learning curves, seeds, learning rates, the final run ----------------------------------

Q7 = {"lrs": [0.001, 0.003, 0.01, 0.02, 0.03, 0.1], "seeds": [0, 1, 2], "epochs": 5,
      "batch_size": 100, "n_probe": 5_000, "init": "glorot_sigmoid", "final_seed": 0}
# Q7.1/7.3: the rates the largest is compared with, from this one up: those that reach a low
# loss in the epochs given (the smaller ones are still far from it, table of 7.3).
SETTLED_FROM = 0.01


def train_mnist(config: dict) -> dict[str, Any]:
    """One run of Q7 in float32: loss and accuracy on the first `n_probe` training images and
    on the held-out set (validation, or test if `final`) before training and after every epoch,
    and the loss of every batch."""
    (x, y), (x_held, y_held), _ = shared_split(load_mnist, final=config["final"],
                                               dtype=np.float32)  # scaled once per worker
    net = ans.make_net(seed=config["seed"], init=INITS[config["init"]], dtype=np.float32)
    n, lr, batch, seed = config["n_probe"], config["lr"], config["batch_size"], config["seed"]
    return epoch_curves(config["epochs"],
                        lambda e: ans.sgd_epoch(net, x, y, lr, batch, seed * 1000 + e),
                        {"train": lambda: evaluate(net, SoftmaxCE(), x[:n], y[:n]),
                         "held": lambda: evaluate(net, SoftmaxCE(), x_held, y_held)})


def run_q7(config: dict) -> dict[str, Any]:
    """Q7.1-7.3: every rate with every seed on the 55k/5k split; 7.4: the rate with the best
    mean validation accuracy, trained on all 60k images and tested on the canonical 10k."""
    common = {k: config[k] for k in ("epochs", "batch_size", "n_probe", "init")} | {"final": False}
    out = grid_arrays(train_mnist, common | {k: config[k] for k in ("lrs", "seeds")},
                      {"lrs": "lr", "seeds": "seed"}, desc="Q7 rates")
    best = config["lrs"][int(np.argmax(out["held_acc"][:, :, -1].mean(axis=1)))]
    final = common | {"final": True, "lr": best, "seed": config["final_seed"]}
    return out | {"best_lr": best, "final": sweep(train_mnist, [final], "Q7 final")[0]}


# --- what the template quotes ---------------------------------------------------------------------

def context_q1_q6(r: dict[str, Any]) -> dict[str, Any]:
    """Q1-Q6: the tables the template shows (their facts are claimed beside their sentences)."""
    s, q, syn, shapes = r["softmax_ce"], r["q3"], r["synth"], r["gradcheck"]["shapes"]
    names = {"parameter": [inline_math(f"{n[0]}_{n[1]}") for n in shapes],
             "shape": [inline_math(r" \times ".join(map(str, shape))) for shape in shapes.values()]}
    return {
        "sm_table": columns_table(
            [*map(inline_math, ("i", "o_i", "y_i", r"\partial l/\partial y_i")), "chain rule",
             inline_math(r"y_i - \delta_{ic}"), "central diff."],
            [range(1, len(s["o"]) + 1), *(s[k] for k in ("o", "y", "dl_dy", "chained", "direct",
                                                         "numeric"))], 4, "lSSSSSS"),
        "q3_table": table(["", "value", "derivative of the loss", "the text's value", "rel. error"],
                          [[inline_math(n), *(inline_math(vector(v[n])) for v in (
                              q["net"], q["grads"], Q3["expected"])),
                            num(q["numeric_rel_error"][n], 2, sci=True)] for n in PARAMS],
                          "llllS"),
        "synth_head": table([inline_math("x_1"), inline_math("x_2"), "class"],
                            [[num(a), num(b), int(t)] for (a, b), t in
                             zip(syn["head"], syn["head_labels"], strict=True)], "SSr"),
        "gc_table": checks_table(
            r["gradcheck"]["checks"], names,
            extra={NoEscape(r"smallest $|a|$"): [np.abs(c.analytic).min()
                                                 for c in r["gradcheck"]["checks"]]},
            what=f"{GRADCHECK['per_param']} entries of each parameter, drawn at random among "
                 "those with a non-zero gradient; smallest |a| is the smallest of their "
                 "analytic gradients."),
        "batched_table": checks_table(r["batched"]["checks"], names,
                                      analytic_is="the gradient of the batch loss",
                                      numeric_is="the mean of the gradients of single instances"),
        "vector": vector, "inf": float("inf"), "log10": float(np.log(10)),
    }


def context_q7(r: dict[str, Any]) -> dict[str, Any]:
    """Q7: means over seeds, the table of rates, and the facts its sentences claim."""
    q = r["q7"]
    mean = {key: q[key].mean(axis=1) for key in ("train_loss", "held_loss", "train_acc",
                                                  "held_acc")}  # (lrs, epochs + 1)
    val_acc = q["held_acc"][:, :, -1]  # (lrs, seeds)
    acc, std, best = val_acc.mean(axis=1), val_acc.std(axis=1), q["lrs"].index(q["best_lr"])
    gap, steps = mean["held_loss"] - mean["train_loss"], q["step_loss"]  # steps: (lrs, seeds, T)
    per_epoch = steps.shape[-1] // Q7["epochs"]
    last_epoch, top = steps[:, :, -per_epoch:].mean(axis=(1, 2)), acc[max(best - 1, 0):best + 2]
    return {
        "lr_table": seeds_table(["learning rate", "train loss", "validation loss",
                                 "train accuracy", "validation accuracy"],
                                {num(lr, 3, trim=True): [q[key][i, :, -1] for key in (
                                    "train_loss", "held_loss", "train_acc", "held_acc")]
                                 for i, lr in enumerate(q["lrs"])}, [3] * 4),
        "best": best, "acc": acc, "mean": mean, "gap": gap, "last_epoch_loss": last_epoch,
        # Q7.1/7.3: the largest rate against those from SETTLED_FROM up, seed by seed.
        **largest_rate(q["train_loss"][:, :, 1:], q["lrs"], SETTLED_FROM),
        "gap_grows": bool(np.all(gap[best, 2:] > 0) and np.all(np.diff(gap[best, 2:]) > 0)),
        "early_std": steps[:, :, :10].std(axis=1).mean(),
        "late_std": steps[:, :, -10:].std(axis=1).mean(),
        "stable_std": std[:-1].max(), "largest_std": std[-1], "top_spread": top.max() - top.min(),
        "rises_to_best": bool(np.all(np.diff(acc[: best + 1]) > 0)),
        "falls_after_best": bool(np.all(np.diff(acc[best:]) < 0)),
        "fin_last": q["final"]["step_loss"][-100:].mean(), "fin_window": 100,
        "sweep_best": seed_spread(val_acc[best], ddof=0), "steps_per_epoch": per_epoch,
    }


REPORT = Report(
    id="mlp-numpy",
    cold_seconds=64,  # the cold build of 2026-12-02 on 2 cores (bench/build_speed.py)
    title="Assignment 1: Implementing an MLP using NumPy",
    template="mlp-numpy.tex.j2",
    experiments=(
        Experiment("softmax_ce", run_softmax_ce, SOFTMAX),
        Experiment("q3", run_q3, Q3),
        Experiment("synth", run_synth, SYNTH, data=("synth",)),
        Experiment("mnist_stats", run_mnist_stats, MNIST_STATS, data=("mnist",)),
        Experiment("gradcheck", run_gradcheck, GRADCHECK, data=("mnist",)),
        Experiment("batched", run_batched, BATCHED, data=("mnist",)),
        Experiment("init", run_init, INIT, data=("mnist",)),
        Experiment("q7", run_q7, Q7, data=("mnist",)),
    ),
    figures=(
        FigureSpec("mlp_synth", fig.synth, ("synth",)),
        FigureSpec("mlp_digits", partial(studies.labelled_images, height=0.75, vmin=0, vmax=255),
                   ("mnist_stats",)),
        FigureSpec("mlp_train_val", fig.train_val, ("q7",)),
        FigureSpec("mlp_seeds", fig.seeds, ("q7",)),
        FigureSpec("mlp_final_curve", fig.final_curve, ("q7",)),
    ),
    context=(context_q1_q6, context_q7),
)
