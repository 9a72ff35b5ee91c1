"""The core's readings of sweeps and runs that dl2023-a1 and lab4-backprop quote: a learning-rate
x minibatch-size sweep, means along swept settings, confidently wrong outputs, the §1.1 grid,
hand-written gradients against central differences, and the steps-to-threshold scatter."""

from __future__ import annotations

import numpy as np
import pytest

from figures.common import new_figure, threshold_scatter
from model import MSE, Linear, Net, Sigmoid, Tanh
from model.diagnostics import inverse_law, sweep_trends, wrong_outputs
from model.gradcheck import check_stored
from model.optim2d import find_minima, grid_summary, run_gd, run_gd_grid
from model.runstats import sweep_summary
from report.fragments import unit_symmetry_table


def test_sweep_summary_finds_the_best_cell_and_tells_failing_fast_runs_by_their_dead_relus():
    # Two learning rates x two minibatch sizes x two seeds; at the larger rate, minibatch 50
    # fails for both seeds with 90% and 100% dead units, minibatch 5 learns with 10% dead.
    ones = np.ones((2, 2, 2))
    sweep = {"lrs": [0.01, 0.1], "mbs": [5, 50], "test_acc": ones * 0.97, "dead": ones * 0.1,
             "out_saturated": ones * 0.2}
    sweep["test_acc"][0, 1] = [0.98, 0.99]
    sweep["test_acc"][-1, 1] = [0.5, 0.6]
    sweep["dead"][-1, 1] = [0.9, 1.0]
    sweep["out_saturated"][-1, 1] = [0.0, 0.05]
    s = sweep_summary(sweep, "test_acc", (0.01, 5), 0.9, ["dead", "out_saturated"])
    assert s["best"] == {"lr": 0.01, "mb": 50, "acc": pytest.approx(0.985)}
    assert s["chosen"] == pytest.approx(0.97) and s["mb_spread"] == pytest.approx(0.015)
    fast = s["fast"]
    assert (fast["n_failed"], fast["n_runs"], fast["failed_mbs"]) == (2, 4, [50])
    assert (fast["failed_dead_min"], fast["failed_dead_max"]) == (0.9, 1.0)
    assert fast["ok_dead_max"] == 0.1 and fast["failed_out_saturated_max"] == 0.05
    assert fast["mb_acc"].tolist() == pytest.approx([0.97, 0.55])


def test_sweep_trends_average_over_seeds_and_say_whether_the_means_fall_or_rise():
    rows = {"depth": [{"loss": [3.0, 5.0]}, {"loss": [2.0, 2.0]}, {"loss": [1.0, 0.0]}],
            "width": [{"loss": [1.0]}, {"loss": [2.0]}, {"loss": [1.5]}]}
    t = sweep_trends(rows, ["loss"])
    assert t["mean"]["loss"] == {"depth": [4.0, 2.0, 0.5], "width": [1.0, 2.0, 1.5]}
    assert t["falls"]["loss"] == {"depth": True, "width": False}
    assert t["rises"]["loss"] == {"depth": False, "width": False}


def test_wrong_outputs_name_the_runs_that_misclassify_and_how_flat_their_sigmoid_is():
    labels = np.array([1.0, 0.0, 0.0])
    runs = [np.array([0.9, 0.2, 0.1]), np.array([0.02, 0.1, 0.97]), np.array([0.6, 0.4, 0.3])]
    w = wrong_outputs(runs, labels, 0.9)
    assert w["runs"] == [1]
    assert w["confident"] and w["slope"] == pytest.approx(4 * 0.97 * 0.03)
    assert not wrong_outputs([np.array([0.4, 0.2, 0.1])], labels, 0.9)["confident"]
    assert wrong_outputs(runs[:1], labels, 0.9) == {"runs": [], "confident": True, "slope": 0.0}


def test_check_stored_flags_a_hand_written_gradient_that_is_off_by_a_factor():
    x, y = np.array([[0.5, -1.0], [1.5, 0.2]]), np.array([[1.0], [0.0]])
    rng = np.random.default_rng(0)
    net = Net([Linear(2, 3, rng), Tanh(), Linear(3, 1, rng), Sigmoid()])
    out, trace = net.forward(x)
    net.backward(trace, MSE()(y, out)[1])
    good = check_stored(net, lambda: MSE().value(y, net.forward(x)[0]))
    assert [c.name for c in good] == ["W1", "b1", "W2", "b2"]
    assert max(c.rel_error for c in good) < 1e-7
    net.layers[0].dW *= 2  # a backward pass that doubles W1's gradient
    bad = check_stored(net, lambda: MSE().value(y, net.forward(x)[0]))
    assert bad[0].rel_error > 0.1 and bad[1].rel_error < 1e-7


