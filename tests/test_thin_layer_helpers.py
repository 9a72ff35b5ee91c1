"""The core helpers that the assignment layers share since issue 13's thinning, each on a case
with a known answer: step-size schedules (model/optim2d.py), a split keyed by part
(model/data.py), math cells (report/fragments.py), and a network of (W, b, activation function)
layers as a core Net (model/functional.py, model/layers.py, model/net.py), and §1.1's descent
study as experiments, figures and context (report/studies.py); the figures two
reports name as they are are tested with the other descent figures
(test_core_vocabulary_descent_curves_checks.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model import optim2d
from model.data import keyed
from model.functional import (
    derivative,
    identity,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    tanh_grad,
)
from model.gradcheck import numeric_grad
from model.layers import Activation, Identity, Linear, ReLU, Sigmoid, Tanh
from model.net import Net
from report import studies
from report.fragments import bmatrix, inline_math


def test_decayed_steps_follow_the_schedule_optimize_f_uses():
    etas = optim2d.decayed_steps(0.2, 0.9, 4)
    assert np.allclose(etas, [0.2, 0.18, 0.162, 0.1458])
    run = optim2d.descend(3.0, 2.0, optim2d.decayed_steps(0.2, 0.9, 30))
    x, y, *_ = optim2d.optimize_f(3.0, 2.0, 0.2, 30, 0.9)
    assert (run["x"], run["y"]) == pytest.approx((x, y), abs=1e-12)


def test_compounded_steps_multiply_the_running_step_by_decay_to_the_t():
    etas = optim2d.compounded_steps(0.2, 0.9, 5)
    assert etas[0] == 0.2
    # Each step is the previous one times d^t, so the ratios are d, d^2, d^3, ...
    assert np.allclose(etas[1:] / etas[:-1], 0.9 ** np.arange(1, 5))
    assert np.all(etas[2:] < optim2d.decayed_steps(0.2, 0.9, 5)[2:])


def test_keyed_names_each_part_of_a_split():
    parts = [(np.zeros((2, 3)), np.array([0, 1])), (np.ones((1, 3)), np.array([1]))]
    x, y = keyed(parts)
    assert list(x) == list(y) == ["train", "val"]
    assert x["val"] is parts[1][0] and y["train"] is parts[0][1]
    x, _ = keyed(parts, ("fit", "test"))
    assert x["test"].shape == (1, 3)
    with pytest.raises(ValueError, match="2 parts but 3 names"):
        keyed(parts, ("a", "b", "c"))


def test_math_cells_are_set_in_math_mode_and_not_escaped():
    assert inline_math(r"\partial l/\partial y_i") == r"$\partial l/\partial y_i$"
    assert bmatrix(["1", r"\num{2}"]) == r"\begin{bmatrix}1 & \num{2}\end{bmatrix}"


@pytest.mark.parametrize(("fn", "expected"), [(sigmoid, sigmoid_grad), (relu, relu_grad),
                                              (np.tanh, tanh_grad), (identity, np.ones_like)])
def test_derivative_of_each_activation_function_matches_central_differences(fn, expected):
    assert derivative(fn) is expected
    x = np.array([-2.0, -0.3, 0.4, 1.5])  # no ReLU input within h of its kink
    numeric = numeric_grad(lambda v: float(np.sum(fn(v))), x.copy())
    np.testing.assert_allclose(derivative(fn)(x), numeric, rtol=1e-7, atol=1e-9)


def test_activation_of_a_function_is_the_layer_that_applies_it():
    assert [type(Activation.of(fn)) for fn in (sigmoid, relu, np.tanh, identity)] == [
        Sigmoid, ReLU, Tanh, Identity]
    x = np.linspace(-3, 3, 7)
    np.testing.assert_array_equal(Activation.of(np.tanh).forward(x), np.tanh(x))


def test_an_anonymous_activation_function_has_no_layer_and_no_derivative():
    with pytest.raises(ValueError, match="no layer applies"):
        Activation.of(lambda v: v)
    with pytest.raises(ValueError, match="no derivative"):
        derivative(np.exp)


def test_net_from_params_shares_the_arrays_and_computes_the_same_function():
    rng = np.random.default_rng(0)
    params = [(rng.normal(size=(3, 4)), rng.normal(size=4), relu),
              (rng.normal(size=(4, 1)), rng.normal(size=1), sigmoid)]
    net = Net.from_params(params)
    assert [type(layer) for layer in net.layers] == [Linear, ReLU, Linear, Sigmoid]
    x = rng.normal(size=(5, 3))
    np.testing.assert_array_equal(net.forward(x)[0], sigmoid(relu(x @ params[0][0] + params[0][1])
                                                              @ params[1][0] + params[1][1]))
    assert net.layers[0].W is params[0][0] and net.layers[2].b is params[1][1]
    with pytest.raises(ValueError, match="no layer applies"):
        Net.from_params([(np.zeros((2, 2)), np.zeros(2), lambda v: v)])


START = {"x": 3.0, "y": 2.0}


def test_descent_study_declares_its_runs_and_figures_under_the_names_templates_read():
    experiments = studies.descent_experiments(
        START | {"step_size": 0.1, "steps": 3, "decay": 1.0}, {}, {}, START | {"decay": 0.9}, {})
    assert [e.name for e in experiments] == ["gd_b", "gd_grid", "gd_compare", "gd_decay", "minima"]
    assert experiments[0].fn is optim2d.run_gd and experiments[-1].fn is optim2d.find_minima
    assert experiments[3].config["decay"] == 0.9
    figures = studies.descent_figures("hw9_")
    assert [f.name for f in figures] == ["hw9_gd_path_b", "hw9_gd_path_d", "hw9_gd_step_sizes",
                                         "hw9_gd_path_decay"]
    assert [f.needs for f in figures] == [(run, "minima") for run in
                                          ("gd_b", "gd_grid", "gd_compare", "gd_decay")]


def test_descent_context_names_the_three_step_sizes_and_tabulates_the_grid():
    r = {"gd_b": optim2d.run_gd(START | {"step_size": 0.1, "steps": 10, "decay": 1.0}),
         "gd_grid": optim2d.run_gd_grid(START | {"step_sizes": [0.01, 0.1], "steps": [5, 10]}),
         "gd_compare": optim2d.run_gd_compare(START | {"step_sizes": [0.01, 0.1, 0.3],
                                                       "steps": 10}),
         "minima": optim2d.find_minima({"box": 5.0, "starts_per_axis": 5})}
    context = studies.descent_context(r)
    assert [run["step_size"] for run in context["compare"].values()] == [0.01, 0.1, 0.3]
    assert list(context["compare"]) == ["small", "good", "large"]
    assert context["global_min"] == r["minima"]["minima"][0]
    assert "step size / steps" in context["grid_table"] and "0.01" in context["grid_table"]


def _toy_train(config: dict) -> dict:
    """A stand-in for a report's training function: its 'accuracy' encodes the point."""
    score = config["lr"] * 100 + config.get("mb", 0) + config["seed"] / 10
    return {"test_acc": [0.0, score], "dead": [config.get("init") == "zeros"],
            "arch": config["arch"]}


