"""Many seeds of a 2-2-1 tanh/sigmoid net on XOR: one `fit` per seed against `fit_many` at once.

Trains `--seeds` networks (default 100) for 2000 full-batch steps under BCE both ways, in
turns, in this process; prints each way's time, their ratio (min and median over `--repeats`)
and the largest difference between the two ways' losses. `--loop-seeds K` times the loop on the
first K seeds only and scales its time to all of them (said so in the output).
Run: .venv/bin/python bench/xor_seeds.py  (a benchmark, not a test).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

# The script lives in bench/; make the repository importable however it is started.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import BCE, Linear, Net, Sigmoid, Tanh, fit  # noqa: E402
from model.batched import fit_many  # noqa: E402
from model.data import xor  # noqa: E402

STEPS, LR = 2000, 0.5


def nets(seeds: range) -> list[Net]:
    """One 2-2-1 tanh/sigmoid network per seed, float64, Glorot-uniform weights."""
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        out.append(Net([Linear(2, 2, rng), Tanh(), Linear(2, 1, rng), Sigmoid()]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--loop-seeds", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    loop_seeds = min(args.loop_seeds or args.seeds, args.seeds)
    x, y = xor()
    ratios, batched_times, loop_times, worst = [], [], [], 0.0
    for _ in range(args.repeats):
        start = time.perf_counter()
        together = fit_many(nets(range(args.seeds)), BCE(), x, y, epochs=STEPS, lr=LR)
        batched = time.perf_counter() - start
        start = time.perf_counter()
        alone = [fit(net, BCE(), x, y, epochs=STEPS, lr=LR, progress=False)
                 for net in nets(range(loop_seeds))]
        loop = (time.perf_counter() - start) * args.seeds / loop_seeds
        worst = max(worst, *(float(np.max(np.abs(np.subtract(a.step_loss, b.step_loss))))
                             for a, b in zip(alone, together[:loop_seeds], strict=True)))
        batched_times.append(batched)
        loop_times.append(loop)
        ratios.append(loop / batched)
    scaled = "" if loop_seeds == args.seeds else f" (timed on {loop_seeds}, scaled)"
    print(f"{args.seeds} seeds x {STEPS} full-batch steps, 2-2-1 tanh/sigmoid, BCE, float64")
    for name, values in (("fit_many", batched_times), (f"fit per seed{scaled}", loop_times)):
        print(f"  {name}: min {min(values):.2f} s, median {statistics.median(values):.2f} s")
    print(f"  loop / batched: min {min(ratios):.1f}x, median {statistics.median(ratios):.1f}x "
          f"over {args.repeats} repeats")
    print(f"  largest |loss difference| between the two ways: {worst:.1e}")


if __name__ == "__main__":
    main()
