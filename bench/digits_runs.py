"""CPU cost of the digits training experiments of dl2023-a1 and dl2024-a1, one by one.

Runs each experiment that trains on the digits (every point of its sweep, nothing cached: the
per-point cache would share points between experiments, as a build does) in this process on one
BLAS thread, `--repeats` times in turns, and prints its CPU seconds (`time.process_time`, since
wall time on a shared machine says little), min and median.
Run: .venv/bin/python bench/digits_runs.py [--repeats 3] [--only dl2024-a1.sweep ...]
(a benchmark, not a test).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

# The script lives in bench/; make the repository importable however it is started.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import sweep  # noqa: E402
from report.assignments import dl2023_a1, dl2024_a1  # noqa: E402

# Every experiment of both reports that trains on the digits, by its function and config.
EXPERIMENTS = {f"{report.id}.{e.name}": (e.fn, e.config)
               for report in (dl2023_a1.REPORT, dl2024_a1.REPORT) for e in report.experiments
               if e.name in ("sweep", "tuned", "variants", "zero_init", "student_training")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=sorted(EXPERIMENTS), default=None)
    args = parser.parse_args()
    names = args.only or list(EXPERIMENTS)
    # --jobs 1 runs every point in this process, so process_time sees all of it; no location
    # means no cache, so each experiment runs all of its points.
    sweep.configure(jobs=1)
    times: dict[str, list[float]] = {name: [] for name in names}
    with threadpool_limits(1, user_api="blas"):
        # The first run of a process loads the digits and imports the diagnostics: not timed.
        dl2024_a1.train_digits({"arch": "64-1", "epochs": 1, "lr": 0.1, "mb": 10, "seed": 0})
        dl2023_a1.train_digits({"arch": "64-1", "epochs": 1, "lr": 0.01, "mb": 10, "seed": 0})
        for _ in range(args.repeats):
            for name in names:
                fn, config = EXPERIMENTS[name]
                start = time.process_time()
                fn(config)
                times[name].append(time.process_time() - start)
    print(f"CPU seconds per experiment, min and median of {args.repeats} (one BLAS thread, "
          "in this process, no cache)")
    for name in names:
        print(f"  {name:28s} min {min(times[name]):6.2f}  median "
              f"{statistics.median(times[name]):6.2f}")
    total = sum(min(values) for values in times.values())
    print(f"  {'total of the minima':28s}     {total:6.2f}")


if __name__ == "__main__":
    main()
