#!/usr/bin/env python3
"""Build the submission PDFs: derive, run, plot, render, compile.

Every equation is verified by SymPy, every number comes from a recorded experiment, and every
listing is cut from the code the tests run. Results are cached under build/cache, keyed by
configuration, data and code, so a rebuild with nothing changed takes seconds.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from report import uptodate

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "report.toml"

EPILOG = """\
examples:
  python build.py                      build every report into build/<id>.pdf
  python build.py dl2023-a1            build one report
  python build.py --list               list report ids and figure names
  python build.py --figure gd_path_b   redraw one figure (build/<id>/figures/NAME.pdf) only
  python build.py --tex-only           write build/<id>/tex/<id>.tex, do not run LaTeX
  python build.py --config me.toml     take names and group from me.toml (see report.toml)
  python build.py --claims dl2023-a1   list the report's claims beside their sentences, and the
                                       explanations ("because", "so", ...) that have none
  python build.py dl2023-a1 --jobs 4   run sweep points in 4 processes (default: every core)
  python build.py --scheduler tcp://host:8786   run sweep points on a Dask cluster
  python build.py demo --watch         rebuild demo whenever a file it depends on changes
  python build.py new ID               write a skeleton report ID that builds at once

Run times of every step go to the terminal and to build/build.log, never into the PDF.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("reports", nargs="*", metavar="REPORT",
                        help="report ids to build (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list report ids and figure names")
    parser.add_argument("--figure", metavar="NAME",
                        help="regenerate only this figure (its experiments come from the cache)")
    parser.add_argument("--tex-only", action="store_true",
                        help="stop after writing the .tex files (no TeX needed)")
    parser.add_argument("--claims", nargs="?", const="", metavar="ID",
                        help="list every claim of report ID (default: of every report) with the "
                             "sentence it guards and whether it held; exit 1 if one did not")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="FILE",
                        help="TOML file with the front matter: [front] names, group "
                             "(default: report.toml)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build", metavar="DIR",
                        help="where PDFs, work files and the cache go (default: build/)")
    parser.add_argument("-j", "--jobs", type=_positive, default=None, metavar="N",
                        help="worker processes for experiment sweeps (default: every core)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run sweep points on this Dask scheduler (e.g. tcp://host:8786; "
                             "needs the dask extra); default: [sweep] scheduler of --config")
    parser.add_argument("--watch", action="store_true",
                        help="rebuild whenever a file the reports depend on changes (Ctrl-C stops)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def setup_logging(build_dir: Path, quiet: bool) -> None:
    # On a full disk the log file cannot be written either; the build's own error line says
    # so, without logging's "--- Logging error ---" tracebacks around it.
    logging.raiseExceptions = False
    log = logging.getLogger("build")
    log.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING if quiet else logging.INFO)
    console.setFormatter(logging.Formatter("%(message)s"))
    file = logging.FileHandler(build_dir / "build.log")
    file.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(console)
    log.addHandler(file)


def fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


INTERRUPTED = 130  # the shell's exit status for a process stopped by SIGINT (128 + 2)


