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


def test_reports_side_by_side_share_the_cores_until_none_waits() -> None:
    import multiprocessing

    from report.workers import CoreShare

    share = CoreShare(2, 3, multiprocessing.get_context("fork"))
    with share.building():
        assert share.jobs() == 2  # the only report building
        with share.building():
            assert share.jobs() == 1  # two reports on two cores, a third waits: one each
        assert share.jobs() == 2  # the other one finished
        with share.building():
            assert share.jobs() == 2  # none waits: the last two may use every core
    assert CoreShare(5, 1, multiprocessing.get_context("fork")).jobs() == 5


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
