"""The build's own cold costs: figures share one mathtext layout per string and process."""

from __future__ import annotations

from matplotlib import mathtext
from matplotlib.font_manager import FontProperties

import figures.common  # noqa: F401  (installs the shared mathtext cache)


def test_mathtext_layout_is_shared_between_renderers_and_unchanged() -> None:
    prop = FontProperties(family="serif", size=8)
    label = r"$\mathdefault{0.25}$"
    first = mathtext.MathTextParser("path").parse(label, 72, prop)
    second = mathtext.MathTextParser("path").parse(label, 72, prop)
    assert second is first  # a second renderer's parser reuses the first one's layout
    other_size = mathtext.MathTextParser("path").parse(label, 72, FontProperties(size=12))
    assert other_size is not first and other_size.width > first.width
    raster = mathtext.MathTextParser("agg").parse(label, 72, prop)
    assert type(raster) is not type(first)  # the output type is part of the key


def test_reports_side_by_side_share_the_cores_the_first_started_keeps_them_all() -> None:
    import copy
    import multiprocessing

    from report.workers import CoreShare

    share = CoreShare(2, 3, multiprocessing.get_context("fork"))
    # Each copy stands for one forked report worker: own report, the same shared counts.
    first, second, third = (copy.copy(share) for _ in range(3))
    with first.building():
        with second.building():
            assert first.jobs() == 2  # started first (the longest): all the cores
            assert second.jobs() == 1  # two building, one waiting: its share
        with third.building():  # none waits any more
            assert first.jobs() == 2 and third.jobs() == 2
    later = CoreShare(2, 3, multiprocessing.get_context("fork"))
    a, b = copy.copy(later), copy.copy(later)
    a_building, b_building = a.building(), b.building()
    a_building.__enter__()
    b_building.__enter__()
    assert b.jobs() == 1
    a_building.__exit__(None, None, None)  # the first finishes while a third still waits
    assert b.jobs() == 2  # now b is the first building
    b_building.__exit__(None, None, None)
    assert CoreShare(5, 1, multiprocessing.get_context("fork")).jobs() == 5
    # The second report's worker arrives first: the longest (place 0) still gets all the cores.
    raced = CoreShare(2, 3, multiprocessing.get_context("fork"))
    longest, quicker = copy.copy(raced), copy.copy(raced)
    with quicker.building(1), longest.building(0):
        assert (longest.jobs(), quicker.jobs()) == (2, 1)


def test_image_strip_panels_carry_no_hidden_ticks_to_lay_out(tmp_path, monkeypatch) -> None:
    import numpy as np

    from figures import common

    saved = []
    monkeypatch.setattr(common, "save", lambda fig, out: saved.append(fig))
    common.image_strip([np.eye(4)] * 3, ["a", "b", "c"], tmp_path / "strip.pdf", ncols=2)
    (fig,) = saved
    assert len(fig.axes) == 4
    for ax in fig.axes:
        assert not ax.axison
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []


def test_reports_start_longest_first_learning_unknown_lengths_from_the_project_build(
        tmp_path) -> None:
    import json

    import build
    from report import uptodate

    fresh, project = tmp_path / "fresh", tmp_path / "project"
    for folder, seconds in ((fresh, {"a": 5.0}), (project, {"a": 50.0, "b": 30.0, "c": 60.0})):
        for rid, value in seconds.items():
            stamp = uptodate.stamp_path(folder, rid, False)
            stamp.parent.mkdir(parents=True)
            stamp.write_text(json.dumps({"seconds": value}))
    # a: 5 s here (its own last build wins over the project's 50 s); b and c: the project's;
    # d: never built anywhere, so first.
    assert build.longest_first(["a", "b", "c", "d"], (fresh, project), False) == \
        ["d", "c", "b", "a"]


def test_reports_never_built_start_by_their_estimate_and_a_recorded_build_overrides_it(
        tmp_path) -> None:
    import json

    import build
    from report import uptodate

    fresh, project = tmp_path / "fresh", tmp_path / "project"
    estimates = {"a": 5.0, "b": 50.0, "c": 20.0}.get  # d has none
    assert build.longest_first(["a", "b", "c", "d"], (fresh, project), False, estimates) == \
        ["d", "b", "c", "a"]
    stamp = uptodate.stamp_path(project, "a", False)
    stamp.parent.mkdir(parents=True)
    stamp.write_text(json.dumps({"seconds": 30.0}))
    assert build.longest_first(["a", "b", "c"], (fresh, project), False, estimates) == \
        ["b", "a", "c"]


def test_in_a_fresh_clone_mlp_numpy_the_longest_report_starts_first(tmp_path) -> None:
    import build
    from report import registry

    ids = registry.report_ids()
    assert all(registry.estimated_seconds(rid) is not None for rid in ids)
    # Read from the source, it is the value the report itself carries.
    assert registry.estimated_seconds("lab4-backprop") == \
        registry.load("lab4-backprop").cold_seconds
    order = build.longest_first(sorted(ids), (tmp_path / "a", tmp_path / "b"), False,
                                registry.estimated_seconds)
    assert order[0] == "mlp-numpy" and sorted(order) == sorted(ids)


def test_boundary_grid_shows_one_view_with_tick_labels_on_outer_panels_only(
        tmp_path, monkeypatch) -> None:
    import numpy as np

    from figures import common

    saved = []
    monkeypatch.setattr(common, "save", lambda fig, out: saved.append(fig))
    small, large = np.linspace(-1, 1, 5), np.linspace(-2, 2, 5)
    out = np.linspace(0, 1, 25).reshape(5, 5)
    panels = [[(small, out), (large, out)], [(small, out), (small, out)]]
    points, labels = np.array([[0.0, 0.0], [0.5, 0.5]]), np.array([0, 1])
    common.boundary_grid(panels, points, labels, ["a", "b"], ["s0", "s1"], tmp_path / "g.pdf")
    (fig,) = saved
    grid = np.array(fig.axes[:4]).reshape(2, 2)  # the last axes is the colour bar
    for ax in grid.flat:
        assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-2.0, 2.0)
    fig.canvas.draw()
    visible = [[any(t.get_visible() and t.get_text() for t in ax.get_xticklabels())
                for ax in row] for row in grid]
    assert visible == [[False, False], [True, True]]  # x tick labels on the bottom row only
    assert not any(t.get_visible() and t.get_text() for t in grid[0, 1].get_yticklabels())
