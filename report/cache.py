"""Experiment results cached on disk with joblib.Memory, keyed by config, data and code.

joblib hashes the arguments of a call; we make the code part of those arguments. The code hash
covers the experiment function, the same-module definitions it reads (functions, classes,
constants, followed through each other), every project module it can reach through imports
anywhere in those sources or modules (function bodies included), the versions of the
numeric packages and NumPy's BLAS kernel. Where the reach cannot be known from the source
(`importlib`, `__import__`, `getattr` on a module, `globals()`, `exec`), the key covers every
project source file instead: rerunning too often is cheap, serving a stale result is not.
joblib writes each entry to a temporary name and renames it; an entry damaged anyway is
dropped and rerun.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import importlib.util
import inspect
import logging
import os
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("build")
ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("model", "derivations", "figures", "report")
# Packages whose version can change a number, a derivation's verdict or a figure's pixels.
NUMERIC_PACKAGES = ("numpy", "scipy", "sympy", "matplotlib", "scikit-learn")
# Names whose use makes the modules a piece of code reaches unknowable from its source.
DYNAMIC_NAMES = frozenset({"__import__", "import_module", "reload", "globals", "exec", "eval"})
# Folders under ROOT that hold no project source.
_NOT_SOURCE = (".venv", "build", ".git")
WHOLE_PROJECT = "<every project source file>"


@functools.cache
def package_versions() -> tuple[tuple[str, str], ...]:
    """(name, version) of every numeric package, and NumPy's BLAS kernel; part of every key."""
    versions = tuple((name, importlib.metadata.version(name)) for name in NUMERIC_PACKAGES)
    return (*versions, ("blas", blas_kernel()))


