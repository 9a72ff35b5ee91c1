"""hw2-mnist: HW2, a 784-200-1 ReLU/sigmoid network in NumPy on MNIST 3 vs 9 — experiments,
configs and the context whose claims tie every sentence of the report to its results."""

from __future__ import annotations

import tempfile
import warnings
from typing import Any

import numpy as np

from figures import hw2_mnist as fig
from model import BCE, Diverged, fit
from model.assignments import hw2
from model.data import load_mnist_3_vs_9, load_toy_batch, save_toy_batch
from model.gradcheck import KINK_BAND, SMOOTH_BAND, GradCheck, numeric_grad, rel_error
from report.fragments import gradcheck_table, matrix, table
from report.latex import NoEscape, fmt_fixed, fmt_num
from report.numbers import pm
from report.spec import Experiment, FigureSpec, Report, claim
from report.sweep import grid, per_seed, sweep

ACTIVATIONS = [hw2.relu_activation, hw2.sigmoid_activation]
PARAM_NAMES = ["W1", "W2", "b1", "b2"]  # the order in which hw2 prints the gradients

# §1.1: a look at the data (no randomness).
DATA = {"examples": 10}
# §1.3 (a)-(d): our stand-in for the unavailable pickle. Seed 2 gives a batch in which one
# hidden unit is off for some samples and on for others, so the ReLU's mask is exercised.
TOY = {"seed": 2, "n": 3}
# §1.2 (a): the checker's error against the step, from 1e-12 to 1e-1.
FD_EPS = {"seed": 2, "n": 3, "eps_exponents": [-12.0, -1.0], "points": 45}
# §1.2 (c): the initial network, and its output on the first mini-batch.
INIT = {"layer_dims": [784, 200, 1], "seed": 0, "batch_size": 100}
# §1.3 (b)(i)-(ii): the inputs the deliverables name, and a wider sweep of extreme ones.
SIGMOID = {"s_small": [1.0, 0.0, -1.0], "s_extreme": [-1000.0, 1000.0],
           "s_sweep": [-1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0]}
# §1.2 (e) / §1.3 (e)(i)-(iii): the prescribed run; test set evaluated after every step for
# `curve_seed`, after every epoch for the others (their final accuracies give mean +- std).
MAIN = {"layer_dims": [784, 200, 1], "batch_size": 100, "step_size": 0.1, "epochs": 5,
        "seeds": [0, 1, 2], "curve_seed": 0, "dtype": "float32"}
# §1.3 (e)(iv): the same run with step size 10; evaluating every 5 steps shows the collapse.
BIG_STEP = MAIN | {"step_size": 10.0, "eval_every": 5}
# §1.3 (f): fit 100 uniform random images to the first 100 training labels. Each run is one
# configuration (width, step size, centred inputs or not) trained by full-batch steps.
MEMORISE = {
    "n": 100, "seeds": [0, 1, 2], "dtype": "float32",
    "runs": [
        {"label": "hw2 setting", "width": 200, "step_size": 0.1, "centre": False, "steps": 100},
        {"label": "centred", "width": 200, "step_size": 0.1, "centre": True, "steps": 100},
        {"label": "centred, step 3", "width": 200, "step_size": 3.0, "centre": True, "steps": 30},
        {"label": "centred, width 1000, step 3", "width": 1000, "step_size": 3.0, "centre": True,
         "steps": 30},
        {"label": "raw, step 3", "width": 200, "step_size": 3.0, "centre": False, "steps": 30},
    ],
}


# --- §1.1: the data ----------------------------------------------------------------------------

def run_data(config: dict) -> dict[str, Any]:
    """Shapes, labels and class counts of hw2's split, and a few training images to show."""
    (x, y), (x_test, y_test) = load_mnist_3_vs_9()
    k = config["examples"]
    return {"x_shape": x.shape, "x_test_shape": x_test.shape, "labels": np.unique(y).tolist(),
            "min": float(x.min()), "max": float(x.max()),
            "train_counts": np.bincount(y).tolist(), "test_counts": np.bincount(y_test).tolist(),
            "images": x[:k].reshape(k, 28, 28), "image_labels": y[:k].tolist()}


def run_init(config: dict) -> dict[str, Any]:
    """§1.2 (c): the initial parameters and the untrained network's output on one mini-batch."""
    (x, y), _ = load_mnist_3_vs_9()
    weights = hw2.create_weight_matrices(config["layer_dims"], seed=config["seed"])
    biases = hw2.create_bias_vectors(config["layer_dims"])
    batch = slice(0, config["batch_size"])
    output, caches = hw2.forward_pass(x[batch], weights, biases, ACTIVATIONS)
    loss, _ = hw2.logistic_loss(output, y[batch])
    return {"W_shapes": [w.shape for w in weights], "b_shapes": [b.shape for b in biases],
            "W_mean": [float(w.mean()) for w in weights],
            "W_std": [float(w.std()) for w in weights],
            "b_abs_max": max(float(np.abs(b).max()) for b in biases),
            "output_shape": output.shape, "n_caches": len(caches),
            "output_min": float(output.min()), "output_max": float(output.max()),
            "mean_loss": float(loss.mean())}