def test_grid_summary_finds_the_basin_of_run_b_and_the_grid_points_that_reach_the_minimum():
    minima = find_minima({"box": 5.0, "starts_per_axis": 9})["minima"]
    grid = run_gd_grid({"x": 3.0, "y": 2.0, "step_sizes": [0.1, 0.15, 0.5], "steps": [10, 100]})
    s = grid_summary(grid, minima, run_gd({"x": 3.0, "y": 2.0, "step_size": 0.1, "steps": 10,
                                           "decay": 1.0}))
    assert s["global_min"] is minima[0] and s["local_index"] > 0
    assert s["b_near"] is minima[s["local_index"]]
    assert s["reached_etas"] == [0.15] and (0.15, 100) in s["reached"]
    assert s["smaller_end_local"]  # step 0.1 ends in the local minimum b_near
    assert set(s["ends"]) == {0.1, 0.15, 0.5}


def test_threshold_scatter_draws_a_dot_per_seed_a_cross_per_miss_and_the_c_over_value_line():
    def curves(settle: list[int]) -> np.ndarray:
        return np.array([np.where(np.arange(101) < s, 1.0, 0.001) for s in settle])

    fig, ax = new_figure()
    threshold_scatter(ax, [0.1, 1.0], [curves([40, 60]), curves([5, 200])], 0.01)
    reached, missed = (c.get_offsets() for c in ax.collections)
    assert sorted(map(tuple, reached.tolist())) == [(0.1, 40), (0.1, 60), (1.0, 5)]
    assert missed.tolist() == [[1.0, 160.0]]
    assert ax.lines[0].get_ydata() == pytest.approx([50.0, 5.0])  # c = 0.1 x 50 = 5
    assert ax.get_xscale() == ax.get_yscale() == "log"


def test_inverse_law_reads_rate_times_steps_over_the_rates_where_every_seed_settles():
    law = inverse_law([0.01, 0.1, 1.0, 10.0], [None, [90, 110], [10, 10], None])
    assert law["stable"] == [1, 2] and law["contiguous"]
    assert law["c"] == pytest.approx(10.0) and law["spread"] == pytest.approx(0.0)
    gapped = inverse_law([0.1, 1.0, 10.0], [[100], None, [2]])
    assert not gapped["contiguous"] and gapped["spread"] == pytest.approx(5 / 15)


def test_unit_symmetry_table_has_a_row_per_run_with_its_spread_norm_and_final_accuracy():
    runs = {"64-32-1, zeros": {"spread": 0.0, "w1": 0.0, "acc": [0.5, 0.51]},
            "64-32-1, zero bias": {"spread": 0.25, "w1": 12.34, "acc": [0.9, 0.97]}}
    tex = unit_symmetry_table(runs, "spread", "w1", "acc", "test accuracy")
    assert tex.count(r"\\") == 3  # the header and two rows
    assert "zero bias" in tex and r"\num{12.3}" in tex and r"\num{0.970}" in tex
    assert "test accuracy" in tex


@pytest.mark.parametrize("module", ["dl2023_a1", "dl2024_a1"])
def test_a_one_epoch_rerun_is_the_first_epoch_of_the_full_run(module):
    """§1.7 (a) quotes the dead units of `early_dead` (the largest rate's runs stopped after one
    epoch) as those of the sweep's runs after their first epoch: a run stopped early must be
    the same run, epoch for epoch, as the longer one with the same settings."""
    import importlib

    report = importlib.import_module(f"report.assignments.{module}")
    config = {"arch": "64-32-1", "lr": report.SWEEP["lrs"][-1], "mb": report.SWEEP["mbs"][0],
              "seed": report.SEEDS[-1]}
    one = report.train_digits(config | {"epochs": 1})
    two = report.train_digits(config | {"epochs": 2})
    # The per-epoch curves: one value per epoch (not the end-state lists, such as dead units).
    curves = [k for k, v in one.items() if isinstance(v, list) and len(v) == 1
              and len(two[k]) == 2]
    assert len(curves) >= 4  # losses and accuracies of both phases
    for key in curves:
        assert one[key][0] == two[key][0], key
