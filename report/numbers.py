"""Numbers as a mathematician typesets them, through siunitx: one formatter for each kind.

Python does the rounding (so the digits shown are decided here, testably), and siunitx does the
typesetting: a true minus sign, `7.3 × 10^{-8}` for scientific notation, `±` between a mean and
its standard deviation, and aligned decimals in `S` table columns. Every formatter returns a
`NoEscape` that works in text and in math mode alike.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pylatex.utils import NoEscape

__all__ = ["fix", "mantissa_exponent", "num", "pct", "pm", "sci", "seed_list", "siunitx_number"]

SISETUP = (
    r"\sisetup{exponent-product=\times, uncertainty-mode=separate, group-digits=none,"
    r" retain-zero-uncertainty=true}"
)
"""The preamble's siunitx settings: `×` before powers of ten, `a ± b` rather than `a(b)`, and
a spread that rounds to zero kept as `± 0.000` (siunitx drops it by default, so one cell of a
mean ± std column would read like a single run)."""


def mantissa_exponent(value: float, digits: int) -> tuple[str, int]:
    """`value` rounded to `digits` significant digits, as (mantissa text, power of ten).

    The exponent is taken after rounding, so 9.96e-8 to two digits is ('1.0', -7), never
    ('10', -8).
    """
    mantissa, exponent = f"{float(value):.{max(digits, 1) - 1}e}".split("e")
    return mantissa, int(exponent)


def siunitx_number(value: float, digits: int = 4, *, sci: bool = False,
                   trim: bool = False) -> str:
    """The plain number siunitx parses (`-7.3e-8`, `0.1235`), for `\\num` and `S` columns.

    Fixed point with `digits` decimals, or `digits` significant digits with `sci`; `trim` drops
    trailing zeros (0.5000 -> 0.5, 2.0000 -> 2). Zero is `0` (never `0.0 × 10^0`), and a value
    that rounds to zero loses its sign.
    """
    value = float(value)
    if value == 0:
        return "0"
    if sci:
        mantissa, exponent = mantissa_exponent(value, digits)
        if trim and "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return mantissa if exponent == 0 else f"{mantissa}e{exponent}"
    text = f"{value:.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    # -0.0000 means a tiny negative number rounded away: it is zero on the page.
    return text.lstrip("-") if float(text) == 0 else text


def _special(value: float) -> NoEscape | None:
    if math.isnan(value):
        return NoEscape(r"\ensuremath{\mathrm{NaN}}")
    if math.isinf(value):
        return NoEscape(r"\ensuremath{\infty}" if value > 0 else r"\ensuremath{-\infty}")
    return None


def num(value: float, digits: int = 4, *, sci: bool = False, trim: bool = False) -> NoEscape:
    """One number: `digits` decimals, or `digits` significant digits times a power of ten.

    `trim` drops trailing zeros (for values that are exact: 0.5, 2).
    """
    value = float(value)
    special = _special(value)
    if special is not None:
        return special
    return NoEscape(rf"\num{{{siunitx_number(value, digits, sci=sci, trim=trim)}}}")


def fix(value: float, digits: int = 4, *, sci: bool = False) -> NoEscape:
    """`num`, under the name templates use inside `$...$` (siunitx works in both modes)."""
    return num(value, digits, sci=sci)


def sci(value: float, digits: int = 2) -> NoEscape:
    """`digits` significant digits in scientific notation: `7.3 × 10^{-8}`; 0 stays `0`."""
    return num(value, digits, sci=True)


def pm(values: Sequence[float] | np.ndarray, digits: int = 3, *, sci: bool = False) -> NoEscape:
    """Mean ± (population) standard deviation of `values`, e.g. over seeds.

    With `sci`, both share the mean's power of ten: `(7.30 ± 0.20) × 10^{-8}` (`digits`
    decimals of the mantissa).
    """
    values = np.asarray(values, dtype=float)
    mean, std = float(values.mean()), float(values.std())
    special = _special(mean)
    if special is not None:
        return special
    if sci and mean != 0:
        exponent = math.floor(math.log10(abs(mean)))
        scale = 10.0**exponent
        m, s = f"{mean / scale:.{digits}f}", f"{std / scale:.{digits}f}"
        return NoEscape(rf"\num{{{m} +- {s} e{exponent}}}")
    return NoEscape(rf"\num{{{mean:.{digits}f} +- {std:.{digits}f}}}")


def pct(value: float, digits: int = 1) -> NoEscape:
    """A fraction in [0, 1] as a percentage: 0.9812 -> `98.1%`."""
    value = float(value)
    special = _special(value)
    if special is not None:
        return special
    # No space before %: the way the reports' prose has always written percentages.
    return NoEscape(rf"\num{{{siunitx_number(100 * value, digits)}}}\%")


def seed_list(seeds: Sequence) -> str:
    """Seeds in their order, each run of five or more consecutive integers as its first and last
    joined by an en dash: [0, ..., 19] -> `0–19`, [0, 1, 2] -> `0, 1, 2`; none -> `–`."""
    runs: list[list] = []
    for seed in seeds:
        run = runs[-1] if runs else None
        if run and isinstance(seed, int) and isinstance(run[-1], int) and seed == run[-1] + 1:
            run.append(seed)
        else:
            runs.append([seed])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) >= 5 else ", ".join(map(str, run))
                     for run in runs) or "–"


def prob(value: float, digits: int = 6) -> NoEscape:
    """A probability for math mode as a reader wants it: within 1e-6 of 1 as `1 - 1.0 × 10^-15`,
    below 1e-3 (and not 0) in scientific notation, otherwise `digits` decimals, trimmed."""
    value = float(value)
    if math.isfinite(value) and 0 < 1 - value < 1e-6:
        return NoEscape(f"1 - {sci(1 - value, 2)}")
    return sci(value, 2) if value != 0 and abs(value) < 1e-3 else num(value, digits, trim=True)
