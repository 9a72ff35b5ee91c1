"""Statistics over seeded runs (`model.runstats`), the quote-and-verdict of a student copy's
printed values (`report.quote`), and the mean-and-band curve of `figures.common`."""

from __future__ import annotations

import numpy as np
import pytest

from model.runstats import (
    best_point,
    curves,
    finals,
    largest_rate,
    mean_curve,
    phase_panels,
    setting_panels,
    settled_epoch,
)
from report.quote import quote, verdict

RUNS = [{"val_acc": [0.5, 0.8, 0.9]}, {"val_acc": [0.7, 0.6, 0.95]}]


def test_curves_finals_and_mean_curve_read_each_runs_history():
    assert curves(RUNS, "val_acc").shape == (2, 3)
    assert finals(RUNS, "val_acc").tolist() == [0.9, 0.95]
    # A number recorded once per run is its own final value.
    assert finals([{"loss": 0.25}, {"loss": np.float32(0.5)}], "loss").tolist() == [0.25, 0.5]
    assert mean_curve(RUNS, "val_acc") == pytest.approx([0.6, 0.7, 0.925])


def test_phase_panels_put_a_panel_per_measure_and_a_curve_per_phase():
    runs = [{"train_loss": [3.0, 2.0], "val_loss": [4.0, 3.5], "train_acc": [0.5, 0.6],
             "val_acc": [0.4, 0.5]}, {"train_loss": [2.0, 1.0], "val_loss": [3.0, 2.5],
                                      "train_acc": [0.7, 0.8], "val_acc": [0.6, 0.7]}]
    panels = phase_panels(runs, [("training", "train"), ("validation", "val")],
                          [("loss", "loss"), ("accuracy", "acc")])
    assert list(panels) == ["loss", "accuracy"]
    assert list(panels["loss"]) == ["training", "validation"]
    np.testing.assert_array_equal(panels["accuracy"]["validation"], [[0.4, 0.5], [0.6, 0.7]])
    np.testing.assert_array_equal(panels["loss"]["training"], [[3.0, 2.0], [2.0, 1.0]])


def test_setting_panels_put_a_panel_per_key_and_a_curve_per_setting():
    settings = {"wide": RUNS, "deep": RUNS[::-1]}
    panels = setting_panels(settings, [("validation accuracy", "val_acc")])
    assert list(panels) == ["validation accuracy"]
    assert list(panels["validation accuracy"]) == ["wide", "deep"]
    np.testing.assert_array_equal(panels["validation accuracy"]["deep"][0], [0.7, 0.6, 0.95])


def test_settled_epoch_is_the_first_epoch_from_which_the_curve_stays_near_its_end():
    assert settled_epoch([0.5, 0.9, 0.7, 0.898, 0.9]) == 4
    assert settled_epoch([0.9, 0.9, 0.9]) == 1
    assert settled_epoch([0.5, 0.9], within=0.5) == 1


def test_best_point_finds_the_largest_or_smallest_cell_ignoring_nan():
    grid = np.array([[0.1, np.nan], [0.9, 0.3]])
    assert best_point(grid) == (1, 0)
    assert best_point(grid, largest=False) == (0, 0)


def test_largest_rate_reads_the_largest_rate_seed_by_seed_against_the_settled_ones():
    # (rates, seeds, epochs): 0.01 and 0.1 settle and fall every epoch; 1.0 ends higher and one
    # of its two seeds rises once.
    loss = np.array([[[2.0, 1.9, 1.8], [2.0, 1.95, 1.85]],
                     [[1.0, 0.5, 0.2], [1.0, 0.4, 0.3]],
                     [[0.5, 0.2, 0.1], [0.6, 0.3, 0.15]],
                     [[2.0, 1.0, 0.9], [1.5, 1.6, 1.2]]])
    got = largest_rate(loss, [0.001, 0.01, 0.1, 1.0], settled_from=0.01)
    assert got["seeds_fall"] and got["fast_rising"] == 1
    assert got["fast_final"] == (0.9, 1.2) and got["settled_lrs"] == (0.01, 0.1)
    assert got["settled_max"] == 0.3 and got["fast_ratio"] == pytest.approx(3.0)
    loss[1, 0, 2] = 0.6  # a seed below the largest rate that rises
    assert not largest_rate(loss, [0.001, 0.01, 0.1, 1.0], 0.01)["seeds_fall"]


