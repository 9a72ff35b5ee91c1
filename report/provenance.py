"""Where a PDF came from: the git commit and its date (never the wall clock), and whether the
tree differed from it (modified or untracked files, e.g. a new assignment not yet committed)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Source:
    commit: str
    epoch: int
    dirty: bool
    untracked: tuple[str, ...] = ()

    @property
    def date(self) -> str:
        return datetime.fromtimestamp(self.epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")

    @property
    def label(self) -> str:
        if not self.dirty:
            return self.commit[:12]
        if self.untracked:
            count = len(self.untracked)
            return (f"{self.commit[:12]} with uncommitted changes "
                    f"({count} untracked file{'s' if count > 1 else ''})")
        return self.commit[:12] + " with uncommitted changes"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def source_of(root: Path) -> Source:
    """The commit the tree is at; outside a git checkout, an 'unknown' source at epoch 0."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        epoch = int(_git(root, "log", "-1", "--format=%ct"))
        # Untracked files count: a report that is not in the commit was not built from it.
        # (.gitignore keeps build/ and .venv/ out of this list.)
        status = _git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
    except (OSError, subprocess.CalledProcessError, ValueError):
        return Source("unknown", 0, False)
    untracked = tuple(sorted(line[3:] for line in status if line.startswith("??")))
    return Source(commit, epoch, bool(status), untracked)