def main(argv: list[str] | None = None, reports: dict | None = None) -> int:
    """Run the CLI; `reports` replaces the registry (the tests build small reports this way)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["new"]:
        from report.skeleton import main as new

        return new(argv[1:])
    args = parse_args(argv)
    try:
        return _main(args, reports, argv)
    except KeyboardInterrupt:
        # Cache entries and PDFs are only ever replaced by atomic renames, so an interrupted
        # build has lost nothing but the step it was in.
        print("interrupted: finished experiments stay cached and the previous PDFs are "
              "unchanged; run the build again to continue", file=sys.stderr)
        return INTERRUPTED


def _main(args: argparse.Namespace, reports: dict | None, argv: list[str]) -> int:
    from report import registry as assignments

    if reports is None:
        ids, load, load_all = assignments.report_ids(), assignments.load, assignments.all_reports
    else:
        ids, load, load_all = list(reports), reports.__getitem__, lambda: reports
    if args.list:
        try:
            listed = load_all()
        except assignments.ReportModuleError as err:
            return fail(str(err))
        for report in listed.values():
            names = ", ".join(f.name for f in report.figures) or "(none)"
            print(f"{report.id:14} {report.title}\n{'':14} figures: {names}")
        return 0
    if args.claims:
        args.reports = [*args.reports, args.claims]
    unknown = [rid for rid in args.reports if rid not in ids]
    if unknown:
        return fail(f"unknown report {unknown[0]!r}; valid ids: {', '.join(ids)}", 2)
    try:
        figures = _figures(args.figure, load, load_all,
                           (lambda name: assignments.figure_owners(name, args.build_dir))
                           if reports is None else None)
    except assignments.ReportModuleError as err:
        return fail(str(err))
    if args.figure and args.figure not in figures:
        return fail(f"unknown figure {args.figure!r}; valid names: {', '.join(figures)}", 2)

    from filelock import FileLock

    from report.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as err:
        return fail(str(err))
    if args.watch:
        from report.watch import watch

        return watch(argv, [load(rid) for rid in args.reports or ids], args.config)
    try:
        _prepare_build_dir(args.build_dir)
        setup_logging(args.build_dir, args.quiet)
    except OSError as err:
        return fail(disk_error(err, args.build_dir))
    log = logging.getLogger("build")
    lock = FileLock(args.build_dir / ".lock")
    if not _try(lock):
        log.info("another build is running in %s; waiting for it to finish", args.build_dir)
        lock.acquire()
    try:
        return _build(args, config, ids, load, figures, shortcut=reports is None)
    except user_errors() as err:
        return fail(str(err))
    except OSError as err:
        if err.errno not in DISK_ERRNOS:
            raise
        return fail(disk_error(err, args.build_dir))
    finally:
        lock.release()


def _figures(name: str | None, load, load_all, owners) -> dict:
    """The figure index `--figure NAME` needs: that of the report the figure's name is found in
    by reading the report modules and the build folder (`owners`), importing only it; every
    report's otherwise."""
    from report.registry import figure_index

    if name is None:
        return {}
    found = owners(name) if owners is not None else []
    if len(found) == 1:
        index = figure_index({found[0]: load(found[0])})
        if name in index:
            return index
    return figure_index(load_all())


def _build(args: argparse.Namespace, config, ids: list[str], load, figures: dict,
           shortcut: bool = False) -> int:
    """Build what was asked for; with `shortcut`, a report whose last build is still current
    (report/uptodate.py) is not built again, and the build engine is imported only if needed."""
    log = logging.getLogger("build")
    if args.figure or args.claims is not None:
        with _builder(args, config) as builder:
            if args.claims is not None:
                return list_claims(builder, [load(rid) for rid in args.reports or ids])
            report, figure = figures[args.figure]
            records = builder.run(report, report.needed_for(figure))
            builder.plot(report, records, only=figure.name)
            log.info("wrote %s", builder.figure_path(report, figure))
            return 0
    start = time.perf_counter()
    digest = _inputs_digest(args, config) if shortcut else None
    wanted = args.reports or ids
    todo = []
    for rid in wanted:
        stamp = uptodate.current(args.build_dir, rid, args.tex_only, digest) if digest else None
        if stamp is None:
            todo.append(rid)
            continue
        for level, message in stamp.messages:
            log.log(level, "%s", message)
        log.info("%-14s current: no input changed since its last build", rid)
        log.info("wrote %s", _rel(Path(stamp.product)))
    if shortcut and len(todo) > 1 and _jobs(args) > 1:
        from report.registry import estimated_seconds  # `shortcut`: the registry's reports

        todo = longest_first(todo, (args.build_dir, ROOT / "build"), args.tex_only,
                             estimated_seconds)
        # Reports side by side, one worker process each: one report's serial steps (LaTeX, a
        # lone experiment, imports) fill the core that the other's sweep leaves idle.
        for out in _build_in_parallel(args, config, todo, digest):
            log.info("wrote %s", _rel(out))
    elif todo:
        with _builder(args, config) as builder:
            for rid in todo:
                log.info("wrote %s", _rel(_build_report(builder, args, load(rid), digest)))
    log.info("done in %.1f s", time.perf_counter() - start)
    return 0


