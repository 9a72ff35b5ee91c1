"""How figures/common.py saves a figure cheaply: the layout done once, dense fills as images."""

from __future__ import annotations

import numpy as np

from figures import common


def _panel_figure():
    """Two panels, one with filled contours and a colour bar: what constrained layout moves."""
    fig, (left, right) = common.new_figure(2, height=2.4)
    axis = np.linspace(-1, 1, 30)
    filled = left.contourf(axis, axis, np.add.outer(axis, axis**2), 8)
    fig.colorbar(filled, ax=left, label="f(x, y)")
    right.plot(axis, np.exp(axis), label="$e^x$")
    right.set(xlabel="x", ylabel="y", title="a title")
    right.legend()
    return fig


def test_save_lays_out_once_and_writes_the_pdf_savefig_would(tmp_path) -> None:
    import matplotlib.pyplot as plt

    fig = _panel_figure()
    fig.savefig(tmp_path / "savefig.pdf", format="pdf",
                metadata={"CreationDate": None, "ModDate": None})
    plt.close(fig)
    fig = _panel_figure()
    draws = []
    # savefig draws a figure that still has its layout engine twice; save draws it once.
    fig.canvas.mpl_connect("draw_event", lambda event: draws.append(event))
    common.save(fig, tmp_path / "save.pdf")
    assert len(draws) == 1
    assert (tmp_path / "save.pdf").read_bytes() == (tmp_path / "savefig.pdf").read_bytes()


def _images(pdf) -> list[dict[str, str]]:
    """The images of a PDF as `pdfimages -list` reports them (one dict per image)."""
    import subprocess

    lines = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    header = lines[0].split()
    return [dict(zip(header, line.split(), strict=False)) for line in lines[2:]]


def _path_operators(pdf) -> int:
    """How many stroked paths (PDF `S` operators) the page's content streams hold."""
    import re
    import zlib

    data = pdf.read_bytes()
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)
    text = b"".join(zlib.decompress(s) for s in streams if s[:1] == b"x")
    return len(re.findall(rb"(?m)\sS$", text))


def test_filled_contours_are_one_image_at_print_resolution_and_their_lines_stay_vector(
        tmp_path) -> None:
    import matplotlib.pyplot as plt

    strokes = {}
    for n_levels in (3, 9):
        fig, ax = common.new_figure(height=2.4)
        common.draw_surface(ax, lambda x, y: x**2 + 3 * y**2, [{"x": 0.0, "y": 0.0}],
                            ((-1.0, 1.0), (-1.0, 1.0)), top=None, colorbar=False,
                            n_levels=n_levels)
        common.save(fig, tmp_path / f"surface{n_levels}.pdf")
        (image,) = _images(tmp_path / f"surface{n_levels}.pdf")
        assert int(image["x-ppi"]) == common.RASTER_DPI
        strokes[n_levels] = _path_operators(tmp_path / f"surface{n_levels}.pdf")
    plt.close("all")
    # Each of the six more level lines is a stroked path of its own: drawn as vector.
    assert strokes[9] - strokes[3] == 6


def test_a_decision_boundary_is_an_image_a_grid_of_them_paths_and_strips_keep_their_resolution(
        tmp_path) -> None:
    axis = np.linspace(-1, 1, 21)
    out = 1 / (1 + np.exp(-4 * np.add.outer(axis, axis)))
    points, labels = np.array([[-0.5, -0.5], [0.5, 0.5]]), np.array([0, 1])
    common.boundary_figure(axis, out, points, labels, "t", tmp_path / "boundary.pdf")
    (image,) = _images(tmp_path / "boundary.pdf")
    assert int(image["x-ppi"]) == common.RASTER_DPI
    # A grid of them keeps its fills as paths (cheaper there than a dozen images).
    common.boundary_grid([[(axis, out)] * 2] * 2, points, labels, ["a", "b"], ["s0", "s1"],
                         tmp_path / "grid.pdf")
    assert _images(tmp_path / "grid.pdf") == []
    # A figure with no image layer of its own is written at the figure's dpi, so imshow's
    # images are resampled as they always were.
    common.image_strip([np.eye(8)] * 2, ["a", "b"], tmp_path / "strip.pdf")
    assert [int(i["x-ppi"]) for i in _images(tmp_path / "strip.pdf")] == [100, 100]


def test_a_figure_drawn_after_the_warm_up_has_the_bytes_of_one_drawn_in_a_fresh_process(
        tmp_path) -> None:
    """The build warms matplotlib up once before it forks its workers; what they then draw must
    be what a fresh process draws."""
    import subprocess
    import sys

    from report.cache import ROOT

    script = ("import sys; from pathlib import Path; import figures.common as c\n"
              "if sys.argv[1] == 'warm': c.warm_up()\n"
              "import tests.test_figures as t; c.save(t._panel_figure(), Path(sys.argv[2]))\n")
    for mode in ("cold", "warm"):
        subprocess.run([sys.executable, "-c", script, mode, str(tmp_path / f"{mode}.pdf")],
                       cwd=ROOT, check=True)
    assert (tmp_path / "warm.pdf").read_bytes() == (tmp_path / "cold.pdf").read_bytes()
