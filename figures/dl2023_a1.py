"""Figures of dl2023-a1; each function draws one figure from recorded results."""

from __future__ import annotations

from pathlib import Path

from figures import common


def fd_eps(r: dict, out: Path) -> None:
    """§1.2 (d): error of finite differences against the step size, on log-log axes."""
    run = r["fd_eps"]
    errors = {f"{kind} difference": run[kind] for kind in ("central", "forward")}
    common.error_vs_step(out, run["eps"], errors, ylabel=r"largest $|$numerical $-$ exact$|$",
                         mark_best="central difference")

