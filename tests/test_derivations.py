"""The derivations: every one verifies, a wrong step is caught and named, and every derived
gradient gives the numbers the NumPy model computes."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp
from conftest import ROOT

import derivations
from derivations.core import Derivation, DerivationError, Equation, Step
from derivations.notation import Abbreviations, Context, Env, Node, Partial, evaluate
from model import functional as F
from model import gradcheck, layers, losses, optim2d

NAMES = derivations.names()


# --- helpers ------------------------------------------------------------------------------


class _Bumped(Node):
    """A step made wrong on purpose: its value plus 1 (plus 1 on the first entry of a matrix)."""

    def evaluate(self, ctx: Context, env: Env) -> sp.Expr | sp.MatrixBase:
        value = evaluate(self.args[0], ctx, env)
        if isinstance(value, sp.MatrixBase):
            value = value.as_mutable()
            value[0, 0] += 1
            return value
        return value + 1


def corrupt(step: Step) -> Step:
    """The same step, one unit off, whatever kind of expression it holds."""
    if isinstance(step.expr, Equation):
        wrong = Equation(step.expr.lhs, _Bumped(step.expr.rhs))
    else:
        wrong = _Bumped(step.expr)
    return dataclasses.replace(step, expr=wrong)


def named(prefix: str, array: np.ndarray) -> dict[str, float]:
    """{prefix_r_c: value}: how a model context names the entries of a matrix (from 1)."""
    array = np.atleast_2d(array)
    return {f"{prefix}_{r + 1}_{c + 1}": float(v) for (r, c), v in np.ndenumerate(array)}


def env_of(d: Derivation) -> dict[str, dict[str, int]]:
    """Each checked instance's label -> its index values by name (ell, i, j, ...)."""
    return {label: {s.name: int(v) for s, v in env.items()} for label, env in d.context.instances}


def assert_close(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert set(got) == set(want)
    for label in want:
        err = gradcheck.rel_error(got[label], want[label])
        assert err < 1e-10, f"{label}: derived {got[label]} vs model {want[label]}"


# --- every derivation verifies, and a wrong last step is caught ----------------------------


@pytest.mark.parametrize("name", NAMES)
def test_derivation_verifies(name: str) -> None:
    d = derivations.get(name)
    numeric = d.verify()
    assert numeric <= set(range(1, len(d.steps) + 1))


@pytest.mark.parametrize("name", NAMES)
def test_wrong_last_step_is_named_in_the_error(name: str) -> None:
    d = derivations.get(name)
    last = len(d.steps)
    broken = dataclasses.replace(d, steps=[*d.steps[:-1], corrupt(d.steps[-1])])
    with pytest.raises(DerivationError) as info:
        broken.verify()
    message = str(info.value)
    assert message.startswith(f"derivation {name!r}, step {last} ")
    assert f'("{d.steps[-1].why}")' in message


def test_error_shows_both_sides_of_the_wrong_step() -> None:
    x = sp.Symbol("x")
    sigma = sp.Function("sigma")
    d = Derivation(
        name="sigmoid_typo",
        title="a sigmoid derivative with a typo",
        lhs=Partial(sigma(x), x),
        steps=[
            Step(Partial(1 / (1 + sp.exp(-x)), x), "definition"),
            Step(sigma(x) * (1 - sigma(x)), "known result"),
            Step(sigma(x) * (2 - sigma(x)), "factor out sigma"),
        ],
        definition=1 / (1 + sp.exp(-x)),
        wrt=x,
        context=Abbreviations({sigma: lambda t: 1 / (1 + sp.exp(-t))}),
    )
    with pytest.raises(DerivationError, match=r"step 3 \(\"factor out sigma\"\)") as info:
        d.verify()
    assert "(1 - sigma(x))*sigma(x) != (2 - sigma(x))*sigma(x)" in str(info.value)


def test_result_that_differs_from_sp_diff_of_the_definition_fails() -> None:
    x = sp.Symbol("x")
    d = Derivation(
        name="square",
        title="derivative of x^2, wrongly",
        lhs=Partial(x**2, x),
        steps=[Step(3 * x, "wrong")],
        definition=x**2,
        wrt=x,
    )
    with pytest.raises(DerivationError, match=r"step 1 .*the reference .*numerically"):
        d.verify()


def test_get_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="valid names: f_partials, ") as info:
        derivations.get("sigmiod")
    assert "sigmoid" in str(info.value)


