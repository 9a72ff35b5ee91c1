"""Generated LaTeX fragments (tables, figure environments, matrices), built with PyLaTeX.

Tables follow booktabs (no vertical rules); numeric columns are siunitx `S` columns, so their
decimals line up; the gradient-check table is one helper that every report calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from pylatex import Figure, Matrix, NoEscape, Tabular
from pylatex.base_classes import Environment

from model.gradcheck import H
from model.runstats import finals
from report.latex import escape
from report.numbers import siunitx_number


class _Center(Environment):
    _latex_name = "center"


_NUM = re.compile(r"^\\num\{([^{}]*)\}$")
_PLAIN = re.compile(r"^(-?)(\d+)(?:\.(\d+))?(?:e(-?)(\d+))?$")


def _s_cell(cell: object) -> str:
    """A cell of an `S` column: the bare number siunitx aligns, anything else braced as text."""
    text = str(cell)
    # `\num{x}` from report.numbers is unwrapped: inside an S column siunitx parses x itself.
    match = _NUM.match(text)
    if match and _PLAIN.match(match.group(1)):
        return match.group(1)
    if _PLAIN.match(text):
        return text
    return "{" + escape(cell) + "}"


def _table_format(cells: Sequence[str]) -> str:
    """siunitx's `table-format` that fits every number of a column (e.g. `-1.4e-2`)."""
    parts = [m.groups() for m in map(_PLAIN.match, cells) if m]
    if not parts:
        return "1"
    fmt = ("-" if any(p[0] for p in parts) else "") + str(max(len(p[1]) for p in parts))
    decimals = max(len(p[2] or "") for p in parts)
    if decimals:
        fmt += f".{decimals}"
    if any(p[4] for p in parts):
        fmt += "e" + ("-" if any(p[3] for p in parts) else "") + str(
            max(len(p[4] or "") for p in parts))
    return fmt


def table(header: Sequence, rows: Sequence[Sequence], align: str | None = None) -> NoEscape:
    """A booktabs table; cells are escaped unless they are `NoEscape` (e.g. formatted numbers).

    An `S` in `align` makes that column a siunitx column: its numbers (plain or from
    `report.numbers.num`) are aligned on the decimal marker, its header is set as text.
    """
    align = align or "l" + "r" * (len(header) - 1)
    rows = [list(row) for row in rows]
    columns = []
    for i, kind in enumerate(align):
        if kind == "S":
            cells = [_s_cell(row[i]) for row in rows]
            for row, cell in zip(rows, cells, strict=True):
                row[i] = NoEscape(cell)
            columns.append(f"S[table-format={_table_format(cells)}]")
        else:
            columns.append(kind)
    tab = Tabular(NoEscape("".join(columns)), booktabs=True, width=len(columns))
    tab.add_row([NoEscape("{" + escape(cell) + "}") if kind == "S" else escape(cell)
                 for cell, kind in zip(header, align, strict=True)])
    tab.add_hline()
    for row in rows:
        tab.add_row([escape(cell) for cell in row])
    center = _Center()
    center.append(tab)
    return NoEscape(center.dumps())


GRADCHECK_DEFINITIONS = (
    r"$a$ is the analytic gradient ({analytic}), $n$ the numerical one ({numeric}); "
    r"{abs_part}the relative error is $\max_i |a_i - n_i| / \max(10^{{-8}}, |a_i| + |n_i|)$."
)
"""What the columns of every gradient-check table mean (its caption says it)."""


def gradcheck_table(labels: Mapping[str, Sequence], rel_error: Sequence[float], *,
                    abs_error: Sequence[float] | None = None,
                    analytic: Sequence[float] | None = None,
                    numeric: Sequence[float] | None = None,
                    extra: Mapping[str, Sequence[float]] | None = None,
                    what: str | NoEscape = "",
                    analytic_is: str | NoEscape = "back-propagation",
                    numeric_is: str | NoEscape | None = None,
                    digits: int = 8) -> NoEscape:
    r"""The gradient-check table: label columns, then $a$, $n$, $\max|a-n|$, relative error.

    `labels` maps header to the cells that name each row (parameter, shape, input x, ...);
    `analytic` and `numeric` are shown with `digits` decimals when given, errors always in
    scientific notation, `extra` columns (header -> values, two significant digits) last.
    The caption starts with `what` and defines every column.
    """
    from report.numbers import num  # noqa: PLC0415 (keeps the helper's dependencies visible)

    numeric_is = numeric_is or NoEscape(rf"central differences, $h = {_tex_power(H)}$")
    columns: list[tuple[str | NoEscape, list, str]] = [
        (name, list(cells), "l") for name, cells in labels.items()]
    if analytic is not None:
        columns.append((NoEscape("$a$"), [num(v, digits) for v in analytic], "S"))
    if numeric is not None:
        columns.append((NoEscape("$n$"), [num(v, digits) for v in numeric], "S"))
    if abs_error is not None:
        columns.append((NoEscape(r"$\max|a - n|$"), [num(v, 2, sci=True) for v in abs_error],
                        "S"))
    columns.append(("relative error", [num(v, 2, sci=True) for v in rel_error], "S"))
    for name, values in (extra or {}).items():
        columns.append((name, [num(v, 2, sci=True) for v in values], "S"))
    header = [c[0] for c in columns]
    rows = list(zip(*(c[1] for c in columns), strict=True))
    body = table(header, rows, "".join(c[2] for c in columns))
    caption = (escape(what) + " " if what else "") + GRADCHECK_DEFINITIONS.format(
        analytic=escape(analytic_is), numeric=escape(numeric_is),
        abs_part=r"$\max|a - n|$ is taken over the entries, and " if abs_error is not None
        else "")
    return NoEscape("\\begin{table}[H]\n\\centering\n" + body.replace(
        "\\begin{center}", "").replace("\\end{center}", "") +
        "\\caption{" + caption + "}\n\\end{table}\n")