def longest_first(ids: list[str], build_dirs: tuple[Path, ...], tex_only: bool,
                  estimate: Callable[[str], float | None] = lambda rid: None) -> list[str]:
    """`ids` in the order to start them side by side: longest first, so that no long report is
    left to run alone at the end. A report's length is that of its last build in the first of
    `build_dirs` that has one: a fresh `--build-dir` (a benchmark's, a CI's) learns it from the
    project's own build/. Never built anywhere (a fresh clone), it is `estimate(id)`, the
    report's own `cold_seconds`; with neither it counts as longest. Ties keep their order."""

    def last(rid: str) -> float:
        for build_dir in build_dirs:
            seconds = uptodate.last_seconds(build_dir, rid, tex_only)
            if seconds is not None:
                return seconds
        guess = estimate(rid)
        return float("inf") if guess is None else guess

    return sorted(ids, key=lambda rid: -last(rid))


def _build_report(builder, args: argparse.Namespace, report, digest: str | None) -> Path:
    """Build one report; with a `digest` of the inputs taken before, stamp it when done."""
    start = time.perf_counter()
    if digest:
        uptodate.forget(args.build_dir, report.id, args.tex_only)
    out = builder.build(report, tex_only=args.tex_only)
    if digest:
        uptodate.record(args.build_dir, report.id, args.tex_only, digest, out,
                        builder.template_dirs(report), builder.outputs(report, args.tex_only),
                        builder.notes.get(report.id, []), time.perf_counter() - start)
    return out


def _jobs(args: argparse.Namespace) -> int:
    import joblib

    return args.jobs or joblib.cpu_count()


def _build_in_parallel(args: argparse.Namespace, config, ids: list[str],
                       digest: str | None) -> Iterator[Path]:
    """Build `ids` in two worker processes (each still runs its sweeps and figures in `--jobs`
    processes); the PDFs' paths in the order of `ids`.

    The workers are forked: they start with this process's modules, logging and settings (a
    test driver's stand-ins included), and they exit when it dies.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from report.workers import CoreShare, report_worker

    _preload(ids)
    context = multiprocessing.get_context("fork")
    share = CoreShare(_jobs(args), len(ids), context)
    with ProcessPoolExecutor(max_workers=min(2, len(ids)), mp_context=context,
                             initializer=report_worker, initargs=(os.getpid(), share)) as pool:
        futures = [pool.submit(build_one_in_worker, args, config, rid, digest, place)
                   for place, rid in enumerate(ids)]
        try:
            for future in futures:
                yield future.result()
        except BaseException:
            # A failed report (or Ctrl-C) ends the build now: the reports not started are not
            # built, and the one still running is stopped rather than waited for (Python 3.11
            # has no public call for this; its sweep workers follow, see report/workers.py).
            for future in futures:
                future.cancel()
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            raise


def _preload(ids: list[str]) -> None:
    """Import, once, what every report worker imports: the build engine, SymPy's derivations,
    pyplot and the figure style, and the reports' modules. The workers are forked, so they start
    with these instead of each paying for the same imports (about a CPU-second a report).
    A report module that fails to import is left to its worker, which reports the error."""
    import matplotlib.pyplot  # noqa: F401  (drawing in the report's own process)

    import derivations
    import figures.common
    import report.pipeline  # noqa: F401
    from report.registry import ReportModuleError, load

    for rid in ids:
        try:
            load(rid)
        except ReportModuleError:
            pass
    figures.common.warm_up()  # fonts, mathtext and the PDF writer, for every forked worker
    # After the reports, which may register derivations of their own (that empties the cache).
    try:
        derivations.names()  # builds every derivation once (each derive step looks them up)
    except Exception:  # a broken builder: left to the derive step, which names it
        pass


def build_one_in_worker(args: argparse.Namespace, config, report_id: str,
                        digest: str | None, place: int | None = None) -> Path:
    """A worker's part of `_build_in_parallel`: one report, with one BLAS thread (processes,
    not threads, fill the cores), an engine of its own and its share of the processes (`place`:
    its position in the start order)."""
    from joblib.externals.loky import reusable_executor
    from threadpoolctl import threadpool_limits

    from report import workers
    from report.registry import load

    share = workers.SHARE
    try:
        with (threadpool_limits(1, user_api="blas"), share.building(place),
              _builder(args, config, jobs=share.jobs) as builder):
            return _build_report(builder, args, load(report_id), digest)
    finally:
        # A worker process waits for its children when it exits: the sweeps' and figures' idle
        # joblib workers would hold it (and the build) for their five-minute idle timeout. And
        # it exits without atexit hooks, so joblib's own `terminate` must remove its /dev/shm
        # folders (else loky's tracker does, warning). joblib keeps that executor privately.
        executor = getattr(reusable_executor, "_executor", None)
        if executor is not None:
            getattr(executor, "terminate", executor.shutdown)(kill_workers=True)


@contextmanager
def _builder(args: argparse.Namespace, config, jobs=None) -> Iterator:
    """The build engine (imported here: a build with nothing to do never loads it); `jobs`
    gives the processes its steps may use now (see `report.workers.CoreShare`)."""
    from report import sweep
    from report.pipeline import Builder
    from report.workers import workers_die_with_build

    sweep.configure(jobs=args.jobs, scheduler=args.scheduler or config.scheduler,
                    location=args.build_dir.resolve() / "cache" / "points")
    with workers_die_with_build():
        yield Builder(args.build_dir.resolve(), config, jobs)


def _inputs_digest(args: argparse.Namespace, config) -> str | None:
    """The digest of the build's inputs, taken before it starts; None if one cannot be read."""
    try:
        return uptodate.inputs_digest(args.build_dir, args.config, config.mnist_dir,
                                      args.tex_only)
    except OSError:
        return None