def test_every_derivation_a_template_shows_is_registered() -> None:
    shown = {name for path in (ROOT / "templates").glob("*.tex.j2")
             for name in re.findall(r'derivation\("([^"]+)"\)', path.read_text())}
    assert len(shown) > 10
    assert shown <= set(NAMES), shown - set(NAMES)


def _softplus() -> Derivation:
    x = sp.Symbol("x", real=True)
    return Derivation(name="test_softplus", title="Derivative of the softplus",
                      lhs=sp.Derivative(sp.log(1 + sp.exp(x)), x),
                      steps=[Step(sp.exp(x) / (1 + sp.exp(x)), "chain rule")],
                      definition=sp.log(1 + sp.exp(x)), wrt=x)


def test_a_registered_derivation_is_listed_verified_and_found_by_its_builder() -> None:
    derivations.register(_softplus)
    try:
        assert derivations.names()[-1] == "test_softplus"
        assert derivations.names()[:len(NAMES)] == NAMES
        assert derivations.get("test_softplus").verify() == frozenset()
        assert derivations.builder_of("test_softplus") is _softplus
    finally:
        derivations._REGISTERED.pop(f"{__name__}._softplus")
        derivations._built.cache_clear()
    assert "test_softplus" not in derivations.names()


def test_a_registered_derivation_may_not_reuse_a_core_name() -> None:
    def sigmoid() -> Derivation:
        return dataclasses.replace(_softplus(), name="sigmoid")

    derivations.register(sigmoid)
    try:
        with pytest.raises(derivations.DerivationError, match="two derivations are called"):
            derivations.names()
    finally:
        derivations._REGISTERED.pop(f"{__name__}.{sigmoid.__qualname__}")
        derivations._built.cache_clear()


# --- how verification and LaTeX report numeric checks ---------------------------------------


def test_symbolic_steps_are_not_marked_numeric() -> None:
    assert derivations.get("sigmoid").numeric_steps == frozenset()
    assert r"\dagger" not in derivations.get("sigmoid").to_latex()


def test_rounded_printed_values_are_marked_numeric() -> None:
    d = derivations.get("autograd_exp_sin")
    last = len(d.steps)
    assert last in d.numeric_steps
    line = d.to_latex().splitlines()[-2]
    assert "-6.6191" in line and line.endswith(r"^{\dagger}")


def test_autograd_values_round_to_the_printed_ones() -> None:
    exact = np.array(derivations.get("autograd_exp_sin").steps[-2].value, dtype=float).ravel()
    assert np.round(exact, 4).tolist() == [-6.6191, 1.5777]
    exact = np.array(derivations.get("autograd_linear").result, dtype=float).ravel()
    assert exact.tolist() == [5.0, 1.0]


@pytest.mark.parametrize("name", NAMES)
def test_latex_is_an_align_with_every_step_and_its_reason(name: str) -> None:
    d = derivations.get(name)
    tex = d.to_latex()
    assert tex.startswith("\\begin{align*}\n") and tex.endswith("\n\\end{align*}")
    assert tex.count("&=") == len(d.steps)
    for step in d.steps:
        assert f"\\text{{({step.why})}}" in tex
    assert tex.count(r"^{\dagger}") == len(d.numeric_steps)


def test_equation_step_starts_its_own_line_with_its_name() -> None:
    last = derivations.get("sigmoid").to_latex().splitlines()[-2]
    assert last.startswith(r"\sigma'(x) &= ")