def _tex_power(value: float) -> str:
    """10^{k} for an exact power of ten, else the number in siunitx."""
    exponent = round(np.log10(value))
    if np.isclose(value, 10.0**exponent):
        return f"10^{{{exponent}}}"
    return rf"\num{{{siunitx_number(value, 2, sci=True)}}}"


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


def entrywise_table(check: object, label: str, at: Sequence[float], **kwargs: object) -> NoEscape:
    """`gradcheck_table` of one `GradCheck` entry by entry: a row per entry of the checked
    array, labelled by the input value `at` it belongs to (4 decimals), with that entry's a, n,
    |a - n| and relative error; keyword arguments go to `gradcheck_table`."""
    from model.gradcheck import rel_error
    from report.numbers import num

    a, n = np.ravel(check.analytic), np.ravel(check.numeric)
    return gradcheck_table({label: [num(v, 4) for v in at]},
                           [rel_error(p, q) for p, q in zip(a, n, strict=True)],
                           abs_error=np.abs(a - n), analytic=a, numeric=n, **kwargs)


def columns_table(header: Sequence, columns: Sequence[Sequence[float]],
                  digits: int = 6, align: str | None = None) -> NoEscape:
    """Values side by side, one column per sequence (x, f(x), f'(x), say): `digits` decimals,
    whole numbers (labels, a ReLU's 0 and 1) without any; `align` as in `table`."""
    from report.numbers import num

    return table(header, [[int(v) if float(v).is_integer() else num(v, digits) for v in row]
                          for row in zip(*columns, strict=True)], align)


def matrix_table(corner: str, rows: Sequence, columns: Sequence, values: np.ndarray,
                 digits: int = 4, missing: str = "diverged") -> NoEscape:
    """A table of `values` (len(rows), len(columns)) labelled by its row and column values (a
    grid of step sizes x numbers of steps, say), `corner` naming both; a non-finite value
    shows as the word `missing`."""
    from report.numbers import num

    return table([corner, *columns],
                 [[row, *(num(v, digits) if np.isfinite(v) else missing for v in line)]
                  for row, line in zip(rows, values, strict=True)])


def records_table(records: Sequence, columns: Mapping[str | NoEscape, object],
                  align: str | None = None) -> NoEscape:
    """A `table` with one row per record (a run, a swept setting, ...): `columns` maps each
    header to the function that makes that column's cell from a record."""
    return table(list(columns), [[cell(record) for cell in columns.values()]
                                 for record in records], align)


def seed_columns(settled_header: str | NoEscape, final: str = "final loss",
                 digits: int = 2) -> dict:
    """The `records_table` columns of a setting run over seeds (rows from
    `model.diagnostics.seed_summary` with `acc` among its scalars): the final value and the
    accuracy as mean ± std, then the steps to the threshold, or how many seeds got there."""
    from report.numbers import pm  # noqa: PLC0415 (as in gradcheck_table)

    return {final: lambda row: pm(row["final"], digits, sci=True),
            "accuracy": lambda row: pm(row["acc"], digits),
            settled_header: lambda row: pm(row["settled"], 0) if row["all_settled"]
            else f"{row['n_settled']} of {len(row['acc'])} seeds"}