# --- §1.2 (a)-(d) and §1.3 (a)-(d): the toy batch ------------------------------------------------

def toy_batch(seed: int, n: int) -> tuple:
    """Our stand-in pickle, written and read back exactly as hw2 reads its own."""
    with tempfile.TemporaryDirectory() as folder:
        return load_toy_batch(save_toy_batch(folder, seed=seed, n=n))


def run_toy(config: dict) -> dict[str, Any]:
    """What deliverables (a)-(d) print for the toy batch, and how far the two gradients agree."""
    x, y, weights, biases = toy_batch(config["seed"], config["n"])
    output, caches = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
    loss, dL_dg = hw2.logistic_loss(output, y)
    grad_Ws, grad_bs = hw2.backward_pass(dL_dg, caches)
    num_Ws, num_bs = hw2.nn_finite_difference_checker(x, y, weights, biases, ACTIVATIONS)
    backprop = dict(zip(PARAM_NAMES, grad_Ws + grad_bs, strict=True))
    numeric = dict(zip(PARAM_NAMES, num_Ws + num_bs, strict=True))
    checks = [GradCheck.of(name, backprop[name], numeric[name]) for name in PARAM_NAMES]
    # The checker is exact only if no pre-activation lies within its step of the ReLU's kink.
    pre = x @ weights[0] + biases[0]
    return {"x": x, "y": y, "weights": weights, "biases": biases, "output": output,
            "loss": loss, "dL_dg": dL_dg, "mean_loss": float(loss.mean()),
            "backprop": backprop, "numeric": numeric, "pre_activation": pre,
            "cache_shapes": [[np.shape(part) for part in cache] for cache in caches],
            "cache_is_input": [bool(np.array_equal(cache[0], inp)) for cache, inp in
                               zip(caches, [x, np.maximum(pre, 0)], strict=True)],
            "checks": [{"name": c.name, "abs_error": c.abs_error, "rel_error": c.rel_error}
                       for c in checks]}


def run_checker(config: dict) -> dict[str, Any]:
    """The checker on logistic regression, whose gradient is known in closed form, and the
    checker's error against back-propagation on the toy network for a range of steps."""
    x, y, weights, biases = toy_batch(config["seed"], config["n"])
    # A single sigmoid unit: dL/dW = x^T (g - y) / n and dL/db = mean(g - y), no back-propagation.
    w, b = weights[0][:, :1].copy(), biases[0][:, :1].copy()
    g, _ = hw2.forward_pass(x, [w], [b], [hw2.sigmoid_activation])
    exact = [x.T @ (g - y)[:, None] / len(y), np.mean(g - y, keepdims=True)[None]]
    num_w, num_b = hw2.nn_finite_difference_checker(x, y, [w], [b], [hw2.sigmoid_activation])
    closed_form = [GradCheck.of(name, a, n) for name, a, n in
                   zip(("W", "b"), exact, num_w + num_b, strict=True)]

    output, caches = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
    analytic = np.concatenate([a.ravel() for a in sum(
        hw2.backward_pass(hw2.logistic_loss(output, y)[1], caches), [])])

    def mean_loss(_: np.ndarray) -> float:
        out, _ = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
        return float(hw2.logistic_loss(out, y)[0].mean())

    eps = np.logspace(*config["eps_exponents"], config["points"])
    errors = [rel_error(analytic, np.concatenate(
        [numeric_grad(mean_loss, p, h=h).ravel() for p in weights + biases])) for h in eps]
    return {"closed_form": [{"name": c.name, "abs_error": c.abs_error, "rel_error": c.rel_error}
                            for c in closed_form],
            "eps": eps, "rel_error": np.array(errors)}


def _overflowing(fn, s: float) -> tuple[float, list[str]]:
    """fn(s) for one float64 input, and the floating-point warnings NumPy raised computing it."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", invalid="warn"):
        warnings.simplefilter("always")
        value = float(fn(np.float64(s)))
    return value, sorted({str(w.message).split(" encountered")[0] for w in caught})


def run_sigmoid(config: dict) -> dict[str, Any]:
    """sigmoid_activation on the deliverables' inputs, and both textbook formulas beside it."""
    small, extreme = (np.asarray(config[k]) for k in ("s_small", "s_extreme"))
    with np.errstate(all="raise"):  # any overflow in the stable version would stop the run
        small_out, small_grad = hw2.sigmoid_activation(small)
        extreme_out, extreme_grad = hw2.sigmoid_activation(extreme)
    sweep = []
    for s in config["s_sweep"]:
        plain = _overflowing(lambda v: 1 / (1 + np.exp(-v)), s)
        ratio = _overflowing(lambda v: np.exp(v) / (1 + np.exp(v)), s)
        sweep.append({"s": s, "plain": plain[0], "plain_warn": plain[1], "ratio": ratio[0],
                      "ratio_warn": ratio[1],
                      "stable": float(hw2.sigmoid_activation(np.asarray([s]))[0][0])})
    return {"small": small, "small_out": small_out, "small_grad": small_grad,
            "extreme": extreme, "extreme_out": extreme_out, "extreme_grad": extreme_grad,
            "sweep": sweep}


