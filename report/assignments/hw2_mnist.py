"""hw2-mnist: HW2, a 784-200-1 ReLU/sigmoid network in NumPy on MNIST 3 vs 9 — the experiments
(each run through hw2's own functions), their configs, and what the template quotes."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from figures import hw2_mnist as fig
from figures import studies
from model import diagnostics as diag
from model.assignments import hw2
from model.data import load_mnist_3_vs_9, shared_split, summarize, toy_batch_through_file
from model.gradcheck import GradCheck, rel_error, step_sweep
from report.fragments import bmatrix, checks_table, table
from report.latex import NoEscape
from report.numbers import num, pm, prob, sci
from report.spec import Experiment, FigureSpec, Report
from report.sweep import over_seeds, per_seed

ACTIVATIONS = [hw2.relu_activation, hw2.sigmoid_activation]
PARAM_NAMES = ["W1", "W2", "b1", "b2"]  # the order in which hw2 prints the gradients

DATA = {"examples": 10}  # §1.1: how many training images to show
# §1.3 (a)-(d): our stand-in for the unavailable pickle. Seed 2 gives a batch in which each
# hidden unit is on for some samples and off for others, so the ReLU's mask is exercised.
TOY = {"seed": 2, "n": 3, "eps_exponents": [-12.0, -1.0], "points": 45}  # eps: §1.2 (a)
INIT = {"layer_dims": [784, 200, 1], "seed": 0, "batch_size": 100}  # §1.2 (c)
SIGMOID = {"s_small": [1.0, 0.0, -1.0], "s_extreme": [-1000.0, 1000.0],  # §1.3 (b)(i)-(ii)
           "s_sweep": [-1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0]}
# §1.2 (e) / §1.3 (e): the prescribed run; the test set is scored after every step for
# `curve_seed`, after every epoch for the others (their final accuracies give mean ± std).
# float32 data and weights halve the cost of every product; the toy-batch checks of
# §1.3 (a)-(d) stay float64, where the central differences need the digits.
MAIN = {"layer_dims": [784, 200, 1], "batch_size": 100, "step_size": 0.1, "epochs": 5,
        "seeds": [0, 1, 2], "curve_seed": 0, "dtype": "float32"}
BIG_STEP = MAIN | {"step_size": 10.0, "eval_every": 5, "curve_seed": None}  # §1.3 (e)(iv)
# §1.3 (f): 100 uniform random images with the first 100 training labels, full-batch steps.
MEMORISE = {"n": 100, "seeds": [0, 1, 2], "dtype": "float32", "runs": [
    {"label": "hw2 setting", "width": 200, "step_size": 0.1, "centre": False, "steps": 100},
    {"label": "centred", "width": 200, "step_size": 0.1, "centre": True, "steps": 100},
    {"label": "centred, step 3", "width": 200, "step_size": 3.0, "centre": True, "steps": 30},
    {"label": "centred, width 1000, step 3", "width": 1000, "step_size": 3.0, "centre": True,
     "steps": 30},
    {"label": "raw, step 3", "width": 200, "step_size": 3.0, "centre": False, "steps": 30}]}


def run_data(config: dict) -> dict[str, Any]:
    """§1.1: shapes, labels and class counts of hw2's split, and a few training images."""
    (x, y), (x_test, y_test) = load_mnist_3_vs_9()
    k = config["examples"]
    return {"train": summarize(x, y), "test": summarize(x_test, y_test),
            "train_counts": np.bincount(y).tolist(), "test_counts": np.bincount(y_test).tolist(),
            "images": x[:k].reshape(k, 28, 28), "labels": y[:k].tolist()}


def run_init(config: dict) -> dict[str, Any]:
    """§1.2 (c): the initial parameters and the untrained network's output on one mini-batch."""
    (x, y), _ = load_mnist_3_vs_9()
    weights = hw2.create_weight_matrices(config["layer_dims"], seed=config["seed"])
    biases = hw2.create_bias_vectors(config["layer_dims"])
    batch = slice(0, config["batch_size"])
    output, caches = hw2.forward_pass(x[batch], weights, biases, ACTIVATIONS)
    loss, _ = hw2.logistic_loss(output, y[batch])
    return {"W_shapes": [w.shape for w in weights], "W_std": [float(w.std()) for w in weights],
            "b_abs_max": max(float(np.abs(b).max()) for b in biases),
            "output_shape": output.shape, "n_caches": len(caches),
            "output_min": float(output.min()), "output_max": float(output.max()),
            "mean_loss": float(loss.mean())}


