"""The front matter (who submits, with whom, their certification) and data locations, from TOML.

Every problem with the file is one line, `file:line: what is wrong`; keys the build does not know
are warned about (not fatal), naming the valid ones, so a typo never passes silently.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("build")

# The placeholders report.toml ships with; a build that still shows one of them is warned about.
PLACEHOLDER_NAME = "Student Name"
PLACEHOLDER_NUMBER = "s0000000"
PLACEHOLDER_GROUP = "Group 0"

# Longer names cannot be laid out on the title page (a 100-word "name" is a pasting accident).
MAX_NAME_CHARS = 120

FRONT_KEYS = ("names", "student_numbers", "group", "collaborators", "worked_alone",
              "certification")
VALID_KEYS: dict[str, tuple[str, ...]] = {"front": FRONT_KEYS, "data": ("mnist_dir",),
                                         "sweep": ("scheduler",)}


class ConfigError(Exception):
    """A config file that cannot be used; the message is `file:line: what is wrong`."""


@dataclass(frozen=True)
class Config:
    """What the title page shows, and where the data lie.

    `student_numbers` is empty or pairs with `names`; `worked_alone` and `collaborators` are
    exclusive (both unset means the submission says nothing about collaboration).
    """

    names: tuple[str, ...]
    group: str
    mnist_dir: Path | None
    student_numbers: tuple[str, ...] = ()
    collaborators: tuple[str, ...] = ()
    worked_alone: bool = False
    certification: str = ""
    # [sweep] scheduler: the address of a Dask scheduler that runs the sweeps' points.
    scheduler: str | None = None

    @property
    def authors(self) -> list[tuple[str, str]]:
        """(name, student number or "") pairs, in the order of `names`."""
        numbers = self.student_numbers or ("",) * len(self.names)
        return list(zip(self.names, numbers, strict=True))

    @property
    def paragraphs(self) -> list[str]:
        """The certification statement split at blank lines, as the student wrote it."""
        return [" ".join(p.split()) for p in re.split(r"\n\s*\n", self.certification)
                if p.strip()]

    @property
    def texts(self) -> list[str]:
        """Every string of the front matter, for choosing the fonts its scripts need."""
        return [*self.names, *self.student_numbers, self.group, *self.collaborators,
                self.certification]

    def placeholders(self) -> list[str]:
        """The fields that still hold report.toml's default placeholders."""
        found = []
        if any(PLACEHOLDER_NAME in name for name in self.names):
            found.append("names")
        if PLACEHOLDER_NUMBER in self.student_numbers:
            found.append("student_numbers")
        if self.group == PLACEHOLDER_GROUP:
            found.append("group")
        return found


def key_line(text: str, path: tuple[str, ...]) -> int | None:
    """The line on which the TOML key `path` (e.g. ("front", "names")) is defined, if found.

    tomllib reports no positions, so this follows table headers (`[a.b]`, `[[a]]`) and dotted
    keys line by line, skipping the insides of multi-line strings; it only locates, it never
    parses values.
    """
    table: tuple[str, ...] = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        stripped = line.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", stripped)
        if header:
            table = _split_key(header[1])
            if table == path:
                return number
            continue
        assign = re.match(r"^([A-Za-z0-9_\-\"'. ]+?)\s*=(.*)$", stripped)
        if not assign:
            continue
        full = table + _split_key(assign[1])
        if full == path or full[: len(path)] == path:
            return number
        for quote in ('"""', "'''"):
            if assign[2].count(quote) % 2 == 1:
                in_string = quote
    return None


def _split_key(key: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in key.split("."))