# --- §1.2 (e) and §1.3 (e): training on MNIST -------------------------------------------------

def _network(layer_dims: list[int], seed: int, dtype: str) -> tuple[list, list]:
    weights = [w.astype(dtype) for w in hw2.create_weight_matrices(layer_dims, seed=seed)]
    biases = [b.astype(dtype) for b in hw2.create_bias_vectors(layer_dims)]
    return weights, biases


def _history(history) -> dict[str, Any]:
    return {"steps_per_epoch": history.steps_per_epoch, "step_loss": history.step_loss,
            "step_acc": history.step_acc, "val_step": history.val_step,
            "val_loss": history.val_loss, "val_acc": history.val_acc}


def train_mnist(config: dict, seed: int, eval_every: int | None) -> dict[str, Any]:
    """hw2 §1.2 (e): SGD on the 3s and 9s, reshuffled every epoch, the test set evaluated after
    every `eval_every` steps (or every epoch). A non-finite loss is recorded, not raised, only
    if the config says `catch_divergence` (the step-size-10 rerun)."""
    (x, y), (x_test, y_test) = load_mnist_3_vs_9(dtype=config["dtype"])
    weights, biases = _network(config["layer_dims"], seed, config["dtype"])
    try:
        history = fit(hw2.to_net(weights, biases, ACTIVATIONS), BCE(), x, y,
                      epochs=config["epochs"], lr=config["step_size"],
                      batch_size=config["batch_size"], x_val=x_test, y_val=y_test,
                      eval_every=eval_every, seed=seed, progress=False)
        diverged = None
    except Diverged as err:
        if not config.get("catch_divergence"):
            raise
        history = err.history
        diverged = {"step": err.step, "epoch": err.epoch, "lr": err.lr}
    p, caches = hw2.forward_pass(x_test, weights, biases, ACTIVATIONS)
    hidden = caches[1][0]  # the output layer's cache starts with its input
    return {"seed": seed, "history": _history(history), "diverged": diverged,
            "test_p": p, "test_y": y_test, "weights": weights, "biases": biases,
            "dead_units": int(np.sum(hidden.max(axis=0) == 0))}


