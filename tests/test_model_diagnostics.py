"""Diagnostics against cases whose answer is known, and recording them during training."""

import numpy as np
import pytest
import sympy as sp

from derivations import gd2d
from model import BCE, Linear, Net, ReLU, Sigmoid, Tanh, fit
from model.diagnostics import (
    dead_relu_fraction,
    detect_cycle,
    detect_divergence,
    generalisation_gap,
    gradient_norms,
    hessian_eigenvalues,
    one_class,
    output_distribution,
    reach_summary,
    saturated_fraction,
    seed_spread,
    stability_bound,
)
from model.optim2d import f, optimize_f
from model.train import History


def _linear(W, b) -> Linear:
    return Linear.from_params(np.array(W, dtype=float), np.array(b, dtype=float))


def test_a_relu_layer_with_negative_bias_and_no_weights_is_all_dead():
    net = Net([_linear(np.zeros((3, 4)), -np.ones(4)), ReLU(), _linear(np.ones((4, 1)), [0.0])])
    x = np.random.default_rng(0).normal(size=(20, 3))
    assert dead_relu_fraction(net, x) == [1.0]


def test_dead_relus_are_counted_per_layer_and_only_when_dead_on_every_sample():
    # Layer 1: unit 0 passes x, unit 1 is -|big|: dead; layer 2: its one unit sees unit 0 only.
    first = _linear([[1.0, 0.0]], [0.0, -100.0])
    second = _linear([[1.0], [0.0]], [0.0])
    net = Net([first, ReLU(), second, ReLU()])
    x = np.array([[-1.0], [2.0]])  # unit 0 is active on the second sample: not dead
    assert dead_relu_fraction(net, x) == [0.5, 0.0]
    assert dead_relu_fraction(net, x[:1]) == [1.0, 1.0]


def test_saturated_fraction_uses_the_one_percent_of_peak_slope_rule():
    # Logits 0, 5, 7, -7: sigma' / sigma'(0) is 1, 0.027, 0.0036, 0.0036; tanh' / 1 at the same
    # logits is 1, 1.8e-4, ... so 3 of 4 tanh pairs and 2 of 4 sigmoid pairs are saturated.
    x = np.array([[0.0], [5.0], [7.0], [-7.0]])
    identity = _linear([[1.0]], [0.0])
    assert saturated_fraction(Net([identity, Sigmoid()]), x) == [0.5]
    assert saturated_fraction(Net([identity, Tanh()]), x) == [0.75]
    assert saturated_fraction(Net([identity, Tanh(), Sigmoid()]), x) == [0.75, 0.0]


def test_gradient_norms_are_the_frobenius_norms_of_the_stored_gradients():
    net = Net([_linear([[1.0, 2.0]], [0.0, 0.0])])
    net.layers[0].dW[...] = [[3.0, 4.0]]
    net.layers[0].db[...] = [0.0, -2.0]
    assert gradient_norms(net) == {"W1": 5.0, "b1": 2.0}


def test_output_distribution_gives_quantiles_and_a_histogram():
    out = np.linspace(0, 1, 101)[:, None]
    dist = output_distribution(out, quantiles=(0.0, 0.5, 1.0), bins=4)
    assert dist["values"] == pytest.approx([0.0, 0.5, 1.0])
    assert dist["edges"] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert dist["counts"] == [25, 25, 25, 26]  # the last bin holds its right edge, 1.0


def test_generalisation_gap_is_train_minus_held_out_accuracy_per_epoch():
    h = History(steps_per_epoch=1, epoch_acc=[0.8, 0.95], epoch_loss=[0.5, 0.1],
                val_acc=[0.7, 0.9], val_loss=[0.6, 0.4], val_step=[1, 2])
    assert generalisation_gap(h) == pytest.approx([0.1, 0.05])
    assert generalisation_gap(h, "loss") == pytest.approx([0.1, 0.3])
    with pytest.raises(ValueError, match="one held-out evaluation per epoch"):
        generalisation_gap(History(steps_per_epoch=1, epoch_acc=[0.8], val_acc=[]))


def test_seed_spread_states_its_ddof_and_matches_the_textbook_values():
    spread = seed_spread([1.0, 2.0, 3.0, 6.0])
    assert (spread.mean, spread.min, spread.max, spread.n, spread.ddof) == (3.0, 1.0, 6.0, 4, 1)
    assert spread.std == pytest.approx(np.sqrt(14 / 3))
    assert seed_spread([1.0, 3.0], ddof=0).std == 1.0
    with pytest.raises(ValueError, match="more than 1 values"):
        seed_spread([1.0])


def test_a_quadratics_hessian_and_stability_bound_are_known():
    x, y = sp.symbols("x y")
    eig = hessian_eigenvalues(3 * x**2 + y**2 / 2, (x, y), (0.3, -1.0))
    assert eig == pytest.approx([1.0, 6.0])
    assert stability_bound(eig) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="not a minimum"):
        stability_bound([-1.0, 0.0])


