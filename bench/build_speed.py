"""How long the build takes: a cold and a warm build of every report, into a temporary folder.

Cold: each report built in its own `build.py` process into a fresh build folder (empty cache),
one after another. Warm: the same again with nothing changed, then all reports in one process,
then one figure alone (`--figure`). For each build it prints the wall time and each step's share
of it (derive, run, plot, render, compile, read from the build log), the rest being start-up
(imports, hashing, reading the cache). A report whose build fails is shown with its last line.
Run: .venv/bin/python bench/build_speed.py [--config FILE] [--keep]  (a benchmark, not a test).
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("derive", "run", "plot", "render", "compile")
LINE = re.compile(r"^(\S+)\s+(derive|run|plot|figures|render|compile|total)\s+([\d.]+) s", re.M)


def build(args: list[str], build_dir: Path, config: Path) -> tuple[float, dict, int, str]:
    """Run build.py once: (wall seconds, {step: seconds}, exit status, last line of stderr)."""
    command = [sys.executable, str(ROOT / "build.py"), *args, "--build-dir", str(build_dir),
               "--config", str(config)]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    per: dict[tuple[str, str], float] = defaultdict(float)
    for report, name, seconds in LINE.findall(proc.stderr + proc.stdout):
        per[report, name] += float(seconds)
    steps: dict[str, float] = defaultdict(float)
    for (report, name), seconds in per.items():
        # Figures drawn in parallel: the step's wall time ("figures"), not the workers' sum.
        if name == "plot" and (report, "figures") in per:
            continue
        steps["plot" if name == "figures" else name] += seconds
    lines = (proc.stderr or proc.stdout).strip().splitlines()
    return wall, steps, proc.returncode, lines[-1] if lines else ""


def row(label: str, wall: float, steps: dict, status: int, last: str) -> str:
    """One line: wall time, then each step's share of it, then start-up's."""
    inside = sum(steps.get(s, 0.0) for s in STEPS)
    shares = "  ".join(f"{s} {steps.get(s, 0.0) / wall:4.0%}" for s in STEPS)
    text = f"  {label:22} {wall:7.2f} s  {shares}  start-up {max(wall - inside, 0) / wall:4.0%}"
    return text if status == 0 else f"{text}\n    FAILED (exit {status}): {last[:150]}"


def report_ids() -> list[str]:
    out = subprocess.run([sys.executable, str(ROOT / "build.py"), "--list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line and not line[0].isspace()]


def first_figure() -> str:
    out = subprocess.run([sys.executable, str(ROOT / "build.py"), "--list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    names = re.search(r"figures: ([\w-]+)", out)
    return names[1] if names else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "report.toml")
    parser.add_argument("--keep", action="store_true", help="keep the temporary build folder")
    parser.add_argument("reports", nargs="*", help="report ids (default: every report)")
    args = parser.parse_args()
    ids = args.reports or report_ids()
    folder = Path(tempfile.mkdtemp(prefix="nnreport-bench-"))
    try:
        totals = {}
        for phase in ("cold", "warm"):
            print(f"{phase}: one build.py process per report, in {folder}")
            total = 0.0
            for report in ids:
                wall, steps, status, last = build([report], folder, args.config)
                total += wall
                print(row(report, wall, steps, status, last))
            totals[phase] = total
            print(f"  {'sum':22} {total:7.2f} s")
        wall, steps, status, last = build(ids, folder, args.config)
        print("warm, all reports in one process:")
        print(row("all", wall, steps, status, last))
        figure = first_figure()
        if figure:
            wall, steps, status, last = build(["--figure", figure], folder, args.config)
            print(f"warm, one figure alone (--figure {figure}):")
            print(row(figure, wall, steps, status, last))
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