def load_config(path: Path) -> Config:
    """Read and check the config; every problem is reported as `file:line: message`."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config ({err.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # Python 3.11's TOMLDecodeError only carries the position inside its message.
        match = re.search(r"^(.*) \(at line (\d+), column \d+\)$", str(err))
        message, line = (match[1], match[2]) if match else (str(err), "1")
        raise ConfigError(f"{path}:{line}: {message}") from None
    return _Checker(path, text).check(data)


@dataclass
class _Checker:
    path: Path
    text: str

    def at(self, *key: str) -> str:
        """`file:line` of `key`, or of the nearest enclosing table that is written out."""
        for depth in range(len(key), 0, -1):
            line = key_line(self.text, key[:depth])
            if line is not None:
                return f"{self.path}:{line}"
        return f"{self.path}:1"

    def fail(self, key: tuple[str, ...], message: str) -> ConfigError:
        return ConfigError(f"{self.at(*key)}: {message}")

    def table(self, data: dict, name: str, required: bool) -> dict:
        value = data.get(name)
        if value is None and not required:
            return {}
        if value is None:
            raise self.fail((), f"missing table [{name}] with 'names' and 'group'")
        if not isinstance(value, dict):
            raise self.fail((name,), f"'{name}' must be a table ([{name}] with keys "
                                     f"{', '.join(VALID_KEYS[name])}), not {_kind(value)}")
        return value

    def strings(self, front: dict, key: str, *, required: bool) -> tuple[str, ...]:
        value = front.get(key, [] if not required else None)
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise self.fail(("front", key), f"[front] {key} must be a list of strings, "
                                             f"e.g. {key} = [\"...\"]")
        for i, item in enumerate(value, start=1):
            if not item.strip():
                raise self.fail(("front", key), f"[front] {key}: entry {i} is empty")
        return tuple(" ".join(v.split()) for v in value)

    def warn_unknown(self, data: dict) -> None:
        for key, value in data.items():
            if key not in VALID_KEYS:
                self.warn((key,), f"unknown table or key '{key}' (ignored)", VALID_KEYS)
            elif isinstance(value, dict):
                for sub in value:
                    if sub not in VALID_KEYS[key]:
                        self.warn((key, sub), f"unknown key '{sub}' in [{key}] (ignored)",
                                  VALID_KEYS[key])

    def warn(self, key: tuple[str, ...], message: str, valid) -> None:
        close = difflib.get_close_matches(key[-1], list(valid), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        log.warning("%s: warning: %s; valid: %s%s", self.at(*key), message, ", ".join(valid),
                    hint)

    def check(self, data: dict) -> Config:
        front = self.table(data, "front", required=True)
        self.warn_unknown(data)
        if "names" not in front:
            raise self.fail(("front",), "[front] names is missing, e.g. names = [\"Ada Lovelace\"]")
        names = self.strings(front, "names", required=True)
        if not names:
            raise self.fail(("front", "names"), "[front] names is empty; give at least one name")
        for name in names:
            if len(name) > MAX_NAME_CHARS:
                raise self.fail(("front", "names"), f"[front] names: a name of {len(name)} "
                                f"characters (at most {MAX_NAME_CHARS} fit the title page)")
        numbers = self.strings(front, "student_numbers", required=False)
        if numbers and len(numbers) != len(names):
            raise self.fail(("front", "student_numbers"),
                            f"[front] student_numbers has {len(numbers)} entries for "
                            f"{len(names)} names; give one per name, in the same order")
        group = front.get("group")
        if not isinstance(group, str):
            raise self.fail(("front", "group"), "[front] group must be a string")
        collaborators = self.strings(front, "collaborators", required=False)
        alone = front.get("worked_alone", False)
        if not isinstance(alone, bool):
            raise self.fail(("front", "worked_alone"), "[front] worked_alone must be true or "
                                                       "false")
        if alone and collaborators:
            raise self.fail(("front", "worked_alone"), "[front] worked_alone = true, but "
                                                       "collaborators are listed; keep one")
        certification = front.get("certification", "")
        if not isinstance(certification, str):
            raise self.fail(("front", "certification"),
                            "[front] certification must be a string (use \"\"\" for several "
                            "lines)")
        data_table = self.table(data, "data", required=False)
        mnist = data_table.get("mnist_dir")
        if mnist is not None and not isinstance(mnist, str):
            raise self.fail(("data", "mnist_dir"), "[data] mnist_dir must be a string (a folder)")
        mnist_dir = (self.path.parent / mnist).resolve() if mnist else None
        scheduler = self.table(data, "sweep", required=False).get("scheduler")
        if scheduler is not None and not isinstance(scheduler, str):
            raise self.fail(("sweep", "scheduler"), "[sweep] scheduler must be a string such "
                                                    "as \"tcp://host:8786\"")
        return Config(names, " ".join(group.split()), mnist_dir, numbers, collaborators, alone,
                      certification.strip(), scheduler)


def _kind(value: Any) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean",
            list: "a list"}.get(type(value), type(value).__name__)
