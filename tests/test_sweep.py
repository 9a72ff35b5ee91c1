"""The sweep primitive: same results on every backend, one cache entry per point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sweep_points

from report import sweep as sw


@pytest.fixture
def settings(tmp_path: Path):
    """Sweep settings for one test, restored afterwards (they are process-wide)."""
    saved = sw.Settings(**vars(sw.SETTINGS))
    sw.SETTINGS.location, sw.SETTINGS.scheduler, sw.SETTINGS.data = tmp_path / "points", None, {}
    yield sw.SETTINGS
    for key, value in vars(saved).items():
        setattr(sw.SETTINGS, key, value)


def test_grid_varies_the_last_axis_fastest_on_top_of_the_base():
    points = sw.grid({"epochs": 3}, lr=[0.1, 1.0], seed=[0, 1, 2])
    assert points[:2] == [{"epochs": 3, "lr": 0.1, "seed": 0}, {"epochs": 3, "lr": 0.1, "seed": 1}]
    assert len(points) == 6 and points[-1] == {"epochs": 3, "lr": 1.0, "seed": 2}


def test_sweep_returns_results_in_point_order_with_two_processes(settings):
    settings.jobs = 2
    points = sw.grid(n=[3, 5], seed=[0, 1])
    results = sw.sweep(sweep_points.noisy_sum, points)
    assert [r["config"] for r in results] == points
    np.testing.assert_array_equal(results[0]["value"], sweep_points.noisy_sum(points[0])["value"])


def test_dask_local_cluster_gives_the_same_results_as_joblib_processes(settings, tmp_path):
    distributed = pytest.importorskip("distributed")
    points = sw.grid(n=[3, 5], seed=[0, 1, 2])
    settings.jobs = 2
    settings.location = tmp_path / "joblib"
    local = sw.sweep(sweep_points.noisy_sum, points)
    # Two threads: joblib runs a one-slot backend in the calling thread instead.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        settings.scheduler = cluster.scheduler_address
        settings.location = tmp_path / "dask"  # a fresh cache: every point runs on the cluster
        remote = sw.sweep(sweep_points.noisy_sum, points)
    assert [r["pid_kind"] for r in remote] == ["dask"] * len(points)
    for a, b in zip(local, remote, strict=True):
        np.testing.assert_array_equal(a["value"], b["value"])


def test_a_grown_grid_runs_only_its_new_points(settings, tmp_path):
    settings.jobs = 1
    log = tmp_path / "ran.txt"
    sw.sweep(sweep_points.logged, sw.grid({"log": str(log)}, seed=[0, 1]))
    assert log.read_text().split() == ["0", "1"]
    results = sw.sweep(sweep_points.logged, sw.grid({"log": str(log)}, seed=[0, 1, 2, 3]))
    assert log.read_text().split() == ["0", "1", "2", "3"]
    assert [r["seed"] for r in results] == [0, 1, 2, 3]


def test_changed_data_fingerprints_rerun_every_point(settings, tmp_path):
    settings.jobs = 1
    log = tmp_path / "ran.txt"
    points = sw.grid({"log": str(log)}, seed=[0])
    with sw.keyed_by({"digits": "aaaa"}):
        sw.sweep(sweep_points.logged, points)
    with sw.keyed_by({"digits": "bbbb"}):
        sw.sweep(sweep_points.logged, points)
    assert log.read_text().split() == ["0", "0"]


def test_over_seeds_groups_results_by_config_name(settings):
    settings.jobs = 1
    runs = sw.over_seeds(sweep_points.noisy_sum, {"small": {"n": 2}, "big": {"n": 9}}, [4, 5])
    assert list(runs) == ["small", "big"]
    assert [r["config"] for r in runs["big"]] == [{"n": 9, "seed": 4}, {"n": 9, "seed": 5}]


def test_per_seed_gives_each_point_one_seed_and_not_the_list(settings):
    settings.jobs = 1
    runs = sw.per_seed(sweep_points.noisy_sum, {"n": 2, "seeds": [7, 8]})
    assert [r["config"] for r in runs] == [{"n": 2, "seed": 7}, {"n": 2, "seed": 8}]


def test_jobs_below_one_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="--jobs must be at least 1"):
        sw.configure(jobs=0)


def test_an_unreachable_scheduler_is_one_clear_error(settings):
    pytest.importorskip("distributed")
    settings.scheduler = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    settings.connect_timeout = 1.0
    with pytest.raises(sw.SweepError, match="cannot reach the Dask scheduler"):
        sw.sweep(sweep_points.noisy_sum, [{"n": 2, "seed": 0}])


def test_equal_points_run_once_and_share_their_result(settings, tmp_path):
    settings.jobs = 1
    log = tmp_path / "ran.txt"
    points = sw.grid({"log": str(log)}, seed=[0, 1])
    results = sw.sweep(sweep_points.logged, points + points[:1])
    assert log.read_text().split() == ["0", "1"]
    assert [r["seed"] for r in results] == [0, 1, 0]


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_point_runs_on_one_blas_thread_whatever_the_jobs(settings, jobs):
    # Two BLAS threads round a float32 product differently from one, so a point's result
    # would depend on --jobs (and the per-point cache would serve one for the other).
    from threadpoolctl import threadpool_limits

    settings.jobs = jobs
    with threadpool_limits(2, user_api="blas"):  # as a 2-core machine starts
        results = sw.sweep(sweep_points.blas_threads, sw.grid(seed=[0, 1]))
    assert all(r["threads"] and set(r["threads"]) == {1} for r in results)


def test_points_of_code_edited_during_the_build_are_not_kept(settings, tmp_path, monkeypatch,
                                                              caplog):
    """The points run while their code changed (report.cache.edited_since_start) serve that
    sweep but are run again by the next one; points cached before are untouched."""
    from report.cache import ROOT

    settings.jobs = 1
    log = tmp_path / "ran.txt"
    sw.sweep(sweep_points.logged, sw.grid({"log": str(log)}, seed=[0]))
    monkeypatch.setattr(sw, "edited_since_start", lambda modules: [ROOT / "model" / "net.py"])
    with caplog.at_level("WARNING", logger="build"):
        sw.sweep(sweep_points.logged, sw.grid({"log": str(log)}, seed=[0, 1, 2]), "grown")
    assert caplog.messages == ["model/net.py changed during the build: the 2 new points of "
                               "grown are not kept"]
    monkeypatch.undo()
    sw.sweep(sweep_points.logged, sw.grid({"log": str(log)}, seed=[0, 1, 2]))
    assert log.read_text().split() == ["0", "1", "2", "1", "2"]