def _class_correlations(x: np.ndarray, y: np.ndarray, x_test: np.ndarray,
                        y_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of every test image with the mean training image of its own class
    and with that of the other class."""
    means = np.stack([x[y == c].mean(axis=0) for c in (0, 1)])
    centred = x_test - x_test.mean(axis=1, keepdims=True)
    means = means - means.mean(axis=1, keepdims=True)
    corr = (centred @ means.T) / np.outer(np.linalg.norm(centred, axis=1),
                                           np.linalg.norm(means, axis=1))
    rows = np.arange(len(y_test))
    return corr[rows, y_test], corr[rows, 1 - y_test]


def _train_main(config: dict) -> dict[str, Any]:
    """One seed of `run_main`; the curve seed also keeps what the error analysis needs."""
    seed = config["seed"]
    curve = seed == config["curve_seed"]
    run = train_mnist(config, seed, 1 if curve else None)
    del run["weights"], run["biases"]
    if curve:
        (x, y), (x_test, y_test) = load_mnist_3_vs_9(dtype=config["dtype"])
        wrong = np.flatnonzero((run["test_p"] > 0.5) != y_test)
        run["own_corr"], run["other_corr"] = _class_correlations(x, y, x_test, y_test)
        run["ink"] = x_test.sum(axis=1)
        run["wrong"] = {"index": wrong, "images": x_test[wrong].reshape(-1, 28, 28),
                        "y": y_test[wrong], "p": run["test_p"][wrong]}
    return run


def run_main(config: dict) -> dict[str, Any]:
    """The prescribed run for every seed, two at a time (the curve seed costs the most)."""
    runs = per_seed(_train_main, config, "main")
    return {"runs": runs, "curve": next(r for r in runs if r["seed"] == config["curve_seed"])}


def _train_big_step(config: dict) -> dict[str, Any]:
    """One seed of the step-size-10 rerun, with what became of the network at the end."""
    seed = config["seed"]
    run = train_mnist(config | {"catch_divergence": True}, seed, config["eval_every"])
    weights, biases = run.pop("weights"), run.pop("biases")
    (x, y), _ = load_mnist_3_vs_9(dtype=config["dtype"])
    output, caches = hw2.forward_pass(x, weights, biases, ACTIVATIONS)
    grad_Ws, grad_bs = hw2.backward_pass(hw2.logistic_loss(output, y)[1], caches)
    s = caches[1][0] @ weights[1] + biases[1]  # the output unit's pre-activation, every image
    return run | {"max_grad": float(max(np.abs(g).max() for g in grad_Ws + grad_bs)),
                  "min_abs_s": float(np.abs(s).min()), "s_sign": np.unique(np.sign(s)).tolist(),
                  "train_pred_9": float(np.mean(output > 0.5))}


def run_big_step(config: dict) -> dict[str, Any]:
    """§1.3 (e)(iv): the prescribed run with step size 10, for every seed."""
    runs = per_seed(_train_big_step, config, "step 10")
    return {"runs": runs}


# --- §1.3 (f): memorisation ----------------------------------------------------------------------

def _memorise_one(config: dict) -> dict[str, Any]:
    """Full-batch steps on 100 uniform random images with real labels; accuracy after each."""
    run, seed = config["run"], config["seed"]
    (_, y), _ = load_mnist_3_vs_9()
    y = y[:config["n"]]
    x = np.random.default_rng(seed).random((config["n"], 784)).astype(config["dtype"])
    if run["centre"]:
        x -= 0.5  # E[x] for U(0, 1): the inputs then share no common component
    weights, biases = _network([784, run["width"], 1], seed, config["dtype"])
    history = fit(hw2.to_net(weights, biases, ACTIVATIONS), BCE(), x, y, epochs=run["steps"],
                  lr=run["step_size"], batch_size=config["n"], x_val=x, y_val=y, eval_every=1,
                  seed=seed, progress=False)
    acc = np.array(history.val_acc)
    hits = np.flatnonzero(acc == 1.0)
    return {"acc": acc, "first": int(hits[0]) + 1 if hits.size else None,
            "final": float(acc[-1])}


def run_memorise(config: dict) -> dict[str, Any]:
    """Every configuration for every seed; `first` is the first step after which all fit."""
    common = {key: value for key, value in config.items() if key not in ("runs", "seeds")}
    out = iter(sweep(_memorise_one, grid(common, run=config["runs"], seed=config["seeds"]),
                     "memorise"))
    # The largest eigenvalue of the inputs' second-moment matrix bounds how large a stable
    # gradient step can be; the shared mean 1/2 of uniform pixels inflates it.
    x = np.random.default_rng(config["seeds"][0]).random((config["n"], 784))
    curvature = {name: float(np.linalg.eigvalsh(v @ v.T / len(v)).max())
                 for name, v in (("raw", x), ("centred", x - 0.5))}
    return {"labels_9": int(load_mnist_3_vs_9()[0][1][:config["n"]].sum()),
            "curvature": curvature,
            "runs": [run | {"seeds": [next(out) for _ in config["seeds"]]}
                     for run in config["runs"]]}


# --- what the template quotes, and the claims behind its sentences -------------------------------

def _value(v: float) -> NoEscape:
    """A sigmoid value as a reader wants it: 1 - 1e-15 spelled out, tiny values in sci."""
    if not np.isfinite(v):
        return NoEscape(r"\texttt{nan}" if np.isnan(v) else r"$\infty$")
    if 0 < 1 - v < 1e-6:
        return NoEscape(f"$1 - {fmt_fixed(1 - v, 2, sci=True)}$")
    if v != 0 and abs(v) < 1e-3:
        return fmt_num(v, 2, sci=True)
    return NoEscape(f"${v:.6g}$")


def context_toy(r: dict[str, Any]) -> dict[str, Any]:
    """§1.2 (a)-(d), §1.3 (a)-(d): the toy batch, the checker, the sigmoid, the loss."""
    toy, checker, sig = r["toy"], r["checker"], r["sigmoid"]
    pre = toy["pre_activation"]
    claim([w.shape for w in toy["weights"]] == [(4, 2), (2, 1)],
          "(toy) a 4-2-1 network on inputs of dimension 4")
    active = (pre > 0).sum(axis=0)
    claim(active.tolist() == [1, 1], "(toy) each hidden unit is active for exactly one sample")
    grad_W1, grad_b1 = toy["backprop"]["W1"], toy["backprop"]["b1"][0]
    for j, n in enumerate(np.argmax(pre > 0, axis=0)):
        claim(np.allclose(grad_W1[:, j], toy["x"][n] * grad_b1[j], rtol=1e-12, atol=0),
              f"(a) column {j + 1} of grad W1 is x_{n + 1} times entry {j + 1} of grad b1")
    claim(float(np.abs(pre).min()) > 1e-3, "(toy) no pre-activation lies within h of the kink")
    claim(len(set(toy["y"].tolist())) == 2, "(toy) both labels occur in the batch")
    for row in toy["checks"]:
        claim(row["rel_error"] < SMOOTH_BAND, f"(d) {row['name']} agrees to within 1e-7")
    for row in checker["closed_form"]:
        claim(row["rel_error"] < SMOOTH_BAND, f"1.2 (a) checker matches closed form {row['name']}")
    eps, err = checker["eps"], checker["rel_error"]
    best = int(np.argmin(err))
    at_default = float(err[int(np.argmin(np.abs(np.log10(eps) + 5)))])
    claim(1e-7 <= eps[best] <= 1e-3, "1.2 (a) the best step lies between 1e-7 and 1e-3")
    claim(at_default < SMOOTH_BAND, "1.2 (a) h = 1e-5 is well within the smooth band")
    claim(err[0] > 1e3 * err[best] and err[-1] > 1e3 * err[best],
          "1.2 (a) the error grows by orders of magnitude on both sides of the best step")
    claim(toy["cache_is_input"] == [True, True], "(b)(iv) the cache starts with the layer input")
    claim(bool(np.all(sig["small_out"] > 0)) and bool(np.all(sig["small_out"] < 1)),
          "(b)(i) outputs are probabilities")
    claim(sig["extreme_out"].tolist() == [hw2.SIGMOID_CLIP, 1 - hw2.SIGMOID_CLIP],
          "(b)(ii) extreme inputs are clipped to eps and 1 - eps")
    claim(sig["extreme_grad"].tolist() == [0.0, 0.0], "(b)(ii) gradients vanish at +-1000")
    sweep = {row["s"]: row for row in sig["sweep"]}
    plain_over = [s for s, row in sweep.items() if "overflow" in row["plain_warn"]]
    ratio_bad = [s for s, row in sweep.items() if row["ratio_warn"]]
    claim(plain_over == [-1000.0], "(b)(ii) only s = -1000 overflows 1 / (1 + e^-s)")
    claim(ratio_bad == [1000.0] and np.isnan(sweep[1000.0]["ratio"]),
          "(b)(ii) only s = 1000 breaks e^s / (1 + e^s), giving nan")
    claim(sweep[-1000.0]["plain"] == 0.0, "(b)(ii) the plain formula still returns 0 at -1000")
    clipped = [s for s, row in sweep.items() if row["stable"] in (hw2.SIGMOID_CLIP,
                                                                   1 - hw2.SIGMOID_CLIP)]
    claim(clipped == [s for s in sweep if abs(s) >= 100],
          "(b)(ii) the clip decides exactly the entries with |s| >= 100")

    check_table = gradcheck_table(
        {"gradient": [NoEscape(f"${n[0]}_{n[1]}$") for n in PARAM_NAMES]},
        [row["rel_error"] for row in toy["checks"]],
        abs_error=[row["abs_error"] for row in toy["checks"]])
    closed_table = gradcheck_table(
        {"parameter": [NoEscape(f"${row['name']}$") for row in checker["closed_form"]]},
        [row["rel_error"] for row in checker["closed_form"]],
        abs_error=[row["abs_error"] for row in checker["closed_form"]],
        analytic_is="the exact gradient")

    def warned(names: list[str]) -> str:
        return ", ".join(names) if names else "none"

    sweep_table = table(
        [NoEscape("$s$"), NoEscape(r"$1/(1+e^{-s})$"), "warning", NoEscape(r"$e^{s}/(1+e^{s})$"),
         "warning", NoEscape(r"\texttt{sigmoid\_activation}")],
        [[fmt_num(row["s"], 0), _value(row["plain"]), warned(row["plain_warn"]),
          _value(row["ratio"]), warned(row["ratio_warn"]), _value(row["stable"])]
         for row in sig["sweep"]])
    return {
        "toy_grad": {kind: {name: matrix(toy[kind][name]) for name in PARAM_NAMES}
                     for kind in ("backprop", "numeric")},
        "toy_x": matrix(toy["x"], 3), "toy_y": matrix(toy["y"], 0),
        "toy_W": [matrix(w, 3) for w in toy["weights"]],
        "toy_b": [matrix(b, 3) for b in toy["biases"]],
        "toy_pre": matrix(pre, 3),
        "toy_out": matrix(toy["output"], 4), "toy_loss": matrix(toy["loss"], 4),
        "toy_dL_dg": matrix(toy["dL_dg"], 4),
        "toy_max_rel": max(row["rel_error"] for row in toy["checks"]),
        "toy_min_pre": float(np.abs(pre).min()),
        "check_table": check_table, "closed_table": closed_table,
        "closed_max_rel": max(row["rel_error"] for row in checker["closed_form"]),
        "best_eps": eps[best], "best_eps_error": err[best], "default_eps_error": at_default,
        "active_sample": [int(n) + 1 for n in np.argmax(pre > 0, axis=0)],
        "sig_small": {"small": matrix(sig["small"], 0), "small_out": matrix(sig["small_out"]),
                      "small_grad": matrix(sig["small_grad"])},
        "sig_extreme_in": matrix(sig["extreme"], 0),
        "sig_extreme_grad": matrix(sig["extreme_grad"], 1),
        "sig_extreme_out": NoEscape(
            r"\begin{bmatrix}" + r" & ".join(
                _value(v).strip("$") for v in sig["extreme_out"]) + r"\end{bmatrix}"),
        "sweep_table": sweep_table, "sweep_plain_m1000": sweep[-1000.0],
        "smooth_band": SMOOTH_BAND, "kink_band": KINK_BAND,
        "cache_shapes": toy["cache_shapes"],
    }


def context_mnist(r: dict[str, Any]) -> dict[str, Any]:
    """§1.1, §1.2 (e), §1.3 (e): the data, the prescribed run, its errors, the big step."""
    data, main, big = r["data"], r["main"], r["big_step"]
    claim(data["labels"] == [0, 1], "1.1 labels are 0 (a 3) and 1 (a 9)")
    claim(data["x_shape"][1] == 784 and data["images"].shape[1:] == (28, 28),
          "1.1 a 28x28 image flattens to 784 features")
    init = r["init"]
    # 156,800 draws pin W1's spread down to 1%; W2's 200 draws only to about 10%.
    claim(abs(init["W_std"][0] - 0.01) < 1e-4 and abs(init["W_std"][1] - 0.01) < 2e-3
          and init["b_abs_max"] == 0, "1.2 (c) weights have std 0.01, biases are zero")
    claim(0.49 < init["output_min"] and init["output_max"] < 0.51,
          "1.2 (c) the untrained network outputs about 1/2 for every image")
    claim(abs(init["mean_loss"] - np.log(2)) < 0.01, "1.2 (c) so its loss is about log 2")
    curve = main["curve"]
    hist = curve["history"]
    final = np.array([run["history"]["val_acc"][-1] for run in main["runs"]])
    final_loss = np.array([run["history"]["val_loss"][-1] for run in main["runs"]])
    steps = len(hist["step_loss"])
    claim(data["x_shape"][0] % MAIN["batch_size"] != 0, "(e) each epoch's last batch is smaller")
    claim(steps == MAIN["epochs"] * hist["steps_per_epoch"], "(e) steps = epochs x batches")
    claim(hist["val_step"] == list(range(1, steps + 1)), "(e) the test set is scored every step")
    claim(0.975 <= final.min() and final.max() <= 0.99,
          "(e) every seed ends at about 98% test accuracy")
    test_acc_now = float(np.mean((curve["test_p"] > 0.5) == curve["test_y"]))
    claim(abs(test_acc_now - hist["val_acc"][-1]) < 1e-12,
          "(e) hw2's forward_pass scores the trained network as fit's last evaluation did")
    first_epoch = hist["steps_per_epoch"]
    claim(hist["val_acc"][first_epoch - 1] > 0.95, "(e)(ii) above 95% after the first epoch")
    claim(min(hist["val_loss"]) < hist["val_loss"][0] / 10, "(e)(i) test loss falls tenfold")
    last_epoch_loss = float(np.mean(hist["step_loss"][-hist["steps_per_epoch"]:]))
    claim(abs(hist["val_loss"][-1] / last_epoch_loss - 1) < 0.5,
          "(e)(i) no visible overfitting: final test loss within 50% of the last epoch's "
          "training loss")

    # (e)(iii): the images it gets wrong.
    wrong = curve["wrong"]
    y_test = curve["test_y"]
    is_wrong = np.zeros(len(y_test), bool)
    is_wrong[wrong["index"]] = True
    own, other = curve["own_corr"], curve["other_corr"]
    confidence = np.maximum(curve["test_p"], 1 - curve["test_p"])
    stats = {
        "n_wrong": int(is_wrong.sum()),
        "n_3_as_9": int(np.sum(wrong["y"] == 0)), "n_9_as_3": int(np.sum(wrong["y"] == 1)),
        "own_wrong": float(np.median(own[is_wrong])), "own_right": float(np.median(own[~is_wrong])),
        "closer_other": int(np.sum(other[is_wrong] > own[is_wrong])),
        "closer_other_right": float(np.mean(other[~is_wrong] > own[~is_wrong])),
        "ink_wrong": float(curve["ink"][is_wrong].mean()),
        "ink_right": float(curve["ink"][~is_wrong].mean()),
        "conf_wrong": float(np.median(confidence[is_wrong])),
        "conf_right": float(np.median(confidence[~is_wrong])),
        "sure_wrong": int(np.sum(confidence[is_wrong] > 0.95)),
    }
    claim(stats["n_3_as_9"] > 0 and stats["n_9_as_3"] > 0, "(e)(iii) errors in both directions")
    claim(stats["own_wrong"] < stats["own_right"] - 0.1,
          "(e)(iii) misread digits look less like their class's average digit")
    claim(stats["closer_other"] > stats["n_wrong"] / 2 > 0.1 * stats["n_wrong"]
          and stats["closer_other_right"] < 0.05,
          "(e)(iii) most misread digits correlate more with the other class's average")
    claim(stats["ink_wrong"] > stats["ink_right"], "(e)(iii) misread digits carry more ink")
    claim(stats["conf_wrong"] < stats["conf_right"], "(e)(iii) errors are made less confidently")

    # (e)(iv): step size 10.
    big_runs = big["runs"]
    collapsed = [run for run in big_runs if run["diverged"] is None]
    majority = max(np.mean(y_test), 1 - np.mean(y_test))
    # The loss clips a float32 prediction to [eps, 1 - eps]: a sure miss costs -log(eps).
    clip_cost = float(-np.log(np.finfo(np.float32).eps))
    for run in collapsed:
        acc = run["history"]["val_acc"][-1]
        claim(run["s_sign"] in ([-1.0], [1.0]), "(e)(iv) one sign of the output for every image")
        predicts_9 = run["s_sign"][0] > 0
        claim(abs(acc - np.mean(y_test == predicts_9)) < 1e-12 and acc <= majority,
              "(e)(iv) test accuracy is the share of the one class it predicts")
        claim(run["max_grad"] < 1e-10, "(e)(iv) the gradient has vanished")
        claim(run["min_abs_s"] > 30, "(e)(iv) the output unit is saturated for every image")
        claim(abs(run["history"]["step_loss"][0] - np.log(2)) < 0.01,
              "(e)(iv) the first loss is about 0.69")
        claim(max(run["history"]["step_loss"][:2]) < 1.5 < run["history"]["step_loss"][2],
              "(e)(iv) the loss jumps at the third step")
        claim(abs(run["history"]["val_loss"][-1] - (1 - acc) * clip_cost) < 0.01,
              "(e)(iv) the test loss is the clipped cost of the misread half")
    big_rows = [[run["seed"],
                 "none" if run["diverged"] is None else
                 f"step {run['diverged']['step']} (epoch {run['diverged']['epoch']})",
                 fmt_num(run["history"]["val_acc"][-1], 4) if run["history"]["val_acc"] else "--",
                 fmt_num(run["history"]["val_loss"][-1], 3) if run["history"]["val_loss"] else "--",
                 "--" if run["diverged"] else ("all 9" if run["s_sign"] == [1.0] else "all 3"),
                 run["dead_units"],
                 "--" if run["diverged"] else
                 ("0" if run["max_grad"] == 0 else fmt_num(run["max_grad"], 1, sci=True))]
                for run in big_runs]
    big_table = table(["seed", "non-finite loss", "test acc.", "test loss", "predicts",
                       "dead units", NoEscape(r"max $|\nabla|$")], big_rows)
    return {
        "final_acc": final, "final_acc_pm": pm(final, 4), "final_loss_pm": pm(final_loss, 4),
        "final_acc_pct": pm(100 * final, 2),
        "curve_acc": hist["val_acc"][-1], "curve_loss": hist["val_loss"][-1],
        "last_epoch_loss": last_epoch_loss, "n_steps": steps,
        "first_epoch_acc": hist["val_acc"][first_epoch - 1],
        "start_test_loss": hist["val_loss"][0], "min_test_loss": min(hist["val_loss"]),
        "wrong": stats, "n_test": len(y_test),
        "big_table": big_table, "n_collapsed": len(collapsed), "n_big": len(big_runs),
        "big_diverged": [run for run in big_runs if run["diverged"] is not None],
        "big_min_s": min((run["min_abs_s"] for run in collapsed), default=np.nan),
        "big_max_grad": max((run["max_grad"] for run in collapsed), default=np.nan),
        "big_loss_3": [run["history"]["step_loss"][2] for run in big_runs],
        "dead_range": [min(run["dead_units"] for run in big_runs),
                       max(run["dead_units"] for run in big_runs)],
        "majority": majority,
        "clip_cost": clip_cost, "init": init,
    }


def context_memorise(r: dict[str, Any]) -> dict[str, Any]:
    """§1.3 (f): steps to 100% training accuracy per configuration, mean ± std over seeds."""
    mem = r["memorise"]
    runs = {run["label"]: run for run in mem["runs"]}

    def firsts(label: str) -> list[int | None]:
        return [s["first"] for s in runs[label]["seeds"]]

    def all_reach(label: str) -> bool:
        return all(f is not None for f in firsts(label))

    for label in ("hw2 setting", "centred", "centred, step 3", "centred, width 1000, step 3"):
        claim(all_reach(label), f"(f) '{label}' memorises for every seed")
    base, best = runs["hw2 setting"], runs["centred, width 1000, step 3"]
    claim(max(firsts("centred, width 1000, step 3")) < min(firsts("centred, step 3"))
          <= max(firsts("centred, step 3")) < min(firsts("hw2 setting")),
          "(f) each change cuts the steps for every seed")
    claim(any(s["final"] < 1.0 for s in base["seeds"]),
          "(f) with raw inputs 100% is reached but not kept")
    claim(all(s["final"] == 1.0 for s in runs["centred"]["seeds"]),
          "(f) with centred inputs 100% is kept")
    claim(all(s["first"] is None for s in runs["raw, step 3"]["seeds"]),
          "(f) raw inputs with step 3 never memorise")
    curvature = mem["curvature"]
    claim(curvature["raw"] > 100 * curvature["centred"],
          "(f) raw inputs have a curvature over 100 times that of centred ones")
    rows = []
    for run in mem["runs"]:
        got = [f for f in firsts(run["label"]) if f is not None]
        rows.append([run["label"], run["width"], NoEscape(f"${run['step_size']:g}$"),
                     "yes" if run["centre"] else "no",
                     pm(got, 1) if len(got) == len(run["seeds"]) else
                     f"{len(got)} of {len(run['seeds'])} within {run['steps']}",
                     pm([s["final"] for s in run["seeds"]], 2)])
    table_ = table(["configuration", "width", "step size", "centred",
                    "steps to 100%", "accuracy after the last step"], rows)
    return {"mem_table": table_, "mem_n": MEMORISE["n"], "mem_labels_9": mem["labels_9"],
            "mem_first": {label: np.mean(firsts(label)) for label in runs if all_reach(label)},
            "mem_final_base": [s["final"] for s in base["seeds"]],
            "mem_best_max": max(firsts(best["label"])), "curvature": curvature,
            "mem_runs": runs}


# Appendix A: the code the answers rely on, beyond hw2's own module (listed whole).
CORE_LISTINGS = [
    "model.functional.sigmoid", "model.functional.relu", "model.functional.relu_grad",
    "model.losses.bce_loss", "model.losses.bce_loss_grad", "model.losses.logistic_loss",
    "model.losses.logistic_loss_grad", "model.losses.accuracy", "model.losses.BCE",
    "model.gradcheck.rel_error", "model.gradcheck.numeric_grad", "model.gradcheck.GradCheck",
    "model.init.normal", "model.layers.Linear", "model.layers.Activation",
    "model.layers.Sigmoid", "model.layers.ReLU", "model.net.Net", "model.train.History",
    "model.train.Diverged", "model.train.fit", "model.data.load_mnist_3_vs_9",
    "model.data.make_toy_batch", "model.data.save_toy_batch", "model.data.load_toy_batch",
]
EXPERIMENT_LISTINGS = [f"{__name__}.{name}" for name in (
    "run_data", "run_init", "toy_batch", "run_toy", "run_checker", "_overflowing",
    "run_sigmoid", "_network", "_history", "train_mnist", "_class_correlations", "_train_main",
    "run_main", "_train_big_step", "run_big_step", "_memorise_one", "run_memorise")]


def context(r: dict[str, Any]) -> dict[str, Any]:
    return (context_toy(r) | context_mnist(r) | context_memorise(r)
            | {"core_listings": CORE_LISTINGS, "experiment_listings": EXPERIMENT_LISTINGS})


REPORT = Report(
    id="hw2-mnist",
    title="HW2: Implementing a Neural Network in NumPy",
    template="hw2-mnist.tex.j2",
    experiments=(
        Experiment("data", run_data, DATA, data=("mnist",)),
        Experiment("init", run_init, INIT, data=("mnist",)),
        Experiment("toy", run_toy, TOY, data=("toy_batch",)),
        Experiment("checker", run_checker, FD_EPS, data=("toy_batch",)),
        Experiment("sigmoid", run_sigmoid, SIGMOID),
        Experiment("main", run_main, MAIN, data=("mnist",)),
        Experiment("big_step", run_big_step, BIG_STEP, data=("mnist",)),
        Experiment("memorise", run_memorise, MEMORISE, data=("mnist",)),
    ),
    figures=(
        FigureSpec("hw2_examples", fig.examples, ("data",)),
        FigureSpec("hw2_fd_eps", fig.fd_eps, ("checker",)),
        FigureSpec("hw2_loss", fig.loss_curves, ("main",)),
        FigureSpec("hw2_accuracy", fig.accuracy_curves, ("main",)),
        FigureSpec("hw2_misclassified", fig.misclassified, ("main",)),
        FigureSpec("hw2_big_step", fig.big_step, ("main", "big_step")),
        FigureSpec("hw2_memorise", fig.memorise, ("memorise",)),
    ),
    context=context,
)