# What the machine, not the program, is to blame for: a full disk, a read-only or foreign
# folder, a path through a file.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
               errno.ENOTDIR, errno.EEXIST, errno.EISDIR}


def _prepare_build_dir(build_dir: Path) -> None:
    """Create the build directory and prove it writable before any work is done."""
    if build_dir.exists() and not build_dir.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(build_dir))
    build_dir.mkdir(parents=True, exist_ok=True)
    probe = build_dir / f".write-test-{os.getpid()}"
    try:
        probe.touch()
    finally:
        probe.unlink(missing_ok=True)


def disk_error(err: OSError, build_dir: Path) -> str:
    """One line for an OSError the user can fix: what failed, on which path, what to do."""
    where = f" {err.filename}" if err.filename else ""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return (f"no space left on the device of{where or ' ' + str(build_dir)}; free some "
                f"space (the experiment cache is {build_dir / 'cache'}) or pass --build-dir "
                "DIR on another disk, then run the build again")
    if err.errno in (errno.ENOTDIR, errno.EEXIST):
        return (f"{err.filename or build_dir}: {err.strerror.lower()}; a file stands where the "
                "build needs a folder: remove it or pass --build-dir DIR")
    return (f"cannot write{where}: {err.strerror}; make {build_dir} writable or pass "
            "--build-dir DIR")


def list_claims(builder, reports: list) -> int:
    """Print each report's claims (held or not, where, the sentence) and its unguarded
    explanations; 1 if any claim is contradicted by the results."""
    from report.prose import unguarded_sentences

    failed = 0
    for report in reports:
        claims = builder.claims(report)
        bad = [c for c in claims if not c.holds]
        failed += len(bad)
        print(f"{report.id}: {len(claims)} claims, {len(bad)} contradicted")
        for c in claims:
            label = f"[{c.id}] " if c.id else ""
            print(f"  {'held  ' if c.holds else 'FAILED'}  {c.where}  {label}{c.sentence}")
        for path in builder.template_paths(report):
            loose = unguarded_sentences(path.read_text())
            if loose:
                print(f"  explanations without a claim ({len(loose)}):")
            for u in loose:
                print(f"  none    {_rel(path)}:{u.line}  ({u.word}) {u.sentence}")
    return 1 if failed else 0


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is written for the user: shown as one line, no traceback."""
    from derivations import DerivationError
    from model.data import DataError
    from model.train import Diverged
    from report.compile import LatexError
    from report.pipeline import BuildError
    from report.registry import ReportModuleError
    from report.sweep import SweepError

    return (BuildError, LatexError, DataError, Diverged, DerivationError, ReportModuleError,
            SweepError)


def _try(lock) -> bool:
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
        return True
    except Timeout:
        return False


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
