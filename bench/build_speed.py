"""How long the build takes: a cold and a warm build of every report, into a temporary folder.

Cold: every report in one `build.py` process (as `make pdf` runs them) into a fresh build
folder, empty cache. Warm, each `--repeat` times (min and median): the same with nothing
changed; one report alone; the same report with its up-to-date stamp removed (what a rebuild
costs after an edit the caches do not key on, a template's wording say: every step runs, from
the caches); one figure alone (`--figure`). For each it prints the wall time, the CPU time of
the processes (on a loaded machine the steadier number), and per report each step's seconds
(derive, run, plot, render, compile, read from the build log) and share of that report's total,
with the step's CPU seconds (of the report's process and the children it waited for: the TeX
engine, figure workers; joblib's sweep workers count only in the build's CPU line).
Reports built side by side overlap, so their totals add up to more than the wall time.
A build that fails is shown with its last line.
Run: .venv/bin/python bench/build_speed.py [--config FILE] [--repeat N] [--keep] [IDS...]
(a benchmark, not a test; the cold build takes minutes).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("derive", "run", "plot", "render", "compile")
# A step's own line (wall, then CPU: the report's process and the children it waited for) or
# one item's (a derivation, an experiment, a figure: wall only).
LINE = re.compile(r"^(\S+)\s+(derive|derived|run|ran|plot|figures|render|compile|total)\s+"
                  r"([\d.]+) s(?:  cpu\s+([\d.]+) s)?", re.M)
SUMMARY = {"derived": "derive", "ran": "run", "figures": "plot"}  # step line -> its items'


def build(args: list[str], build_dir: Path, config: Path) -> tuple[float, float, dict, int, str]:
    """Run build.py once: (wall s, CPU s of it and its workers, {report: {step: s, "cpu " +
    step: CPU s}}, exit status, last line of its output)."""
    command = [sys.executable, str(ROOT / "build.py"), *args, "--build-dir", str(build_dir),
               "--config", str(config)]
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    per: dict[tuple[str, str], float] = defaultdict(float)
    for report, name, seconds, step_cpu in LINE.findall(proc.stderr + proc.stdout):
        per[report, name] += float(seconds)
        if step_cpu:
            per[report, "cpu " + SUMMARY.get(name, name)] += float(step_cpu)
    steps: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (report, name), seconds in per.items():
        # A step's own line gives its wall time; its items' (figures drawn in parallel) add
        # up to more. Builds without step lines (older ones) fall back to the items' sum.
        if name in SUMMARY.values() and (report, next(k for k, v in SUMMARY.items()
                                                      if v == name)) in per:
            continue
        steps[report][SUMMARY.get(name, name)] += seconds
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return wall, cpu, steps, proc.returncode, lines[-1] if lines else ""


def show(label: str, runs: list[tuple[float, float, dict, int, str]]) -> None:
    """One line of wall and CPU time (min and median over the runs), then one per report of the
    first run: its total and each step's seconds and share of it."""
    walls = [r[0] for r in runs]
    cpus = [r[1] for r in runs]
    spread = (f"min {min(walls):6.2f} s  median {statistics.median(walls):6.2f} s"
              if len(runs) > 1 else f"{walls[0]:6.2f} s")
    print(f"  {label:34} wall {spread}  cpu {min(cpus):6.2f} s  ({len(runs)} run"
          f"{'s' if len(runs) > 1 else ''})")
    _, _, steps, status, last = runs[0]
    for report, times in sorted(steps.items()):
        total = times.get("total") or sum(times.get(s, 0.0) for s in STEPS)
        parts = "  ".join(f"{s} {times.get(s, 0.0):6.2f} s {times.get(s, 0.0) / total:4.0%} "
                          f"(cpu {times.get('cpu ' + s, 0.0):6.2f})"
                          for s in STEPS) if total else ""
        print(f"    {report:14} total {total:6.2f} s (cpu {times.get('cpu total', 0.0):6.2f})  "
              f"{parts}")
    for run in runs:
        if run[3] != 0:
            print(f"    FAILED (exit {run[3]}): {run[4][:150]}")
            break
    if status == 0 and not steps:
        print("    (no step ran: every report was current)")


def listing() -> str:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--list"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout


def blas() -> str:
    """The BLAS libraries and kernels threadpoolctl reports in a fresh interpreter of the
    build's, with the build's environment (report workers then limit each to one thread)."""
    return subprocess.run([sys.executable, str(ROOT / "bench" / "blas.py")], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "report.toml")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each warm build")
    parser.add_argument("--keep", action="store_true", help="keep the temporary build folder")
    parser.add_argument("reports", nargs="*", help="report ids (default: every report)")
    args = parser.parse_args()
    listed = listing()
    ids = args.reports or [line.split()[0] for line in listed.splitlines()
                           if line and not line[0].isspace()]
    figure = re.search(r"figures: ([\w-]+)", listed)
    folder = Path(tempfile.mkdtemp(prefix="nnreport-bench-"))
    print(f"build folder {folder}; {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"BLAS: {blas()}")
    try:
        print("cold: every report in one build.py process, empty cache")
        show("all", [build(ids, folder, args.config)])
        print("warm: nothing changed")
        show("all", [build(ids, folder, args.config) for _ in range(args.repeat)])
        show(ids[0], [build([ids[0]], folder, args.config) for _ in range(args.repeat)])
        runs = []
        for _ in range(args.repeat):
            for stamp in (folder / ids[0]).glob("current*.json"):
                stamp.unlink()
            runs.append(build([ids[0]], folder, args.config))
        show(f"{ids[0]}, stamp removed", runs)
        if figure:
            show(f"--figure {figure[1]}", [build(["--figure", figure[1]], folder, args.config)
                                           for _ in range(args.repeat)])
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
