"""Where a PDF came from: the git commit and its date (never the wall clock)."""

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

    @property
    def date(self) -> str:
        return datetime.fromtimestamp(self.epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")

    @property
    def label(self) -> str:
        return self.commit[:12] + (" with uncommitted changes" if self.dirty else "")


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def source_of(root: Path) -> Source:
    """The commit the tree is at; outside a git checkout, an 'unknown' source at epoch 0."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        epoch = int(_git(root, "log", "-1", "--format=%ct"))
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError, ValueError):
        return Source("unknown", 0, False)
    return Source(commit, epoch, dirty)
