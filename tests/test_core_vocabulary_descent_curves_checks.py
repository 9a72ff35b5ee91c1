"""The core helpers the thinned dl2023-a1 draws and checks with, each on a case with a known answer:
descent figures and curves over seeds (figures/common.py), 2-D descent runs (model/optim2d.py),
layer checks and difference errors (model/gradcheck.py), tables (report/fragments.py) and the
sweep's `stack` (report/sweep.py)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from figures import common, studies
from model import optim2d
from model.functional import relu, sigmoid, sigmoid_grad
from model.gradcheck import SMOOTH_BAND, GradCheck, check_layer, difference_errors
from model.layers import Linear, Sigmoid
from model.optim2d import f, nearest_minimum, path_end, run_gd
from report.fragments import checks_table, columns_table, entrywise_table, matrix_table
from report.sweep import grid, stack

MINIMA = [{"x": -1.11, "y": 0.56, "f": -2.28}, {"x": 0.61, "y": -0.30, "f": 0.58},
          {"x": -2.8, "y": 1.4, "f": 4.0}]


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """Figures a helper saves, kept open for inspection instead of written."""
    figures = []
    monkeypatch.setattr(common, "save", lambda fig, path: figures.append(fig))
    yield figures
    for fig in figures:
        matplotlib.pyplot.close(fig)


def test_text_on_a_cell_is_black_on_light_and_white_on_dark_colours():
    viridis = matplotlib.colormaps["viridis"]
    assert common.text_colour_on(viridis(1.0)) == "black"  # yellow
    assert common.text_colour_on(viridis(0.6)) == "black"  # the green of dl2023's lr = 0.0003 row
    assert common.text_colour_on(viridis(0.0)) == "white"  # dark purple
    assert common.text_colour_on((1.0, 1.0, 1.0, 1.0)) == "black"


def test_heatmap_numbers_take_the_colour_that_contrasts_with_their_cell(drawn, tmp_path):
    acc = np.array([[[0.62] * 2, [0.97] * 2], [[0.90] * 2, [0.99] * 2]])
    common.accuracy_heatmap({"lrs": [0.1, 1.0], "mbs": [5, 50], "acc": acc}, "acc", "accuracy",
                            tmp_path / "h.pdf")
    colours = {t.get_text(): t.get_color() for t in drawn[0].axes[0].texts}
    assert colours["0.620"] == "white" and colours["0.990"] == "black"


def test_band_curve_draws_the_mean_and_a_band_only_over_several_seeds():
    fig, ax = common.new_figure()
    common.band_curve(ax, [[1.0, 2.0], [3.0, 4.0]], "two seeds")
    common.band_curve(ax, [[5.0, 6.0]], "one seed", 1)
    assert ax.lines[0].get_ydata().tolist() == [2.0, 3.0]
    assert ax.lines[0].get_xdata().tolist() == [1, 2]  # epochs count from 1
    assert len(ax.collections) == 1
    matplotlib.pyplot.close(fig)


def test_curves_figure_puts_a_panel_per_entry_with_legend_and_log_axis_where_asked(drawn, tmp_path):
    panels = {"loss": {"a": [[1.0, 0.1]], "b": [[2.0, 0.2]]}, "accuracy": {"a": [[0.5, 0.9]]}}
    common.curves_figure(tmp_path / "c.pdf", panels, log=["loss"], legend=["accuracy"])
    loss, acc = drawn[0].axes
    assert (loss.get_title(), acc.get_title()) == ("loss", "accuracy")
    assert loss.get_yscale() == "log" and acc.get_yscale() == "linear"
    assert loss.get_legend() is None and acc.get_legend() is not None


def test_curves_figure_gives_the_shared_panels_one_y_range_from_their_data(drawn, tmp_path):
    panels = {"train": {"a": [[1.0, 0.1]]}, "val": {"a": [[4.0, 0.5]]}, "acc": {"a": [[0.5, 0.9]]}}
    common.curves_figure(tmp_path / "c.pdf", panels, log=["train", "val"],
                         share_y=["train", "val"], ylim={"acc": (0.0, 1.0)})
    train, val, acc = drawn[0].axes
    assert train.get_ylim() == val.get_ylim() == pytest.approx((0.1 / 1.25, 4.0 * 1.25))
    assert acc.get_ylim() == (0.0, 1.0)


def test_descent_figure_draws_the_path_and_f_per_step_and_titles_a_run_by_itself(drawn, tmp_path):
    run = run_gd({"x": 3.0, "y": 2.0, "step_size": 0.1, "steps": 10, "decay": 1.0})
    common.descent_figure(tmp_path / "d.pdf", f, MINIMA, [run])
    surface, objective = drawn[0].axes[:2]
    assert surface.get_title() == "step 0.1, 10 steps"
    assert objective.get_title() == f"final $f = {run['f']:.4f}$"
    path = next(line for line in surface.lines if line.get_label() == "path")
    assert path.get_xdata().tolist() == run["x_hist"]
    assert objective.lines[0].get_ydata().tolist() == run["f_hist"]


def test_descent_figure_draws_f_per_step_for_one_run_only(tmp_path):
    run = run_gd({"x": 3.0, "y": 2.0, "step_size": 0.1, "steps": 2, "decay": 1.0})
    with pytest.raises(ValueError, match="one run, not 2"):
        common.descent_figure(tmp_path / "d.pdf", f, MINIMA, [run, run])


def test_a_zoomed_surface_marks_only_the_minima_in_view():
    fig, ax = common.new_figure()
    common.draw_surface(ax, f, MINIMA, ((-2.0, 1.0), (-1.0, 1.0)), colorbar=False)
    local = next(line for line in ax.lines if line.get_label() == "local minima")
    assert local.get_xdata() == [0.61]
    fig2, ax2 = common.new_figure()
    common.draw_surface(ax2, f, MINIMA, ((-1.5, -0.5), (0.0, 1.0)), colorbar=False)
    assert "local minima" not in [line.get_label() for line in ax2.lines]
    matplotlib.pyplot.close(fig)
    matplotlib.pyplot.close(fig2)


def test_objective_gap_is_f_minus_the_minimum_on_a_log_axis():
    fig, ax = common.new_figure()
    common.draw_objective(ax, {"a": {"f_hist": [3.0, 1.0, 0.5]}}, 0.0 - 0.5, gap=True)
    assert ax.lines[0].get_ydata().tolist() == [3.5, 1.5, 1.0]
    assert ax.get_yscale() == "log"
    matplotlib.pyplot.close(fig)


def test_run_title_names_a_decaying_step():
    assert common.run_title({"step_size": 0.2, "steps": 50, "decay": 0.95}) == (
        "decaying step from 0.2, 50 steps")
    assert common.run_title({"step_size": 0.1, "steps": 10, "decay": 1.0}) == "step 0.1, 10 steps"


def test_error_vs_step_circles_the_smallest_error_of_the_marked_curve(drawn, tmp_path):
    steps = np.array([1e-6, 1e-4, 1e-2])
    common.error_vs_step(tmp_path / "e.pdf", steps, {"central": [1e-9, 1e-11, 1e-6],
                                                     "forward": [1e-8, 1e-6, 1e-3]},
                         ylabel="error", mark_best="central")
    ring = drawn[0].axes[0].lines[-1]
    assert (ring.get_xdata()[0], ring.get_ydata()[0]) == (1e-4, 1e-11)


def test_error_vs_step_draws_each_reference_line_at_its_value(drawn, tmp_path):
    common.error_vs_step(tmp_path / "e.pdf", [1e-6, 1e-4], {"central": [1e-9, 1e-11]},
                         ylabel="error", refs=[("x", 1e-5, "step"), ("y", 1e-7, "band")])
    lines = {line.get_label(): line for line in drawn[0].axes[0].lines}
    assert list(lines["step"].get_xdata()) == [1e-5, 1e-5]
    assert list(lines["band"].get_ydata()) == [1e-7, 1e-7]


def test_function_panels_draw_each_function_under_its_title(drawn, tmp_path):
    x = np.linspace(-1, 1, 5)
    common.function_panels(tmp_path / "p.pdf", {"square": np.square, "abs": np.abs}, x, ncols=2)
    square, absolute = drawn[0].axes
    assert square.get_title() == "square"
    assert square.lines[0].get_ydata().tolist() == (x**2).tolist()
    assert absolute.lines[0].get_ydata().tolist() == np.abs(x).tolist()


def test_path_end_tells_convergence_a_2_cycle_and_divergence_apart():
    assert path_end([1.0, 0.5] + [0.0] * 10, [0.0] * 12)["period"] == 1
    cycle = path_end([3.0] + [1.0, -1.0] * 6, [0.0] * 13)
    assert cycle["period"] == 2 and sorted(cycle["cycle"]) == [[-1.0, 0.0], [1.0, 0.0]]
    assert path_end([1.0, 1e3, 1e7], [0.0] * 3)["diverged"]
    assert not path_end([1.0, 2.0, 3.0], [0.0] * 3)["diverged"]


def test_nearest_minimum_is_the_closest_by_distance():
    assert nearest_minimum(MINIMA, 0.5, -0.2) == 1
    assert nearest_minimum(MINIMA, -1.0, 0.5) == 0


def test_check_layer_passes_a_right_backward_pass_and_fails_one_that_ignores_dy():
    rng = np.random.default_rng(0)
    layer, x = Linear(4, 3, rng), rng.normal(size=(2, 4))
    dy = rng.normal(size=(2, 3))
    rows = check_layer(layer, x, dy)
    assert [row.name for row in rows] == ["Linear dx", "Linear dW", "Linear db"]
    assert max(row.rel_error for row in rows) < SMOOTH_BAND

    class IgnoresDy(Sigmoid):
        def _dx(self, x, dy, y):
            return y * (1 - y)

    bad = check_layer(IgnoresDy(), x, 2 * np.ones_like(x), "broken")
    assert bad[0].name == "broken dx" and bad[0].rel_error > 0.1


def test_central_differences_err_by_e_squared_and_forward_ones_by_e():
    # For exp at 0: central error e^2/24 + ..., forward error e/2 + ...
    errors = difference_errors(np.exp, np.ones(1), np.zeros(1), np.array([1e-2]))
    assert errors["central"][0] == pytest.approx(1e-4 / 24, rel=1e-3)
    assert errors["forward"][0] == pytest.approx(1e-2 / 2, rel=1e-2)


def test_checks_table_has_a_row_per_check_and_entrywise_a_row_per_entry():
    a = np.array([0.1, 0.2])
    rows = [GradCheck.of("W1", a, a), GradCheck.of("b1", a, a + 1e-3)]
    text = checks_table(rows)
    assert "W1" in text and "b1" in text and text.count(r"\\") == 3  # header + two rows
    entries = entrywise_table(GradCheck.of("x", a, a + np.array([0.0, 1e-3])), "x", [-1.0, 2.0])
    assert entries.count(r"\\") == 3 and "-1.0000" in entries and "2.0000" in entries


def test_columns_table_writes_whole_numbers_without_decimals():
    text = columns_table(["x", "relu(x)"], [[-0.5, 2.25], [0.0, 2.25]], digits=3)
    assert "-0.500" in text and "2.250" in text
    assert "0.000" not in text  # relu(-0.5) = 0 is whole


def test_matrix_table_labels_rows_and_columns_and_names_non_finite_values():
    text = matrix_table("step / steps", [0.1, 0.5], [10, 100],
                        np.array([[1.0, 0.5], [np.nan, np.inf]]))
    assert "step / steps" in text and "100" in text and "0.5000" in text
    assert text.count("diverged") == 2


def test_stack_shapes_sweep_results_by_the_grid_axes():
    points = grid({}, lr=[0.1, 1.0], seed=[0, 1, 2])
    runs = [{"acc": [p["lr"], p["lr"] + p["seed"]], "dead": [p["seed"]]} for p in points]
    last = stack(runs, (2, 3), "acc", -1)
    assert last.shape == (2, 3) and last[1, 2] == 3.0
    assert stack(runs, (2, 3), "acc").shape == (2, 3, 2)
    assert stack(runs, (2, 3), "dead", 0)[0].tolist() == [0, 1, 2]


def test_sigmoid_difference_error_is_smallest_at_a_middle_step():
    x = np.array([-3.0, 0.7])
    steps = np.logspace(-15, 0, 31)
    central = difference_errors(sigmoid, sigmoid_grad(x), x, steps)["central"]
    best = int(np.argmin(central))
    assert 0 < best < len(steps) - 1


def test_columns_table_sets_the_alignment_it_is_given():
    assert "S[table-format" in columns_table(["x", "y"], [[0.5], [1.25]], 3, "lS")
    assert "S[table-format" not in columns_table(["x", "y"], [[0.5], [1.25]], 3)


def test_run_end_names_the_cycle_its_range_of_f_and_the_gradient_where_it_stops():
    from model.optim2d import find_minima, run_end

    minima = find_minima({"box": 5.0, "starts_per_axis": 5})["minima"]
    bounce = run_end(run_gd({"x": 3.0, "y": 2.0, "step_size": 0.2, "steps": 200, "decay": 1.0}),
                     minima)
    assert bounce["period"] == 2 and bounce["grad"] > 1 and bounce["low"] < bounce["high"]
    assert bounce["near"] == minima[0] and bounce["end"] in (bounce["low"], bounce["high"])
    settled = run_end(run_gd({"x": 3.0, "y": 2.0, "step_size": 0.1, "steps": 1000, "decay": 1.0}),
                      minima)
    assert settled["period"] == 1 and settled["grad"] < 1e-6 and settled["near"] != minima[0]


def test_histogram_vs_normal_draws_a_bar_per_bin_under_the_normal_density():
    from figures.common import histogram_vs_normal, new_figure

    fig, ax = new_figure()
    edges = np.linspace(-2.0, 2.0, 5)
    histogram_vs_normal(ax, [0.1, 0.4, 0.4, 0.1], edges, 0.5, "samples")
    assert [p.get_height() for p in ax.patches] == [0.1, 0.4, 0.4, 0.1]
    (line,) = ax.get_lines()
    assert line.get_xdata().tolist() == [-1.5, -0.5, 0.5, 1.5]
    assert line.get_ydata()[1] == pytest.approx(np.exp(-0.25) / np.sqrt(np.pi))
    assert [t.get_text() for t in ax.legend().get_texts()] == ["N(0, 0.5) density", "samples"]


# --- the figures both digits reports name as they are ---------------------------------------

def test_gd_path_draws_the_one_run_of_r_or_the_best_run_of_a_grid(drawn, tmp_path):
    grid = optim2d.run_gd_grid({"x": 3.0, "y": 2.0, "step_sizes": [0.01, 0.1], "steps": [5, 10]})
    studies.gd_path({"gd_grid": grid, "minima": {"minima": MINIMA}}, tmp_path / "p.pdf")
    path = next(line for line in drawn[0].axes[0].lines if line.get_label() == "path")
    assert path.get_xdata().tolist() == grid["best"]["x_hist"]
    run = optim2d.run_gd({"x": 3.0, "y": 2.0, "step_size": 0.01, "steps": 3, "decay": 1.0})
    studies.gd_path({"minima": {"minima": MINIMA}, "any name": run}, tmp_path / "q.pdf")
    assert drawn[1].axes[0].get_title() == "step 0.01, 3 steps"


def test_gd_step_sizes_titles_each_path_by_its_step_and_final_f(drawn, tmp_path):
    runs = optim2d.run_gd_compare({"x": 3.0, "y": 2.0, "step_sizes": [0.01, 0.15], "steps": 3})
    studies.gd_step_sizes({"minima": {"minima": MINIMA}, "compare": runs}, tmp_path / "s.pdf")
    titles = [ax.get_title() for ax in drawn[0].axes if ax.get_title()]
    assert titles == [f"step {eta}: final $f = {run['f']:.3f}$" for eta, run in runs.items()]


def test_sigmoid_relu_panels_draw_each_function_under_its_name(drawn, tmp_path):
    studies.sigmoid_relu_panels({}, tmp_path / "a.pdf")
    axes = {ax.get_title(): ax for ax in drawn[0].axes}
    assert set(axes) == {"sigmoid", "ReLU", "sigmoid gradient", "ReLU gradient"}
    x, y = axes["ReLU"].lines[0].get_data()
    assert np.array_equal(y, relu(x))
    x, y = axes["sigmoid gradient"].lines[0].get_data()
    assert np.array_equal(y, sigmoid_grad(x))


def test_digits_strip_titles_each_image_by_its_label(drawn, tmp_path):
    stats = {"first_ten": np.arange(3 * 64).reshape(3, 64), "first_ten_labels": [1.0, 0.0, 1.0]}
    studies.digits_strip({"digits_stats": stats}, tmp_path / "d.pdf")
    axes = drawn[0].axes
    assert [ax.get_title() for ax in axes] == ["label 1", "label 0", "label 1"]
    assert axes[1].images[0].get_array().shape == (8, 8)


def test_schedules_figure_draws_each_step_size_and_each_gap_in_one_colour(drawn, tmp_path):
    runs = {"intended": optim2d.descend(3.0, 2.0, optim2d.decayed_steps(0.2, 0.9, 5)),
            "compounded": optim2d.descend(3.0, 2.0, optim2d.compounded_steps(0.2, 0.9, 5))}
    common.schedules_figure(tmp_path / "s.pdf", runs, -2.0)
    left, right = drawn[0].axes
    assert left.get_yscale() == "log" and right.get_yscale() == "log"
    for k, run in enumerate(runs.values()):
        assert np.array_equal(left.lines[k].get_ydata(), run["etas"])
        assert np.allclose(right.lines[k].get_ydata(), np.array(run["f_hist"]) + 2.0)
        assert left.lines[k].get_color() == right.lines[k].get_color()
