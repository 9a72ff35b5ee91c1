#!/usr/bin/env python3
"""Build the submission PDFs: derive, run, plot, render, compile.

Every equation is verified by SymPy, every number comes from a recorded experiment, and every
listing is cut from the code the tests run. Results are cached under build/cache, keyed by
configuration, data and code, so a rebuild with nothing changed takes seconds.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

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
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="FILE",
                        help="TOML file with the front matter: [front] names, group "
                             "(default: report.toml)")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build", metavar="DIR",
                        help="where PDFs, work files and the cache go (default: build/)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only print errors")
    return parser.parse_args(argv)


def setup_logging(build_dir: Path, quiet: bool) -> None:
    build_dir.mkdir(parents=True, exist_ok=True)
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


def main(argv: list[str] | None = None, reports: dict | None = None) -> int:
    """Run the CLI; `reports` replaces the registry (the tests build small reports this way)."""
    args = parse_args(argv)
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
    unknown = [rid for rid in args.reports if rid not in ids]
    if unknown:
        return fail(f"unknown report {unknown[0]!r}; valid ids: {', '.join(ids)}", 2)
    try:
        figures = assignments.figure_index(load_all()) if args.figure else {}
    except assignments.ReportModuleError as err:
        return fail(str(err))
    if args.figure and args.figure not in figures:
        return fail(f"unknown figure {args.figure!r}; valid names: {', '.join(figures)}", 2)

    from filelock import FileLock

    from report.config import ConfigError, load_config
    from report.pipeline import Builder

    try:
        config = load_config(args.config)
    except ConfigError as err:
        return fail(str(err))
    setup_logging(args.build_dir, args.quiet)
    log = logging.getLogger("build")
    lock = FileLock(args.build_dir / ".lock")
    if not _try(lock):
        log.info("another build is running in %s; waiting for it to finish", args.build_dir)
        lock.acquire()
    try:
        builder = Builder(args.build_dir.resolve(), config)
        if args.figure:
            report, figure = figures[args.figure]
            records = builder.run(report, report.needed_for(figure))
            builder.plot(report, records, only=figure.name)
            log.info("wrote %s", builder.figure_path(report, figure))
            return 0
        start = time.perf_counter()
        for rid in args.reports or ids:
            out = builder.build(load(rid), tex_only=args.tex_only)
            log.info("wrote %s", _rel(out))
        log.info("done in %.1f s", time.perf_counter() - start)
        return 0
    except user_errors() as err:
        return fail(str(err))
    finally:
        lock.release()


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is written for the user: shown as one line, no traceback."""
    from derivations import DerivationError
    from model.data import DataError
    from model.train import Diverged
    from report.compile import LatexError
    from report.pipeline import BuildError
    from report.registry import ReportModuleError

    return (BuildError, LatexError, DataError, Diverged, DerivationError, ReportModuleError)


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
