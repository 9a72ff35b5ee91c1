"""Experiment results cached on disk with joblib.Memory, keyed by config, data and code.

joblib hashes the arguments of a call; we make the code part of those arguments. The code
hash covers the experiment function, the same-module helpers it calls, and every project
module it uses, followed transitively through their imports, so editing `model/layers.py`
invalidates exactly the runs that train with it. joblib writes each entry to a temporary
name and renames it, so a build killed mid-write never leaves a half-written entry.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("model", "derivations", "figures", "report")


def _is_project_module(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in PROJECT_PACKAGES


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ModuleNotFoundError, ValueError):  # `name` is an attribute, not a module
        return None
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imported_modules(path: Path, package: str) -> set[str]:
    """Project modules that the module at `path` imports (absolute and relative imports)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            # `from model import layers` imports a submodule, not just a name.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if _is_project_module(name)}


def module_closure(names: set[str]) -> dict[str, Path]:
    """The given project modules and every project module they import, transitively."""
    closure: dict[str, Path] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        path = _module_file(name)
        if path is None:
            continue
        closure[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo.extend(_imported_modules(path, package))
        # Importing a submodule runs its packages' __init__ files first.
        todo.extend(".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1))
    return closure


def _referenced_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _referenced_names(const)
    return names


def _top_level_assignments(module_source: str) -> dict[str, tuple[str, set[str]]]:
    """name -> (source of its top-level assignment, names that assignment reads)."""
    found: dict[str, tuple[str, set[str]]] = {}
    for node in ast.parse(module_source).body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets = [node.target]
        else:
            continue
        segment = ast.get_source_segment(module_source, node) or ""
        reads = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = (segment, reads)
    return found


def code_dependencies(fn: Callable) -> tuple[list[str], list[str]]:
    """(sources fn runs in its own module, project modules it uses transitively).

    The sources are fn, the same-module functions it calls and the module-level constants
    they read (a table of architectures, say), followed through each other.
    """
    home, namespace = fn.__module__, fn.__globals__
    assignments = _top_level_assignments(inspect.getsource(inspect.getmodule(fn)))
    sources: list[str] = []
    modules: set[str] = set()
    seen: set[str] = set()
    todo: list[str] = []

    def add_function(func: types.FunctionType) -> None:
        sources.append(inspect.getsource(func))
        todo.extend(sorted(_referenced_names(func.__code__)))

    add_function(fn)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        obj = namespace.get(name)
        if isinstance(obj, types.ModuleType):
            if _is_project_module(obj.__name__):
                modules.add(obj.__name__)
            continue
        owner = getattr(obj, "__module__", None)
        if owner == home and isinstance(obj, types.FunctionType):
            if obj is not fn:
                add_function(obj)
        elif _is_project_module(owner) and owner != home:
            modules.add(owner)
        elif name in assignments:
            source, reads = assignments[name]
            sources.append(source)
            todo.extend(sorted(reads))
    return sources, sorted(module_closure(modules))


def code_hash(fn: Callable) -> tuple[str, list[str]]:
    """A short hash of everything `fn` runs, and the project modules that went into it."""
    sources, modules = code_dependencies(fn)
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.encode())
    for name in modules:
        path = _module_file(name)
        digest.update(name.encode())
        digest.update(path.read_bytes() if path else b"")
    return digest.hexdigest()[:16], modules


@dataclass(frozen=True)
class Experiment:
    """One run: `fn(config)` returns picklable results; `data` names the data sets it reads."""

    name: str
    fn: Callable[[dict], Any]
    config: dict
    data: tuple[str, ...] = ()

    @property
    def seed(self) -> int | None:
        return self.config.get("seed")


@dataclass
class Record:
    """The result of an experiment plus what a reader needs to trace it."""

    experiment: Experiment
    result: Any
    key: str
    modules: list[str]
    seconds: float
    cached: bool
    data: dict[str, str] = field(default_factory=dict)


def _execute(fn: Callable[[dict], Any], config: dict, code: str, data: dict[str, str]) -> Any:
    # `code` is unused here on purpose: it is part of joblib's key. `data` also keys the points
    # of any sweep the experiment runs, which the sweep caches on their own.
    from report import sweep

    with sweep.keyed_by(data):
        return fn(config)


class ExperimentCache:
    """Runs experiments through a joblib.Memory store under `location`."""

    def __init__(self, location: Path, fingerprint: Callable[[str], str]):
        self.memory = joblib.Memory(location, verbose=0)
        self.fingerprint = fingerprint
        self._cached = self.memory.cache(_execute)

    def run(self, experiment: Experiment) -> Record:
        code, modules = code_hash(experiment.fn)
        data = {name: self.fingerprint(name) for name in experiment.data}
        args = (experiment.fn, experiment.config, code, data)
        cached = self._cached.check_call_in_cache(*args)
        start = time.perf_counter()
        shelved = self._cached.call_and_shelve(*args)
        result = shelved.get()
        return Record(
            experiment=experiment,
            result=result,
            key=shelved.args_id[:16],
            modules=modules,
            seconds=time.perf_counter() - start,
            cached=cached,
            data=data,
        )