def test_gd_on_a_quadratic_converges_below_the_bound_and_diverges_above_it():
    lam = 4.0  # f = 2 x^2, f' = 4 x: bound 2 / 4 = 0.5

    def path(eta):
        xs = [1.0]
        for _ in range(60):
            xs.append(xs[-1] - eta * lam * xs[-1])
        return np.array(xs)

    assert detect_cycle(path(0.4), tol=1e-9).period == 1
    assert detect_divergence(path(0.4)) is None
    # |1 - 0.6 * 4| = 1.4 and 1.4^20 < 1e3 < 1.4^21.
    assert detect_divergence(path(0.6), bound=1e3) == 21


def test_a_path_that_alternates_between_two_points_is_a_2_cycle_from_where_it_starts():
    path = np.array([[5.0, 5.0], [3.0, 1.0]] + [[1.0, 0.0], [-1.0, 0.0]] * 6)
    cycle = detect_cycle(path)
    assert cycle.period == 2
    assert cycle.start == 4  # point 4 is the first to repeat the point two steps before it
    assert sorted(cycle.points) == [[-1.0, 0.0], [1.0, 0.0]]
    assert detect_cycle(np.arange(20.0)) is None


def test_divergence_is_found_at_the_first_non_finite_point():
    assert detect_divergence(np.array([1.0, 2.0, np.inf, np.nan])) == 2
    assert detect_divergence(np.array([[1.0, 0.0], [np.nan, 0.0]])) == 1


def test_dl2023_step_size_above_the_global_minimums_bound_bounces_in_a_2_cycle():
    # The example: 2 / lambda_max at f's global minimum is about 0.18, and the run at
    # step size 0.2 (above it) settles into a 2-cycle, not into the minimum.
    from scipy.optimize import minimize

    res = minimize(lambda p: f(*p), [-0.4, 0.2])
    eig = hessian_eigenvalues(gd2d.f, (gd2d.x, gd2d.y), res.x)
    assert min(eig) > 0
    bound = stability_bound(eig)
    assert 0.15 < bound < 0.2, bound
    *_, xs, ys = optimize_f(3.0, 2.0, 0.2, 400)
    cycle = detect_cycle(np.column_stack([xs, ys]), tol=1e-9)
    assert cycle is not None and cycle.period == 2, cycle


def test_fit_records_probes_per_epoch_or_every_k_steps():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(float)

    def net():
        r = np.random.default_rng(1)
        return Net([Linear(3, 4, r), ReLU(), Linear(4, 1, r), Sigmoid()])

    probes = {"dead": lambda n: dead_relu_fraction(n, x), "grad": gradient_norms}
    h = fit(net(), BCE(), x, y, epochs=3, lr=0.1, batch_size=10, progress=False, record=probes)
    assert h.record_step == [4, 8, 12]
    assert len(h.records["dead"]) == 3 and set(h.records["grad"][0]) == {"W1", "b1", "W2", "b2"}
    h_steps = fit(net(), BCE(), x, y, epochs=3, lr=0.1, batch_size=10, progress=False,
                  record=probes, record_every=6)
    assert h_steps.record_step == [6, 12]
    plain = fit(net(), BCE(), x, y, epochs=3, lr=0.1, batch_size=10, progress=False)
    assert plain.records == {} and plain.step_loss == h.step_loss  # probes change nothing
    with pytest.raises(ValueError, match="record_every needs probes"):
        fit(net(), BCE(), x, y, epochs=1, lr=0.1, progress=False, record_every=2)


def test_unit_symmetry_is_zero_only_for_identical_units_and_norms_the_weights():
    from model.diagnostics import unit_symmetry

    same = unit_symmetry(np.ones((3, 4)), np.full(4, 0.5))
    assert same == {"unit_spread": 0.0, "w1_norm": 12.0}
    w, b = np.zeros((3, 4)), np.zeros(4)
    b[2] = -0.25  # units differ only by a bias
    assert unit_symmetry(w, b) == {"unit_spread": 0.25, "w1_norm": 0.0}


def test_reach_summary_gives_each_seeds_first_step_at_the_target_and_its_last_value():
    both = reach_summary([[0.5, 1.0, 0.9], [0.2, 0.6, 1.0]], 1.0)
    assert both["firsts"] == [2, 3] and both["finals"] == [0.9, 1.0]
    assert both["reached"] and both["n_reached"] == 2 and both["first_mean"] == 2.5
    one = reach_summary([[0.5, 1.0], [0.2, 0.6]], 1.0)
    assert one["firsts"] == [2, None] and one["n_reached"] == 1
    assert not one["reached"] and one["first_mean"] is None


def test_one_class_names_a_collapsed_classifier_and_checks_its_accuracy_is_a_class_share():
    y = np.array([0, 0, 0, 1])  # a quarter are class 1
    ones = one_class(np.full(6, 0.9), y, [0.75, 0.25, 0.25], ("3s", "9s"))
    assert ones == {"predicts": "all 9s", "flips": True, "acc_is_share": True}
    zeros = one_class(np.full(6, 0.1), y, [0.75, 0.75], ("3s", "9s"))
    assert zeros == {"predicts": "all 3s", "flips": False, "acc_is_share": True}
    both = one_class(np.array([0.1, 0.9]), y, [0.5])
    assert both == {"predicts": "both", "flips": False, "acc_is_share": False}
