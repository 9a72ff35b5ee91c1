"""The sweep shorthands the digits reports share: named settings over seeds, and single cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import sweep_points

from report import sweep as sw


@pytest.fixture
def settings(tmp_path: Path):
    """Sweep settings for one test (in this process, a fresh cache), restored afterwards."""
    saved = sw.Settings(**vars(sw.SETTINGS))
    sw.SETTINGS.location, sw.SETTINGS.scheduler, sw.SETTINGS.data = tmp_path / "points", None, {}
    sw.SETTINGS.jobs = 1
    yield sw.SETTINGS
    for key, value in vars(saved).items():
        setattr(sw.SETTINGS, key, value)


def test_each_over_seeds_runs_every_value_for_every_seed_with_the_shared_entries(settings):
    config = {"sizes": [2, 9], "extra": "x", "seeds": [4, 5]}
    runs = sw.each_over_seeds(sweep_points.noisy_sum, config, "sizes", "n")
    assert list(runs) == [2, 9]
    assert [r["config"] for r in runs[9]] == [{"n": 9, "extra": "x", "seed": 4},
                                              {"n": 9, "extra": "x", "seed": 5}]


def test_cases_key_each_run_by_its_values_and_leave_defaults_out_of_the_point(settings):
    config = {"cases": [[3, "zeros"], [5, "default"]], "seed": 1}
    runs = sw.cases(sweep_points.noisy_sum, config, ("n", "init"), {"init": "default"})
    assert list(runs) == ["3, zeros", "5, default"]
    assert runs["3, zeros"]["config"] == {"seed": 1, "n": 3, "init": "zeros"}
    assert runs["5, default"]["config"] == {"seed": 1, "n": 5}


def test_grid_arrays_put_each_picked_value_at_its_settings_place_in_the_grid(settings):
    config = {"ks": ["a", "b"], "seeds": [0, 1, 2], "n": 2}
    arrays = sw.grid_arrays(sweep_points.noisy_sum, config, {"ks": "k", "seeds": "seed"},
                            {"value": 0, "config": None})
    assert arrays["ks"] == ["a", "b"] and arrays["seeds"] == [0, 1, 2]
    assert arrays["config"][1, 2] == {"n": 2, "k": "b", "seed": 2}
    expected = sweep_points.noisy_sum({"n": 2, "seed": 1})["value"][0]
    assert arrays["value"].shape == (2, 3, 2)
    assert (arrays["value"][0, 1] == expected).all()
    # Without picks, every key of the runs, whole: the values of every epoch, say.
    whole = sw.grid_arrays(sweep_points.noisy_sum, config, {"ks": "k", "seeds": "seed"})
    assert set(whole) == {"ks", "seeds", "value", "config", "pid_kind"}
    assert whole["value"].shape == (2, 3, 2, 2) and (whole["value"][0, 1, 0] == expected).all()


def test_vary_one_sets_the_one_setting_to_each_value_and_runs_a_shared_point_once(settings,
                                                                                   tmp_path):
    log = tmp_path / "ran.log"
    base = {"log": str(log), "n": 1}
    by_seed = sw.vary_one(sweep_points.logged, base | {"vary": "seed", "values": [3, 4]})
    assert by_seed["vary"] == "seed" and by_seed["values"] == [3, 4]
    assert [r["seed"] for r in by_seed["runs"]] == [3, 4]
    # A second sweep through the first one's point (seed 4) runs only its new point.
    sw.vary_one(sweep_points.logged, base | {"seed": 4, "vary": "n", "values": [1, 2]})
    assert log.read_text().split() == ["3", "4", "4"]