def test_long_line_moves_its_reason_to_the_next_line() -> None:
    tex = derivations.get("f_partials").to_latex()
    first = tex.split(r"\\")[0]
    assert "sum rule" not in first


# --- the derived gradients agree with model/ ------------------------------------------------

RNG = np.random.default_rng(7)


def _scalar_points(d: Derivation, name: str, xs: np.ndarray) -> np.ndarray:
    return np.array([d.evaluate({name: float(v)})[""].item() for v in xs])


def test_sigmoid_derivative_matches_model() -> None:
    xs = RNG.uniform(-6, 6, 9)
    got = _scalar_points(derivations.get("sigmoid"), "x", xs)
    np.testing.assert_allclose(got, F.sigmoid_grad(xs), rtol=1e-12)


def test_stable_sigmoid_matches_model_sigmoid() -> None:
    xs = np.concatenate([RNG.uniform(-30, 30, 9), [0.0]])
    got = _scalar_points(derivations.get("sigmoid_stable"), "x", xs)
    np.testing.assert_allclose(got, F.sigmoid(xs), rtol=1e-12)


def test_relu_derivative_matches_model_including_the_kink() -> None:
    xs = np.concatenate([RNG.uniform(-3, 3, 9), [0.0]])
    got = _scalar_points(derivations.get("relu"), "x", xs)
    np.testing.assert_array_equal(got, F.relu_grad(xs))


def test_tanh_derivative_matches_model() -> None:
    xs = RNG.uniform(-4, 4, 9)
    got = _scalar_points(derivations.get("tanh"), "x", xs)
    np.testing.assert_allclose(got, F.tanh_grad(xs), rtol=1e-12)