def blas_kernel() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version and the kernel it chose for this
    CPU (OpenBLAS's SkylakeX or Haswell, say, or the one OPENBLAS_CORETYPE forces). Kernels
    order a product's sums differently, so a float32 result computed under one differs in its
    last bits under another; a cache shared between machines must not serve it to the other."""
    import numpy as np  # its BLAS is loaded with it
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    # NumPy's wheel keeps its own OpenBLAS in numpy.libs (SciPy's another, in scipy.libs); a
    # system NumPy links the system's, the only one then.
    own = [i for i in blas if Path(i["filepath"]).parent.name.startswith(np.__name__)]
    return "; ".join(sorted(f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
                            for i in own or blas)) or "unknown"


def _is_project_file(path: Path) -> bool:
    try:
        rel = path.resolve().relative_to(ROOT)
    except ValueError:
        return False
    return rel.parts[0] not in _NOT_SOURCE and path.suffix == ".py"


@functools.cache
def _module_file(name: str) -> Path | None:
    """The source file of project module `name`; None for other modules and for attributes.

    Found on the file system, not with importlib.util.find_spec, which imports the parent
    packages (scikit-learn alone takes a second) just to say that `a.b.f` is no module.
    """
    parts = name.split(".") if name else []
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    roots = [ROOT, *(Path(p) for p in sys.path if p and _is_project_dir(Path(p)))]
    for root in roots:
        for path in (root.joinpath(*parts).with_suffix(".py"),
                     root.joinpath(*parts, "__init__.py")):
            if path.is_file():
                return path if _is_project_file(path) else None
    return None


def _is_project_dir(path: Path) -> bool:
    try:
        rel = path.resolve().relative_to(ROOT)
    except ValueError:
        return False
    return not rel.parts or rel.parts[0] not in _NOT_SOURCE


def _is_project_module(name: str | None) -> bool:
    return bool(name) and _module_file(name) is not None


def _absolute(node: ast.ImportFrom, package: str) -> str:
    base = node.module or ""
    if node.level:
        parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        base = f"{parent}.{base}" if base else parent
    return base


def _imports(tree: ast.AST, package: str) -> tuple[set[str], dict[str, set[str]], dict[str, str]]:
    """Imports anywhere in `tree`: (every module they run, name -> modules run to bind it,
    name -> what it is bound to)."""
    found: set[str] = set()
    binds: dict[str, set[str]] = {}
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                # `import a.b` runs a and a.b and binds `a`; `import a.b as c` binds a.b.
                mods = {".".join(parts[: i + 1]) for i in range(len(parts))}
                found |= mods
                binds.setdefault(alias.asname or parts[0], set()).update(mods)
                bound[alias.asname or parts[0]] = alias.name if alias.asname else parts[0]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            found.add(base)
            for alias in node.names:
                # `from model import layers` imports a submodule, not just a name.
                mods = {base, f"{base}.{alias.name}"}
                found |= mods
                binds.setdefault(alias.asname or alias.name, set()).update(mods)
                bound[alias.asname or alias.name] = f"{base}.{alias.name}"
    return found, binds, bound


def _is_dynamic(tree: ast.AST, module_names: set[str]) -> bool:
    """Does `tree` reach code in a way its source does not show? (`module_names`: the names
    bound to project modules, on which a `getattr` could reach anything.)"""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr == "modules"
                and isinstance(node.value, ast.Name) and node.value.id == "sys"):
            return True
        if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES:
            return True
        # importlib.import_module, builtins.exec, ...; but not an object's own attribute that
        # happens to share a name (a Jinja environment's `env.globals`).
        if (isinstance(node, ast.Attribute) and node.attr in DYNAMIC_NAMES
                and not (node.attr == "globals" and not (isinstance(node.value, ast.Name)
                                                        and node.value.id == "builtins"))):
            return True
        if isinstance(node, ast.ImportFrom) and any(a.name in DYNAMIC_NAMES for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "getattr" and node.args
                and isinstance(node.args[0], ast.Name) and node.args[0].id in module_names):
            return True
    return False


@dataclass(frozen=True)
class _ModuleInfo:
    tree: ast.Module
    imported: frozenset[str]
    binds: dict[str, set[str]]
    dynamic: bool


@functools.cache
def _parse(path: Path, stamp: tuple[int, int], package: str) -> _ModuleInfo:
    # `stamp` (size, mtime) is only part of the memo key, so an edited file is parsed afresh.
    tree = ast.parse(path.read_text(), str(path))
    imported, binds, bound = _imports(tree, package)
    module_names = {name for name, target in bound.items() if _is_project_module(target)}
    return _ModuleInfo(tree, frozenset(imported), binds, _is_dynamic(tree, module_names))


def _info(name: str, path: Path) -> _ModuleInfo:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    st = path.stat()
    return _parse(path, (st.st_size, st.st_mtime_ns), package)


def module_closure(names: set[str]) -> dict[str, Path]:
    """The given project modules and every project module they import, transitively.

    If any of them imports dynamically, the closure is every project source file (under the
    key WHOLE_PROJECT as well as their names).
    """
    closure: dict[str, Path] = {}
    todo = list(names)
    dynamic = False
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        path = _module_file(name)
        if path is None:
            continue
        closure[name] = path
        info = _info(name, path)
        dynamic |= info.dynamic
        todo.extend(m for m in info.imported if _is_project_module(m))
        # Importing a submodule runs its packages' __init__ files first.
        todo.extend(".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1))
    if dynamic:
        closure[WHOLE_PROJECT] = ROOT
    return closure


def project_files() -> list[Path]:
    """Every project source file: what a key covers when reach cannot be known."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        if Path(folder) == ROOT:  # .venv alone holds tens of thousands of files
            dirs[:] = [d for d in dirs if d not in _NOT_SOURCE]
        found.extend(Path(folder, f) for f in files if f.endswith(".py"))
    return sorted(found)


def _definitions(tree: ast.Module, source: str) -> tuple[dict[str, list[ast.stmt]], list[ast.stmt]]:
    """Top-level name -> the statements that bind it, and the statements that bind no name.

    Imports are left out here (they are followed as modules). Statements such as `if`, `for`
    or `X[0] = ...` at module level may change anything, so they are always part of the key.
    """
    named: dict[str, list[ast.stmt]] = {}
    always: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            named.setdefault(node.name, []).append(node)
            continue
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        if targets and all(isinstance(t, ast.Name | ast.Tuple | ast.List) for t in targets):
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            for name in names:
                named.setdefault(name, []).append(node)
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            always.append(node)  # a docstring alone changes nothing
    return named, always


_TEXTS: dict[Path, tuple[_ModuleInfo, tuple[str, list[str], dict, list]]] = {}


def _module_text(
    path: Path, info: _ModuleInfo
) -> tuple[str, list[str], dict[str, list[ast.stmt]], list[ast.stmt]]:
    """(source, its lines, `_definitions`) of a module, once per parse of the file.

    Keyed by the `_ModuleInfo` that `_info` returned for the file's current (size, mtime):
    an edited file is parsed again, gives a new info, and so its text is read again too.
    """
    kept = _TEXTS.get(path)
    if kept is None or kept[0] is not info:
        source = path.read_text()
        kept = _TEXTS[path] = (info, (source, source.splitlines(keepends=True),
                                      *_definitions(info.tree, source)))
    return kept[1]


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "".join(lines[first - 1 : node.end_lineno])


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def code_dependencies(fn: Callable) -> tuple[list[str], list[str]]:
    """(sources fn runs in its own module, project modules it reaches transitively).

    The sources are fn, the same-module definitions it reads (functions, classes, constants),
    followed through each other, and the module's top-level statements that bind no name.
    The modules are those its sources name or import (anywhere, function bodies included),
    closed over their own imports. WHOLE_PROJECT among them means every source file counts.
    """
    if isinstance(fn, functools.partial):
        return _partial_dependencies(fn)
    module = inspect.getmodule(fn)
    namespace = getattr(fn, "__globals__", None)
    code = getattr(fn, "__code__", None)
    path = Path(getattr(module, "__file__", None) or "")
    if module is None or namespace is None or code is None or not path.is_file():
        return [repr(fn)], [WHOLE_PROJECT]
    name = module.__name__
    if Path(code.co_filename).resolve() != path.resolve():
        # A wrapper (a decorator's inner function): what it calls is not in its own source.
        return [path.read_text(), code.co_filename], [WHOLE_PROJECT]
    info = _info(name, path)
    source, lines, named, always = _module_text(path, info)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    module_names = {n for n, v in namespace.items()
                    if isinstance(v, types.ModuleType) and _is_project_module(v.__name__)}
    sources: list[str] = []
    modules: set[str] = set()
    seen: set[str] = set()
    dynamic = False

    def add(node: ast.AST, text: str) -> None:
        nonlocal dynamic
        sources.append(text)
        imported, _, _ = _imports(node, package)
        modules.update(imported)
        dynamic |= _is_dynamic(node, module_names)
        todo.extend(sorted(_names_read(node)))

    todo: list[str] = []
    top = named.get(fn.__name__, [])
    if fn.__qualname__ == fn.__name__ and len(top) == 1:
        add(top[0], _segment(lines, top[0]))
    else:  # a lambda, a nested or a rebound function: the whole module counts
        add(info.tree, source)
    for node in always:
        add(node, _segment(lines, node))
    for cell in fn.__closure__ or ():
        bound_sources, bound_modules = _bound_dependencies(cell.cell_contents)
        sources.extend(bound_sources)
        modules.update(bound_modules)
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        modules.update(info.binds.get(ref, ()))
        for node in named.get(ref, []):
            add(node, _segment(lines, node))
        obj = namespace.get(ref)
        if isinstance(obj, types.ModuleType):
            modules.add(obj.__name__)
        elif getattr(obj, "__module__", name) != name:
            modules.add(obj.__module__)
    # Importing fn's module first runs its packages' __init__ files.
    parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    closure = module_closure(({m for m in modules if _is_project_module(m)} | parents) - {name})
    if dynamic:
        closure[WHOLE_PROJECT] = ROOT
    return sources, sorted(closure)


def _is_code(value: object) -> bool:
    return isinstance(value, (types.FunctionType, functools.partial))


def _bound_dependencies(value: object) -> tuple[list[str], list[str]]:
    """What a value bound to a function (a closure cell, a partial's argument) adds to its key:
    a function's own dependencies, followed as the function's are; any other value, its hash."""
    if _is_code(value):
        return code_dependencies(value)
    import joblib  # here, not at the top: report.uptodate reads this module's constants

    return [joblib.hash(value)], []


def _partial_dependencies(fn: functools.partial) -> tuple[list[str], list[str]]:
    """A function with arguments bound (`functools.partial(grid_arrays, train, picks=...)`):
    the function's dependencies, then each bound argument's, keywords by name."""
    sources, modules = code_dependencies(fn.func)
    modules = list(modules)
    bound = [(str(i), v) for i, v in enumerate(fn.args)] + sorted(fn.keywords.items())
    for name, value in bound:
        bound_sources, bound_modules = _bound_dependencies(value)
        sources += [f"<bound {name}>", *bound_sources]
        modules += bound_modules
    return sources, sorted(set(modules))


def called(fn: Callable) -> list[Callable]:
    """The functions a call of `fn` runs by name: fn itself, or for a partial its function and
    every function bound to it (for module names, e.g. what `--watch` must watch)."""
    if not isinstance(fn, functools.partial):
        return [fn]
    values = [fn.func, *fn.args, *fn.keywords.values()]
    return [f for value in values if _is_code(value) for f in called(value)]


def function_name(fn: Callable) -> str:
    """`module.qualname` of fn; a partial as its function and the functions bound to it,
    `report.sweep.grid_arrays(report.assignments.dl2023_a1.train_digits, ...)`."""
    first, *bound = (f"{f.__module__}.{f.__qualname__}" for f in called(fn))
    return f"{first}({', '.join([*bound, '...'])})" if isinstance(fn, functools.partial) else first


def _digest(sources: list[str], modules: list[str]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.encode())
    for name in modules:
        digest.update(name.encode())
        if name == WHOLE_PROJECT:
            for path in project_files():
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
        else:
            path = _module_file(name)
            digest.update(_file_bytes(path) if path else b"")
    digest.update(repr(package_versions()).encode())
    return digest.hexdigest()[:16]


@functools.cache
def _stamped_bytes(path: Path, stamp: tuple[int, int]) -> bytes:
    # `stamp` (size, mtime) is only part of the memo key, so an edited file is read afresh.
    return path.read_bytes()


def _file_bytes(path: Path) -> bytes:
    """A module file's bytes, read once per (size, mtime) within a process (keys hash many
    functions of the same modules)."""
    st = path.stat()
    return _stamped_bytes(path, (st.st_size, st.st_mtime_ns))


def file_list(paths: list[Path]) -> str:
    """`paths` for a message: comma-separated, relative to the project where they lie in it
    (a path found through a relative sys.path entry is resolved first)."""
    # Imported here: only a warning needs it, and report.compile loads jinja2 and pylatex.
    from report.compile import display

    return ", ".join(display(path, ROOT) for path in paths)


def edited_since_start(modules: list[str], started_ns: int | None = None) -> list[Path]:
    """The files behind `modules` (a key's module list) modified after `started_ns`.

    `started_ns` is when the process that computed the key began importing the project
    (`report.STARTED_NS` by default). An edit after that can leave the code that ran and the
    source that was hashed in two versions, in either order (imported before the edit and
    hashed after it, or hashed before it and imported by a worker after it), so a result
    whose key covers such a file must not be kept.
    """
    import report

    start = report.STARTED_NS if started_ns is None else started_ns
    paths: list[Path] = []
    for name in modules:
        if name == WHOLE_PROJECT:
            paths.extend(project_files())
        elif (path := _module_file(name)) is not None:
            paths.append(path)
    edited = []
    for path in paths:
        try:
            if path.stat().st_mtime_ns >= start:
                edited.append(path)
        except OSError:  # deleted meanwhile: edited as well
            edited.append(path)
    return edited


def code_hash(fn: Callable) -> tuple[str, list[str]]:
    """A short hash of everything `fn` runs, and the project modules that went into it."""
    sources, modules = code_dependencies(fn)
    return _digest(sources, modules), modules


@dataclass(frozen=True)
class Experiment:
    """One run: `fn(config)` returns picklable results; `data` names the data sets it reads.

    `fn` may be a `functools.partial` of a module-level function (a core sweep with the report's
    training function bound, say): the bound functions' code is part of its key like its own.
    `what` says in words what it runs, for the provenance appendix (default: the first
    sentence of fn's docstring).
    """

    name: str
    fn: Callable[[dict], Any]
    config: dict
    data: tuple[str, ...] = ()
    what: str | None = None

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


def _execute(fn: Callable[[dict], Any], config: dict, code: str, data: dict[str, str],
             folders: dict[str, Path | None]) -> Any:
    # `code` and `data` are unused here on purpose: they are part of joblib's key (`data` also
    # keys the points of any sweep the experiment runs, which the sweep caches on their own).
    # `folders` (where the data sets are) is not part of the key: `data` fingerprints their
    # content; the sweep hands them on to its workers.
    from model.data import mnist_folder
    from report import sweep

    with mnist_folder(folders.get("mnist")), sweep.keyed_by(data):
        return fn(config)


class ExperimentCache:
    """Runs experiments through a joblib.Memory store under `location`.

    `fingerprint(name)` identifies the content of data set `name`; `folders` says where the
    data sets are (passed to each run explicitly, never through the environment).
    """

    def __init__(self, location: Path, fingerprint: Callable[[str], str],
                 folders: dict[str, Path | None] | None = None):
        import joblib

        self.memory = joblib.Memory(location, verbose=0)
        self.fingerprint = fingerprint
        self.folders = folders or {}
        self._cached = self.memory.cache(_execute, ignore=["folders"])

    def run(self, experiment: Experiment, code: tuple[str, list[str]] | None = None) -> Record:
        """Run `experiment`, or load its result; `code` is its `code_hash`, if known already."""
        start = time.perf_counter()
        code_key, modules = code if code is not None else code_hash(experiment.fn)
        # Fingerprinted where the run reads them: the configured folder first, as the loader.
        from model.data import mnist_folder

        with mnist_folder(self.folders.get("mnist")):
            data = {name: self.fingerprint(name) for name in experiment.data}
        args = (experiment.fn, experiment.config, code_key, data, self.folders)
        cached = self._cached.check_call_in_cache(*args)
        shelved = self._cached.call_and_shelve(*args)
        try:
            result = shelved.get()
        except Exception as err:  # whatever the damage, the entry is unusable
            # A truncated or empty output.pkl (a full disk, a copy cut short) fails to load
            # here on every build unless it is dropped.
            where = Path(shelved.store_backend.location, shelved.func_id, shelved.args_id)
            log.warning("damaged cache entry %s (%s) dropped; re-running %s",
                        where, type(err).__name__, experiment.name)
            shelved.clear()
            cached = False
            shelved = self._cached.call_and_shelve(*args)
            result = shelved.get()
        if not cached and (edited := edited_since_start(modules)):
            # This build may have run one version of the code under the other's key: the
            # result serves this build only, and the next one runs the experiment again.
            shelved.clear()
            log.warning("%s changed during the build: the result of %s is not kept; build "
                        "again to run it on the code as it is now",
                        file_list(edited), experiment.name)
        return Record(
            experiment=experiment,
            result=result,
            key=shelved.args_id[:16],
            modules=modules,
            seconds=time.perf_counter() - start,
            cached=cached,
            data=data,
        )