def run_toy(config: dict) -> dict[str, Any]:
    """§1.3 (a)-(d): what the deliverables print for the toy batch, and how far the two
    gradients agree; with them §1.2 (a)'s test of the checker (`run_checker`)."""
    x, y, weights, biases = toy_batch_through_file(config["seed"], config["n"])
    output, caches = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
    loss, dL_dg = hw2.logistic_loss(output, y)
    grad_Ws, grad_bs = hw2.backward_pass(dL_dg, caches)
    num_Ws, num_bs = hw2.nn_finite_difference_checker(x, y, weights, biases, ACTIVATIONS)
    backprop = dict(zip(PARAM_NAMES, grad_Ws + grad_bs, strict=True))
    numeric = dict(zip(PARAM_NAMES, num_Ws + num_bs, strict=True))
    pre = x @ weights[0] + biases[0]
    active = np.argmax(pre > 0, axis=0)  # for each hidden unit, the first sample it is on for
    return run_checker(config, x, y, weights, biases, grad_Ws + grad_bs) | {
            "x": x, "y": y, "weights": weights, "biases": biases, "output": output, "loss": loss,
            "dL_dg": dL_dg, "backprop": backprop, "numeric": numeric,
            "pre_activation": pre, "min_pre": float(np.abs(pre).min()),
            "active": (pre > 0).sum(axis=0).tolist(), "active_sample": (active + 1).tolist(),
            "columns_factor": all(np.allclose(backprop["W1"][:, j], x[n] * backprop["b1"][0, j],
                                              rtol=1e-12, atol=0) for j, n in enumerate(active)),
            "same_2dp": all(np.array_equal(np.round(backprop[k], 2), np.round(numeric[k], 2))
                            for k in PARAM_NAMES),
            "cache_shapes": [[np.shape(part) for part in cache] for cache in caches],
            "checks": [GradCheck.of(f"{k[0]}_{k[1]}", backprop[k], numeric[k])  # TeX: W_1
                       for k in PARAM_NAMES]}


def run_checker(config: dict, x: np.ndarray, y: np.ndarray, weights: list, biases: list,
                grads: list) -> dict[str, Any]:
    """§1.2 (a): the checker on logistic regression, whose gradient is known in closed form,
    and its error against back-propagation's `grads` (weights, biases) over a range of steps."""
    # A single sigmoid unit: dL/dW = x^T (g - y) / n and dL/db = mean(g - y).
    w, b = weights[0][:, :1].copy(), biases[0][:, :1].copy()
    g, _ = hw2.forward_pass(x, [w], [b], [hw2.sigmoid_activation])
    exact = [x.T @ (g - y)[:, None] / len(y), np.mean(g - y, keepdims=True)[None]]
    num_w, num_b = hw2.nn_finite_difference_checker(x, y, [w], [b], [hw2.sigmoid_activation])
    analytic = np.concatenate([a.ravel() for a in grads])

    def error_at(h: float) -> float:  # the checker at step h, against back-propagation
        num_Ws, num_bs = hw2.nn_finite_difference_checker(x, y, weights, biases, ACTIVATIONS, h)
        return rel_error(analytic, np.concatenate([g.ravel() for g in num_Ws + num_bs]))

    return step_sweep(error_at, np.logspace(*config["eps_exponents"], config["points"])) | {
        "closed_form": [GradCheck.of(name, a, n) for name, a, n in
                        zip(("W", "b"), exact, num_w + num_b, strict=True)]}


def run_sigmoid(config: dict) -> dict[str, Any]:
    """§1.3 (b)(i)-(ii): sigmoid_activation on the deliverables' inputs, and both textbook
    formulas beside it on a sweep of inputs, with the floating-point warnings each raised."""
    with np.errstate(all="raise"):  # any overflow in the stable version would stop the run
        small = hw2.sigmoid_activation(np.asarray(config["s_small"]))
        extreme = hw2.sigmoid_activation(np.asarray(config["s_extreme"]))
    forms = {"plain": lambda v: 1 / (1 + np.exp(-v)),
             "ratio": lambda v: np.exp(v) / (1 + np.exp(v)),
             "stable": lambda v: hw2.sigmoid_activation(v)[0]}
    rows = [{"s": s} | {k: diag.float_warnings(f, s) for k, f in forms.items()}
            for s in config["s_sweep"]]
    return {"small": small, "extreme": extreme, "sweep": rows,
            "plain_overflows": [row["s"] for row in rows if "overflow" in row["plain"][1]],
            "ratio_warns": [row["s"] for row in rows if row["ratio"][1]]}