def test_a_printed_value_inside_our_widened_range_agrees_and_outside_differs():
    inside = quote(0.948, [0.95, 0.97], 0.005)
    assert inside.agrees and inside.verdict == "agrees" and inside.outside == pytest.approx(0.002)
    far = quote(0.90, [0.95, 0.97], 0.005)
    assert not far.agrees and far.verdict == "differs"
    assert far.outside == pytest.approx(0.05) and far.spread == pytest.approx(0.02)
    assert verdict(False) == "differs"


def test_a_quotes_cells_show_our_range_and_mean_pm_std():
    q = quote(1.0, [0.25, 0.75], 0.0)
    assert str(q.range_cell(2)) == r"\num{0.25}--\num{0.75}"
    assert str(quote(1.0, 0.5, 0.0).range_cell(1)) == r"\num{0.5}"
    assert str(q.pm_cell(2)) == r"$\num{0.50 +- 0.25}$"


def test_band_curve_draws_the_mean_and_the_seed_range_in_one_colour():
    from figures.common import band_curve, new_figure

    fig, ax = new_figure()
    band_curve(ax, np.array([[1.0, 2.0], [3.0, 6.0]]), "runs", color="#4477AA")
    (line,) = ax.get_lines()
    assert line.get_ydata().tolist() == [2.0, 4.0] and line.get_xdata().tolist() == [1, 2]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == 1.0 and band[:, 1].max() == 6.0
    assert tuple(ax.collections[0].get_facecolor()[0][:3]) == pytest.approx(
        (0x44 / 255, 0x77 / 255, 0xAA / 255))


def test_rerun_reads_a_shorter_setting_off_the_longer_run_of_the_same_settings(monkeypatch):
    from report import sweep
    from report.quote import rerun

    monkeypatch.setattr(sweep.SETTINGS, "jobs", 1)  # in this process, so the calls can be counted
    CALLS.clear()
    settings = [{"lr": 0.5, "epochs": 2}, {"lr": 0.5, "epochs": 4}, {"lr": 0.1, "epochs": 3}]
    runs = rerun(_count_epochs, settings, [0, 1], ("loss",))
    assert sorted(CALLS) == [(0.1, 3), (0.1, 3), (0.5, 4), (0.5, 4)]  # no 2-epoch run
    assert [len(per_seed) for per_seed in runs] == [2, 2, 2]
    assert runs[0][1]["loss"] == [1.5, 2.0] and runs[1][1]["loss"] == [1.5, 2.0, 2.5, 3.0]
    assert runs[2][0]["loss"] == pytest.approx([0.1, 0.2, 0.3])
    assert set(runs[0][0]) == {"loss"}  # nothing recorded after the longer run's end


CALLS: list[tuple[float, int]] = []


def _count_epochs(config: dict) -> dict:
    """A stand-in training run whose loss after epoch e is seed + lr * e; it logs each call."""
    CALLS.append((config["lr"], config["epochs"]))
    loss = [config["seed"] + config["lr"] * e for e in range(1, config["epochs"] + 1)]
    return {"loss": loss, "final": loss[-1]}


def test_summary_counts_agreeing_quotes_and_the_furthest_differing_one():
    from report.quote import summary

    quotes = [quote(0.95, [0.94, 0.96], 0.005), quote(0.90, [0.95, 0.97], 0.005),
              quote(0.99, [0.90, 0.93], 0.005)]
    s = summary(quotes)
    assert (s["n"], s["agree"], s["n_differ"]) == (3, 1, 2)
    assert s["widest"] == pytest.approx(0.03) and s["outside"] == pytest.approx(0.06)
    assert summary(quotes[:1])["outside"] == 0.0


def test_quote_table_gives_each_row_one_verdict_and_sums_up_every_quote():
    from report.quote import quote_table

    body, counts = quote_table(["case", "printed", "ours", "verdict"],
                               [(["a"], [quote(1.0, 1.00004, 5e-5)]),
                                (["b"], [quote(2.0, [2.1, 2.2], 5e-5)])], (1, 2))
    rows = [line for line in str(body).splitlines() if line.startswith(("a&", "b&"))]
    assert rows[0].split("&")[-1].startswith("agrees"), rows
    assert rows[1].split("&")[-1].startswith("differs") and "{2.10}--" in rows[1], rows
    assert counts["n"] == 2 and counts["n_differ"] == 1
    assert counts["outside"] == pytest.approx(0.1)
