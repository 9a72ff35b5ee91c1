"""The front matter (names, group) and data locations, read from a TOML file."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """A config file that cannot be used; the message is `file:line: what is wrong`."""


@dataclass(frozen=True)
class Config:
    names: tuple[str, ...]
    group: str
    mnist_dir: Path | None
    # [sweep] scheduler: the address of a Dask scheduler that runs the sweeps' points.
    scheduler: str | None = None


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith(needle):
            return number
    return 1


def load_config(path: Path) -> Config:
    """Read and check the config; every problem is reported as `file:line: message`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config ({err.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # Python 3.11's TOMLDecodeError only carries the position inside its message.
        match = re.search(r"^(.*) \(at line (\d+), column \d+\)$", str(err))
        message, line = (match[1], match[2]) if match else (str(err), "1")
        raise ConfigError(f"{path}:{line}: {message}") from None
    front = data.get("front")
    if not isinstance(front, dict):
        raise ConfigError(f"{path}:1: missing table [front] with 'names' and 'group'")
    line = _line_of(text, "[front]")
    names = front.get("names")
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        raise ConfigError(
            f"{path}:{_line_of(text, 'names') if 'names' in front else line}: "
            "[front] names must be a non-empty list of strings"
        )
    group = front.get("group")
    if not isinstance(group, str):
        raise ConfigError(
            f"{path}:{_line_of(text, 'group') if 'group' in front else line}: "
            "[front] group must be a string"
        )
    mnist = data.get("data", {}).get("mnist_dir")
    mnist_dir = (path.parent / mnist).resolve() if isinstance(mnist, str) else None
    scheduler = data.get("sweep", {}).get("scheduler")
    if scheduler is not None and not isinstance(scheduler, str):
        raise ConfigError(f"{path}:{_line_of(text, 'scheduler')}: [sweep] scheduler must be a "
                          "string such as \"tcp://host:8786\"")
    return Config(tuple(names), group, mnist_dir, scheduler)
