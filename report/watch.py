"""`build.py --watch`: rebuild whenever a file the chosen reports depend on changes.

Each rebuild is a fresh `build.py` process, so edited Python modules are imported anew (a
rebuild in this process would run the modules it imported first); its step log goes to the
terminal as usual, and the PDF is renamed into place, so a viewer reloads a complete file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import watchfiles

from report.cache import WHOLE_PROJECT, called, module_closure, project_files
from report.spec import Report

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def dependencies(reports: list[Report], config: Path) -> set[Path]:
    """Every file a build of `reports` reads: their modules and the project modules those
    import, the derivations, the build engine, the template folders and the config file."""
    modules = {"derivations", "report.pipeline"}
    for report in reports:
        modules.update(f.__module__ for item in (*report.experiments, *report.figures)
                       for f in called(item.fn))
        modules.update(fn.__module__ for fn in report.context_fns)
    closure = module_closure(modules)
    if WHOLE_PROJECT in closure:  # a module imports dynamically: every source file counts
        closure.pop(WHOLE_PROJECT)
        closure.update({str(path): path for path in project_files()})
    files = {path.resolve() for path in closure.values()}
    # A report module's student copy (`report.quote.student_copy`) is read at import.
    files.update(student for path in list(files)
                 if (student := path.with_suffix(".student.toml")).is_file())
    for report in reports:
        for folder in (*report.template_dirs, TEMPLATES):
            files.update(p.resolve() for p in Path(folder).rglob("*.j2"))
    files.add(config.resolve())
    return files


def _folders(files: set[Path]) -> list[Path]:
    """The smallest set of folders that holds every file (watchfiles watches recursively)."""
    folders = sorted({f.parent for f in files}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for folder in folders:
        if not any(folder.is_relative_to(k) for k in kept):
            kept.append(folder)
    return kept


def _mtimes(files: set[Path]) -> dict[Path, int]:
    """Each file's modification time (missing files as -1)."""
    return {f: f.stat().st_mtime_ns if f.exists() else -1 for f in files}


def watch(argv: list[str], reports: list[Report], config: Path) -> int:
    """Build once, then again after every change to a dependency, until Ctrl-C.

    "watching" is printed only once the file watcher is armed (its first, empty, timeout yield),
    and a file edited during the first build, before that, still triggers a rebuild.
    """
    command = [sys.executable, str(ROOT / "build.py"), *[a for a in argv if a != "--watch"]]
    files = dependencies(reports, config)
    try:
        before = _mtimes(files)
        subprocess.run(command, check=False)
        armed = False
        for changes in watchfiles.watch(*_folders(files), rust_timeout=200, yield_on_timeout=True,
                                        watch_filter=lambda _, path: Path(path) in files):
            if not armed:
                armed = True
                print(f"watching {len(files)} files; Ctrl-C stops", file=sys.stderr, flush=True)
                now = _mtimes(files)
                changes = changes | {(None, str(f)) for f in files if now[f] != before[f]}
            if not changes:
                continue
            changed = sorted({Path(path).name for _, path in changes})
            print(f"changed: {', '.join(changed)}; rebuilding", file=sys.stderr, flush=True)
            subprocess.run(command, check=False)
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    return 0