def _train(config: dict) -> dict[str, Any]:
    """One seed of §1.2 (e) or of the step-size-10 rerun (§1.3 (e)(iv)), and what became of the
    network: how the curve seed's misread test images differ, how the big step's collapsed."""
    # Scaled once per worker.
    (x, y), (x_test, y_test) = shared_split(load_mnist_3_vs_9, dtype=config["dtype"])
    steps_per_epoch = -(-len(x) // config["batch_size"])
    curve = config["seed"] == config["curve_seed"]
    weights, biases, record = hw2.train(
        x, y, x_test, y_test, config["layer_dims"], ACTIVATIONS, config["step_size"],
        config["batch_size"], config["epochs"], config["seed"],
        eval_every=config.get("eval_every") or (1 if curve else steps_per_epoch))
    p, _ = hw2.forward_pass(x_test, weights, biases, ACTIVATIONS)
    run = {"seed": config["seed"], "record": record, "steps_per_epoch": steps_per_epoch,
           "test_p": p, "test_y": y_test}
    if curve:
        wrong = np.flatnonzero((p > 0.5) != y_test)
        return run | {"wrong": wrong, "wrong_images": x_test[wrong].reshape(-1, 28, 28),
                      "misread": diag.misread_stats(x, y, x_test, y_test, p)}
    if config["step_size"] == MAIN["step_size"]:
        return run
    output, caches = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
    grad_Ws, grad_bs = hw2.backward_pass(hw2.logistic_loss(output, y)[1], caches)
    hidden = caches[1][0]  # the output layer's cache starts with its input
    s = hidden @ weights[1] + biases[1]  # the output unit's pre-activation, every image
    last_epoch = record["test_acc"][-steps_per_epoch // config["eval_every"]:]  # its test scores
    return run | diag.one_class(output, y_test, last_epoch, ("3s", "9s")) | {
        "dead_units": int(np.sum(np.all(hidden == 0, axis=0))),
        "grad_norm": dict(zip(PARAM_NAMES, map(np.linalg.norm, grad_Ws + grad_bs), strict=True)),
        "s_min": float(s.min()), "s_max": float(s.max()), "s_spread": float(np.ptp(s)),
        "s_abs": sorted(abs(float(v)) for v in (s.min(), s.max())),
        "loss_first_two": max(record["train_loss"][:2]), "loss_3": record["train_loss"][2]}


def run_main(config: dict) -> dict[str, Any]:
    """§1.2 (e) and §1.3 (e)(iv) (step size 10): the run for every seed."""
    runs = per_seed(_train, config, f"step size {config['step_size']:g}")
    return {"runs": runs, "curve": next((r for r in runs if r["seed"] == config["curve_seed"]),
                                        None)}


def _memorise_one(config: dict) -> dict[str, Any]:
    """§1.3 (f): full-batch steps on 100 uniform random images; accuracy after each step."""
    run, seed, n = config["run"], config["seed"], config["n"]
    y = shared_split(load_mnist_3_vs_9, dtype=config["dtype"])[0][1][:n]
    x = random_images(seed, n, config["dtype"])
    if run["centre"]:
        x -= 0.5  # E[x] for U(0, 1): the inputs then share no common component
    # Every step is one epoch of one batch, the whole set (reshuffled, which leaves its
    # accuracy as it is): step t + 1's forward pass scores the network step t left, so the
    # record's batch accuracies are the accuracies after every step but the last, and only
    # the last needs `evaluate`.
    *_, record = hw2.train(x, y, x, y, [784, run["width"], 1], ACTIVATIONS, run["step_size"],
                           batch_size=n, epochs=run["steps"], seed=seed, eval_every=run["steps"])
    return {"acc": np.array(record["train_acc"][1:] + record["test_acc"])}


def random_images(seed: int, n: int, dtype: str) -> np.ndarray:
    """§1.3 (f)'s inputs: n uniform [0, 1) images of 784 pixels, drawn in float64 and rounded
    to `dtype`."""
    return np.random.default_rng(seed).random((n, 784)).astype(dtype)


def run_memorise(config: dict) -> dict[str, Any]:
    """Every configuration for every seed, and the curvature of raw and centred inputs."""
    common = {"n": config["n"], "dtype": config["dtype"]}
    configs = {run["label"]: common | {"run": run} for run in config["runs"]}
    seeds = over_seeds(_memorise_one, configs, config["seeds"], "memorise")
    runs = [run | {"seeds": seeds[run["label"]]} | diag.reach_summary(
        [s["acc"] for s in seeds[run["label"]]], 1.0) for run in config["runs"]]
    # The largest eigenvalue of the inputs' second-moment matrix bounds how large a stable
    # gradient step can be; the shared mean 1/2 of uniform pixels inflates it.
    x = random_images(config["seeds"][0], config["n"], config["dtype"])
    labels = shared_split(load_mnist_3_vs_9, dtype=config["dtype"])[0][1]
    return {"labels_9": int(labels[:config["n"]].sum()),
            "runs": runs,
            "curvature": {name: float(np.linalg.eigvalsh(v @ v.T / len(v)).max())
                          for name, v in (("raw", x), ("centred", x - 0.5))}}


# --- what the template quotes ----------------------------------------------------------------

def context(r: dict[str, Any]) -> dict[str, Any]:
    """The tables and the typeset values the template cannot write with `matrix` or `num`."""
    sig, big, mem = r["sigmoid"], r["big_step"]["runs"], r["memorise"]["runs"]
    return {
        "check_table": checks_table(r["toy"]["checks"]),
        "closed_table": checks_table(r["toy"]["closed_form"],
                                     analytic_is="the exact gradient"),
        "sig_extreme_grad_m": bmatrix([sci(v, 2) for v in sig["extreme"][1]]),
        "sig_extreme_out_m": bmatrix([prob(v) for v in sig["extreme"][0]]),
        "sweep_table": table(
            [NoEscape("$s$"), NoEscape(r"$1/(1+e^{-s})$"), "warning",
             NoEscape(r"$e^{s}/(1+e^{s})$"), "warning", NoEscape(r"\texttt{sigmoid\_activation}")],
            [[num(row["s"], 0), *(x for form in ("plain", "ratio") for x in (
                NoEscape(f"${prob(row[form][0])}$"), ", ".join(row[form][1]) or "none")),
              NoEscape(f"${prob(row['stable'][0])}$")] for row in sig["sweep"]]),
        "final_acc": np.array([run["record"]["test_acc"][-1] for run in r["main"]["runs"]]),
        # With the hidden layer silent, the loss in b2 alone has curvature g (1 - g) <= 1/4.
        "b2_bound": diag.stability_bound([0.25]), "clip_eps_f32": hw2.sigmoid_clip(np.float32),
        "clip_eps": hw2.sigmoid_clip(BIG_STEP["dtype"]),
        "clip_cost": float(-np.log(hw2.sigmoid_clip(BIG_STEP["dtype"]))),
        "big_table": table(
            ["seed", "test acc.", "test loss", "predicts", "dead units",
             NoEscape(r"$\min s$"), NoEscape(r"$\max s$"), NoEscape(r"$\|\nabla_{b_2}\|$"),
             NoEscape(r"$\|\nabla_{W_1}\|$")],
            [[run["seed"], num(run["record"]["test_acc"][-1], 4),
              num(run["record"]["test_loss"][-1], 3), run["predicts"], run["dead_units"],
              num(run["s_min"], 3), num(run["s_max"], 3), num(run["grad_norm"]["b2"], 3),
              sci(run["grad_norm"]["W1"], 2)] for run in big]),
        "mem_table": table(["configuration", "width", "step size", "centred", "steps to 100%",
                            "accuracy after the last step"],
                           [[run["label"], run["width"], num(run["step_size"], 1, trim=True),
                             "yes" if run["centre"] else "no",
                             pm(run["firsts"], 1) if run["reached"] else
                             f"{run['n_reached']} of {len(run['seeds'])} within {run['steps']}",
                             pm(run["finals"], 2)] for run in mem]),
        "mem": {run["label"]: run for run in mem},
    }


REPORT = Report(
    id="hw2-mnist",
    cold_seconds=21,  # the cold build of 2026-12-02 on 2 cores (bench/build_speed.py)
    title="HW2: Implementing a Neural Network in NumPy",
    template="hw2-mnist.tex.j2",
    experiments=(
        Experiment("data", run_data, DATA, data=("mnist",)),
        Experiment("init", run_init, INIT, data=("mnist",)),
        Experiment("toy", run_toy, TOY, data=("toy_batch",)),
        Experiment("sigmoid", run_sigmoid, SIGMOID),
        Experiment("main", run_main, MAIN, data=("mnist",)),
        Experiment("big_step", run_main, BIG_STEP, data=("mnist",)),
        Experiment("memorise", run_memorise, MEMORISE, data=("mnist",)),
    ),
    figures=(
        FigureSpec("hw2_examples", partial(studies.labelled_images, title="y = {}", height=0.95,
                                           vmin=0, vmax=1), ("data",)),
        FigureSpec("hw2_fd_eps", fig.fd_eps, ("toy",)),
        FigureSpec("hw2_loss", fig.loss_curves, ("main",)),
        FigureSpec("hw2_accuracy", fig.accuracy_curves, ("main",)),
        FigureSpec("hw2_misclassified", fig.misclassified, ("main",)),
        FigureSpec("hw2_big_step", fig.big_step, ("main", "big_step")),
        FigureSpec("hw2_memorise", fig.memorise, ("memorise",)),
    ),
    context=context,
)
