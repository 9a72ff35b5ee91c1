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