def gradcheck_records_table(records: Sequence[Mapping], labels: Mapping[str, str], *,
                            rel: str = "rel_error", abs_error: str | None = "abs_error",
                            **kwargs: object) -> NoEscape:
    """`gradcheck_table` with one row per record (a dict per checked gradient): `labels` maps
    each label column's header to its key in the records, and `rel`/`abs_error` name the error
    keys. A tuple (a parameter's shape) is typeset as d1 x d2; `kwargs` go to gradcheck_table."""
    def cell(value: object) -> object:
        if isinstance(value, tuple):
            return NoEscape("$" + r" \times ".join(map(str, value)) + "$")
        return value

    return gradcheck_table(
        {header: [cell(record[key]) for record in records] for header, key in labels.items()},
        [record[rel] for record in records],
        abs_error=None if abs_error is None else [record[abs_error] for record in records],
        **kwargs)


# --- shared by the reports' contexts (t-mnist): vectors and tables of GradCheck rows ---------

def vector(values: Sequence[float] | np.ndarray, digits: int = 4) -> NoEscape:
    """A 1-D vector as `(a, b, ...)` for math mode, or a bracketed `matrix` for 2-D values.

    Trailing zeros are trimmed (0.5000 prints as 0.5) and -0.0 prints as 0.
    """
    from report.numbers import num  # noqa: PLC0415 (as in gradcheck_table)

    values = np.asarray(values, dtype=float) + 0.0
    if values.ndim != 1:
        return matrix(values, digits, trim=True)
    return NoEscape("(" + r",\allowbreak\ ".join(num(v, digits, trim=True) for v in values) + ")")


def checks_table(checks: Sequence, labels: Mapping[str, Sequence] | None = None, *,
                 header: str = "gradient", math: bool = True, **kwargs: object) -> NoEscape:
    """`gradcheck_table` of `model.gradcheck.GradCheck` rows: their max |a - n| and relative
    errors, each row named by `labels` (header -> cells) or else by the check's name under
    `header` (in math mode unless `math` is False: "forward of Linear" is words, "W_1" is not).

    Other keyword arguments (`extra`, `what`, `analytic_is`, ...) go to `gradcheck_table`.
    """
    labels = labels or {header: [NoEscape(f"${c.name}$") if math else c.name for c in checks]}
    return gradcheck_table(labels, [c.rel_error for c in checks],
                           abs_error=[c.abs_error for c in checks], **kwargs)


# --- a table of results over seeds --------------------------------------------------------------


def seeds_table(header: Sequence, rows: Mapping[str, Sequence[Sequence[float]]],
                digits: Sequence[int]) -> NoEscape:
    """One row per entry of `rows` ({label: [values over seeds, one sequence per column]}),
    each cell mean ± population standard deviation (`report.numbers.pm`) with that column's
    `digits` decimals; `header` names the label column and then each value column."""
    from report.numbers import pm

    return table(header, [[label, *(NoEscape(f"${pm(v, d)}$")
                                    for v, d in zip(values, digits, strict=True))]
                          for label, values in rows.items()])


# --- the zero-initialisation study's table ------------------------------------------------------

def unit_symmetry_table(runs: Mapping[str, Mapping], spread: str, norm: str, acc: str,
                        acc_header: str) -> NoEscape:
    """One row per trained run ({"network, initialisation": run}): how far apart its hidden
    units ended (`run[spread]`, the largest difference between two units' incoming weights and
    biases), the sum of |W1| (`run[norm]`) and the final accuracy (`run[acc][-1]`, headed
    `acc_header`): whether zero weights left the units identical (dl2023/dl2024 §1.7 (c))."""
    from report.numbers import num  # noqa: PLC0415 (as in gradcheck_table)

    return table(["network, initialisation", "max unit difference",
                  NoEscape(r"$\sum |W_1|$"), acc_header],
                 [[name, num(run[spread], 3), num(run[norm], 1), num(run[acc][-1], 3)]
                  for name, run in runs.items()])


# --- math-mode cells ------------------------------------------------------------------------------

def inline_math(text: str) -> NoEscape:
    """`text` as inline math, not escaped: inline_math("o_i") is `$o_i$` (a header, a cell)."""
    return NoEscape(f"${text}$")


def bmatrix(cells: Sequence[str]) -> NoEscape:
    """Cells already typeset (`report.numbers.sci`, `prob`, ...) as one bracketed row vector
    for math mode; `matrix` is the one that formats plain numbers itself."""
    return NoEscape(r"\begin{bmatrix}" + " & ".join(cells) + r"\end{bmatrix}")


def finals_table(header: Sequence, runs: Mapping[str, Sequence[Mapping]], keys: Sequence[str],
                 digits: Sequence[int]) -> NoEscape:
    """`seeds_table` of settings run over seeds ({label: [one run record per seed]}): for each
    of `keys`, the runs' final values, the last entry of a per-epoch history or a scalar the
    run recorded once (`model.runstats.finals`), as mean ± std; `header` names the label
    column and then each key's."""
    return seeds_table(header, {label: [finals(seeds, key) for key in keys]
                                for label, seeds in runs.items()}, digits)
