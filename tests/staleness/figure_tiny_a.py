"""The figure of the tiny report A."""

from __future__ import annotations

from pathlib import Path

from figures.common import new_figure, save


def tiny_a_fig(r: dict, out: Path) -> None:
    fig, ax = new_figure(height=1.5)
    ax.plot([0, 1], [0, r["plain"]["value"]], color="C0")
    save(fig, out)
