"""Where a PDF came from: the git commit and its date (never the wall clock), whether the tree
differed from it (modified or untracked files, e.g. a new assignment not yet committed), and the
runs. The appendix shows one readable row per run; the full record goes to a JSON sidecar file.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
from collections.abc import Sequence
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


# -- the provenance appendix and its JSON sidecar -------------------------------------------
SEED_KEYS = ("seed", "split_seed", "seeds")
"""Configuration entries that are seeds: the appendix shows them in their own column."""


def _cut(text: str, limit: int) -> str:
    """`text`, or its beginning up to `limit` characters and an ellipsis: cut after the last
    whole clause that fits (at "; " or ", " outside brackets) when that keeps at least a third
    of the room, else after the last whole word."""
    if len(text) <= limit:
        return text
    depth, breaks = 0, {";": 0, ",": 0}
    for i, char in enumerate(text[: limit - 1]):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and char in breaks and text[i + 1 : i + 2] == " ":
            breaks[char] = i
    end = breaks[";"] if breaks[";"] >= limit / 3 else breaks[","]
    head = text[:end] if end >= limit / 3 else text[: limit - 1].rsplit(" ", 1)[0]
    return head.rstrip(",;: ") + "…"


def _settings(config: dict, limit: int = 70) -> str:
    """The non-seed settings of a configuration, `k=v` joined, cut at `limit` characters."""
    parts = [f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(config.items())
             if k not in SEED_KEYS]
    return _cut(", ".join(parts), limit) or "–"


def config_seeds(config: dict) -> list:
    """The seeds a configuration names, in order: `seed`, `split_seed`, then `seeds`."""
    return [config[k] for k in ("seed", "split_seed") if k in config] + list(
        config.get("seeds", []))


def _seeds(config: dict) -> str:
    """The configuration's seeds, a long run of them as a range (`seed_list`)."""
    # Imported here: report.numbers brings NumPy, which an up-to-date check never needs.
    from report.numbers import seed_list  # noqa: PLC0415

    return seed_list(config_seeds(config))


WHAT_CHARS = 110  # the longest description of an experiment the appendix prints


def _what(fn: object, limit: int = WHAT_CHARS) -> str:
    """The first sentence of an experiment function's docstring (as clean text): what it is.
    Of a partial, the docstring of the function it binds arguments to."""
    from report.cache import called  # noqa: PLC0415 (the up-to-date check needs none)
    from report.listings import clean_docstring  # noqa: PLC0415 (listings imports Pygments)

    fn = called(fn)[0]
    doc = inspect.getdoc(fn) or ""
    first = clean_docstring(doc.split("\n\n")[0].replace("\n", " ").strip())
    # A sentence ends at a full stop after a word: "x . w" (a product written out) does not.
    first = re.split(r"(?<=\S)\.\s", first)[0].rstrip(".")
    return _cut(first, limit) if first else getattr(fn, "__name__", "")


def provenance_rows(records: Sequence) -> list[dict[str, str]]:
    """One row per experiment record for the appendix: name, what (the experiment's own `what`,
    or its function's), key settings, seeds, key."""
    return [{"name": r.experiment.name, "what": _cut(r.experiment.what, WHAT_CHARS)
             if r.experiment.what else _what(r.experiment.fn),
             "settings": _settings(r.experiment.config), "seeds": _seeds(r.experiment.config),
             "key": r.key[:8]} for r in records]


def provenance_json(source: Source, records: Sequence) -> dict:
    """Everything the appendix summarises, in full: commit, and per experiment its function,
    configuration, data fingerprints, modules hashed into its key, and the key."""
    from report.cache import function_name  # noqa: PLC0415 (the up-to-date check needs none)

    return {
        "commit": source.commit, "date": source.date, "dirty": source.dirty,
        "experiments": [
            {"name": r.experiment.name,
             "function": function_name(r.experiment.fn),
             "config": r.experiment.config, "data": r.data, "modules": r.modules, "key": r.key}
            for r in records],
    }


def write_sidecar(path: Path, source: Source, records: Sequence) -> None:
    """Write `provenance_json` to `path` (build/<id>.provenance.json), renamed into place."""
    text = json.dumps(provenance_json(source, records), indent=2, sort_keys=True, default=str)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n")
    os.replace(tmp, tmp.with_name(path.name))
