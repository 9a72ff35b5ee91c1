"""Generated LaTeX fragments (tables, figure environments, matrices), built with PyLaTeX."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pylatex import Figure, Matrix, NoEscape, Tabular
from pylatex.base_classes import Environment

from report.latex import escape


class _Center(Environment):
    _latex_name = "center"


def table(header: Sequence, rows: Sequence[Sequence], align: str | None = None) -> NoEscape:
    """A booktabs table; cells are escaped unless they are `NoEscape` (e.g. formatted numbers)."""
    align = align or "l" + "r" * (len(header) - 1)
    tab = Tabular(align, booktabs=True)
    tab.add_row([escape(cell) for cell in header])
    tab.add_hline()
    for row in rows:
        tab.add_row([escape(cell) for cell in row])
    center = _Center()
    center.append(tab)
    return NoEscape(center.dumps())


def figure(path: str, caption: str | NoEscape, width: str = r"\linewidth",
           label: str | None = None) -> NoEscape:
    """A figure placed here ([H]) that includes a PDF file; `label` makes it referable."""
    fig = Figure(position="H")
    fig.add_image(path, width=NoEscape(width))
    fig.add_caption(escape(caption))
    if label:
        fig.append(NoEscape(rf"\label{{{label}}}"))
    return NoEscape(fig.dumps())


def matrix(values: np.ndarray, digits: int = 4, trim: bool = False) -> NoEscape:
    """A bracketed matrix (or row vector) of numbers with `digits` decimals, for math mode.

    With `trim`, trailing zeros go (1.0000 prints as 1, 0.5000 as 0.5).
    """
    # Rounding first, then adding 0.0, prints a tiny negative value as 0.00, not -0.00.
    values = np.round(np.atleast_2d(np.asarray(values, dtype=float)), digits) + 0.0

    def cell(v: float) -> NoEscape:
        text = f"{v:.{digits}f}"
        return NoEscape(text.rstrip("0").rstrip(".") if trim and "." in text else text)

    cells = np.vectorize(cell, otypes=[object])(values)
    return NoEscape(Matrix(cells, mtype="b").dumps())