def _label_and_prediction(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    return RNG.integers(0, 2, n).astype(float), RNG.uniform(0.02, 0.98, n)


def test_bce_gradient_matches_model() -> None:
    d = derivations.get("bce")
    ys, ps = _label_and_prediction()
    got = [d.evaluate({"y": y, r"\hat{y}": p})[""].item() for y, p in zip(ys, ps, strict=True)]
    np.testing.assert_allclose(got, losses.bce_loss_grad(ys, ps), rtol=1e-12)


def test_logistic_loss_gradient_matches_model() -> None:
    d = derivations.get("logistic_loss")
    ys, gs = _label_and_prediction()
    got = [d.evaluate({"y": y, "g": g})[""].item() for y, g in zip(ys, gs, strict=True)]
    np.testing.assert_allclose(got, losses.logistic_loss_grad(ys, gs), rtol=1e-12)


def test_bce_after_sigmoid_gradient_matches_model_chain() -> None:
    d = derivations.get("bce_logit")
    ys, hs = RNG.integers(0, 2, 8).astype(float), RNG.uniform(-4, 4, 8)
    got = [d.evaluate({"y": y, "h": h})[""].item() for y, h in zip(ys, hs, strict=True)]
    want = losses.bce_loss_grad(ys, F.sigmoid(hs)) * F.sigmoid_grad(hs)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_mse_gradient_matches_model() -> None:
    d = derivations.get("mse")
    y, y_hat = RNG.uniform(0, 1, 3), RNG.uniform(0, 1, 3)
    values = {f"y[{k + 1}]": y[k] for k in range(3)} | {
        f"\\hat{{y}}[{k + 1}]": y_hat[k] for k in range(3)
    }
    got = d.evaluate(values)
    grad = losses.mse_loss_grad(y, y_hat)
    want = {label: np.array([[grad[env["m"] - 1]]]) for label, env in env_of(d).items()}
    assert_close(got, want)


def _logits(k: int = 3) -> tuple[np.ndarray, dict[str, float]]:
    o = RNG.normal(size=k)
    return o, {f"o[{i + 1}]": o[i] for i in range(k)}


@pytest.mark.parametrize("name", ["softmax_diag", "softmax_offdiag", "softmax_jacobian"])
def test_softmax_derivatives_match_finite_differences_of_model_softmax(name: str) -> None:
    d = derivations.get(name)
    o, values = _logits()
    jacobian = np.array(
        [gradcheck.numeric_grad(lambda v, r=r: F.softmax(v)[r], o) for r in range(3)]
    )
    got = d.evaluate(values)
    for label, env in env_of(d).items():
        i, j = env["i"], env.get("j", env["i"])
        assert abs(got[label].item() - jacobian[i - 1, j - 1]) < 1e-9, label


def test_cross_entropy_logit_gradient_matches_model() -> None:
    d = derivations.get("ce_wrt_logits")
    o, values = _logits()
    got = d.evaluate(values)
    want = {}
    for label, env in env_of(d).items():
        _, dlogits = losses.softmax_cross_entropy(np.array([env["c"] - 1]), o[None, :])
        want[label] = np.array([[dlogits[0, env["i"] - 1]]])
    assert_close(got, want)


def _linear_values(batch: int) -> tuple[dict[str, float], np.ndarray, np.ndarray, np.ndarray]:
    """Values for the linear derivations' symbols, and the x, upstream g and layer they mean."""
    x, g = RNG.normal(size=(batch, 3)), RNG.normal(size=(batch, 4))
    layer = layers.Linear(3, 4, rng=RNG)
    layer.b = RNG.normal(size=4)
    values = named("x", x) | named("W", layer.W) | named("b", layer.b) | named("g", g)
    return values, x, g, layer


@pytest.mark.parametrize(
    ("name", "wrt"),
    [("linear_dy_dx", "dx"), ("linear_dy_dW", "dW"), ("linear_dy_db", "db")],
)
def test_linear_jacobian_entries_match_backward_of_a_unit_upstream(name: str, wrt: str) -> None:
    d = derivations.get(name)
    values, x, _, layer = _linear_values(1)
    got = d.evaluate(values)
    want = {}
    for label, env in env_of(d).items():
        unit = np.zeros((1, 4))
        unit[0, env["j"] - 1] = 1.0
        dx = layer.backward(x, unit)
        if wrt == "dx":
            entry = dx[0, env["i"] - 1]
        elif wrt == "dW":
            entry = layer.dW[env["i"] - 1, env["k"] - 1]
        else:
            entry = layer.db[env["k"] - 1]
        want[label] = np.array([[entry]])
    assert_close(got, want)


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("wrt", ["x", "W", "b"])
def test_linear_gradients_match_layer_backward(batch: int, wrt: str) -> None:
    prefix = "linear_batched_grad_" if batch > 1 else "linear_grad_"
    d = derivations.get(prefix + wrt)
    values, x, g, layer = _linear_values(batch)
    dx = layer.backward(x, g)
    want = {"x": dx, "W": layer.dW, "b": layer.db[None, :]}[wrt]
    assert_close(d.evaluate(values), {"": want})


def test_one_layer_input_gradient_matches_model_layers() -> None:
    d = derivations.get("one_layer_grad_x")
    x, w, b, y = RNG.normal(size=(1, 3)), RNG.normal(size=(1, 3)), RNG.normal(), 1.0
    values = named("x", x) | named("w", w) | {"b": b, "y": y}
    linear = layers.Linear.from_params(w.T.copy(), np.array([b]))
    sigmoid = layers.Sigmoid()
    h = linear.forward(x)
    y_hat = sigmoid.forward(h)
    dx = linear.backward(x, sigmoid.backward(h, losses.bce_loss_grad(y, y_hat)))
    assert_close(d.evaluate(values), {"": dx})


# --- lab4's back-propagation against the model's own backward pass -------------------------

WIDTHS = derivations.backprop.WIDTHS


def _model_backprop(batch: int) -> tuple[dict[str, float], dict[int, dict[str, np.ndarray]]]:
    """Symbol values of a random 2-3-2-2 network and, per layer, what the model computes:
    delta (the upstream gradient its Linear layer receives), dW and db."""
    x = RNG.normal(size=(batch, WIDTHS[0]))
    y = RNG.uniform(0, 1, size=(batch, WIDTHS[-1]))
    values = named("zout0", x) | named("y", y)
    stack = []
    for layer in range(1, len(WIDTHS)):
        W = RNG.normal(size=(WIDTHS[layer - 1], WIDTHS[layer]))
        b = RNG.normal(size=WIDTHS[layer])
        values |= named(f"W{layer}", W) | named(f"b{layer}", b)
        act = layers.Sigmoid() if layer == len(WIDTHS) - 1 else layers.Tanh()
        stack.append((layers.Linear.from_params(W, b), act))
    inputs, z = [], x
    for linear, act in stack:
        inputs.append(z)
        z = act.forward(linear.forward(z))
    dy = losses.mse_loss_grad(y, z)
    found: dict[int, dict[str, np.ndarray]] = {}
    for layer in reversed(range(1, len(WIDTHS))):
        linear, act = stack[layer - 1]
        z_in = linear.forward(inputs[layer - 1])
        delta = act.backward(z_in, dy)
        dy = linear.backward(inputs[layer - 1], delta)
        found[layer] = {"delta": delta, "dW": linear.dW, "db": linear.db[None, :]}
    return values, found


def _per_instance(d: Derivation, pick: Callable[[dict[str, int]], np.ndarray]) -> dict:
    return {label: np.atleast_2d(pick(env)) for label, env in env_of(d).items()}


def _layer(env: dict[str, int]) -> int:
    return env.get(r"\ell", env.get("L"))


BACKPROP_CASES = {
    "delta_output": lambda f, e: f[e["L"]]["delta"][0, e["i"] - 1],
    "grad_W": lambda f, e: f[_layer(e)]["dW"][e["j"] - 1, e["i"] - 1],
    "grad_b": lambda f, e: f[_layer(e)]["db"][0, e["i"] - 1],
    "delta_recursion": lambda f, e: f[_layer(e) - 1]["delta"][0, e["i"] - 1],
    "vector_delta_output": lambda f, e: f[e["L"]]["delta"],
    "vector_grad_W": lambda f, e: f[_layer(e)]["dW"],
    "vector_grad_b": lambda f, e: f[_layer(e)]["db"],
    "vector_delta_recursion": lambda f, e: f[_layer(e) - 1]["delta"],
    "batch_delta_output": lambda f, e: f[e["L"]]["delta"],
    "batch_grad_W": lambda f, e: f[_layer(e)]["dW"],
    "batch_grad_b": lambda f, e: f[_layer(e)]["db"],
    "batch_delta_recursion": lambda f, e: f[_layer(e) - 1]["delta"],
}


@pytest.mark.parametrize("case", BACKPROP_CASES)
def test_backprop_identities_match_model_backward(case: str) -> None:
    d = derivations.get(f"backprop_{case}")
    values, found = _model_backprop(2 if case.startswith("batch") else 1)
    want = _per_instance(d, lambda env: BACKPROP_CASES[case](found, env))
    assert_close(d.evaluate(values), want)


def test_every_backprop_identity_is_compared_with_the_model() -> None:
    checked = {f"backprop_{case}" for case in BACKPROP_CASES}
    assert checked == {name for name in NAMES if name.startswith("backprop_")}


# --- the exported f ------------------------------------------------------------------------


def test_exported_f_matches_model_optim2d() -> None:
    gd2d = derivations.gd2d
    fn = sp.lambdify((gd2d.x, gd2d.y), gd2d.f, "numpy")
    d = derivations.get("f_partials")
    for x, y in itertools.islice(zip(*RNG.uniform(-3, 3, (2, 6)), strict=True), 6):
        assert fn(x, y) == pytest.approx(optim2d.f(x, y), rel=1e-12)
        grad = d.evaluate({"x": x, "y": y})[""].ravel()
        np.testing.assert_allclose(
            grad, [optim2d.grad_x_f(x, y), optim2d.grad_y_f(x, y)], rtol=1e-12
        )