def test_digits_study_binds_the_reports_train_function_to_the_core_sweeps(monkeypatch):
    from report import sweep
    from report.cache import called, function_name
    from report.provenance import provenance_rows

    monkeypatch.setattr(sweep.SETTINGS, "jobs", 1)
    monkeypatch.setattr(sweep.SETTINGS, "location", None)
    grid = {"arch": "a", "lrs": [0.01, 0.03], "mbs": [5, 10], "seeds": [0, 1], "epochs": 2}
    experiments = studies.digits_experiments(
        _toy_train, {"ddof": 0}, grid, {"archs": ["a", "b"], "seeds": [0, 1], "lr": 0.01},
        {"cases": [["a", "zeros"], ["a", "plain"]], "lr": 0.01, "seed": 0},
        {"test_acc": -1, "dead": 0}, "plain")
    by_name = {e.name: e for e in experiments}
    assert list(by_name) == ["digits_stats", "sweep", "early_dead", "variants", "zero_init"]
    assert all(e.data == ("digits",) for e in experiments)
    swept = by_name["sweep"].fn(by_name["sweep"].config)
    assert swept["test_acc"].shape == (2, 2, 2)
    assert swept["test_acc"][1, 0, 1] == pytest.approx(3 + 5 + 0.1)
    early = by_name["early_dead"]
    assert early.config["lrs"] == [0.03] and early.config["epochs"] == 1
    variants = by_name["variants"].fn(by_name["variants"].config)
    assert [[run["arch"] for run in runs] for runs in variants.values()] == [["a", "a"], ["b", "b"]]
    zero = by_name["zero_init"].fn(by_name["zero_init"].config)
    assert [run["dead"] for run in zero.values()] == [[True], [False]]
    # The function the appendix names, and the modules --watch follows, include the report's.
    assert _toy_train in called(by_name["variants"].fn)
    assert "_toy_train" in function_name(by_name["sweep"].fn)
    records = [type("R", (), {"experiment": e, "key": "0" * 16})() for e in experiments[1:2]]
    assert provenance_rows(records)[0]["what"].startswith("Final accuracies")
    # Without `what`, a partial is described by its function's docstring, not partial's own.
    bare = [type("R", (), {"experiment": replace(e, what=None), "key": "0" * 16})()
            for e in experiments[3:4]]
    assert provenance_rows(bare)[0]["what"].startswith("Each named setting trained")


def test_variants_context_reads_each_networks_finals_and_names_the_zero_weight_cases():
    def run(acc: float, train: float) -> dict:
        return {"test_acc": [0.5, acc], "train_acc": [0.6, train], "train_loss": [0.7, 0.1],
                "unit_spread": 0.0, "w1_norm": 0.0}

    r = {"variants": {"64-32-1": [run(0.9, 1.0), run(0.8, 0.9)], "64-1": [run(0.7, 0.7)]},
         "zero_init": {"64-32-1, zeros": run(0.5, 0.5), "64-32-1, default": run(0.9, 1.0)}}
    got = studies.variants_context(r, "test_acc", "test accuracy", "train_acc",
                                   {"test accuracy": "test_acc", "train loss": "train_loss"},
                                   [3, 4], ("relu", "plain"))
    assert {k: v.tolist() for k, v in got["acc"].items()} == {"64-32-1": [0.9, 0.8],
                                                                "64-1": [0.7]}
    assert got["train_acc"]["64-32-1"].tolist() == [1.0, 0.9]
    assert list(got["zero"]) == ["relu", "plain"] and got["zero"]["relu"]["test_acc"][-1] == 0.5
    assert r"\num{0.850 +- 0.050}" in got["variants_table"]  # 64-32-1's test accuracy
    assert "test accuracy" in got["zero_table"]
