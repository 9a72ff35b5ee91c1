"""Subnormal numbers in a saturated float32 network: the core's flushing of them against none.

mlp-numpy's Q7 network (784-300-10 sigmoid/softmax, its `make_net` and initialisation, float32)
is trained for one epoch at Q7's largest rate, 0.1, on the 55k training images. That drives some
hidden pre-activations below -87, where the float32 sigmoid is subnormal (under 1.2e-38), and so
are the gradients that pass through those units. Then, in turns in this process, one more epoch
of `sgd_epoch` from copies of those weights (the same shuffle) two ways: as the core runs it
(the sigmoid cuts its exponent; the activations' backward passes and the loss apply
`flush_subnormals`) and with the three switched off (the arithmetic as it was before them).
Prints each way's time and their ratio (min, median, max over `--repeats`), the share of
subnormal entries the unflushed way leaves in the hidden activations and in the gradient
reaching the first layer, and whether the two ways end on the same weights bit for bit. Then
the same two ways from the untrained network at Q7's smallest rate, 0.001, which stays clear
of subnormals (the share is printed): what the guards cost where they find nothing.
One BLAS thread unless told otherwise, as every sweep point runs (report.sweep).
Run: .venv/bin/python bench/subnormals.py [--repeats 3] [--threads 1]  (a benchmark, not a test).
"""

import os
import sys
from pathlib import Path

# The script lives in bench/; make the repository importable however it is started.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.blas import describe, without_forced_kernel  # noqa: E402

without_forced_kernel()  # before NumPy loads OpenBLAS

import argparse  # noqa: E402
import copy  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from model import functional, layers, losses  # noqa: E402
from model.assignments import mlp_numpy  # noqa: E402
from model.data import load_mnist  # noqa: E402
from model.net import Net  # noqa: E402

LR, SLOW, BATCH, DTYPE = 0.1, 0.001, 100, np.float32


@contextmanager
def unflushed() -> Iterator[None]:
    """The core without its three guards against subnormals, for as long as the block runs."""
    saved = layers.flush_subnormals, losses.flush_subnormals, functional.SIGMOID_CUT[DTYPE]
    layers.flush_subnormals = losses.flush_subnormals = lambda a: a
    functional.SIGMOID_CUT[DTYPE] = DTYPE(np.inf)
    try:
        yield
    finally:
        layers.flush_subnormals, losses.flush_subnormals, functional.SIGMOID_CUT[DTYPE] = saved


def subnormal_share(a: np.ndarray) -> float:
    """The share of a's entries that are subnormal: non-zero and below the smallest normal."""
    return float(np.mean((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)))


def timed_epoch(start: Net, x: np.ndarray, y: np.ndarray, lr: float) -> tuple[float, Net]:
    """One epoch of `sgd_epoch` (seed 1) from a copy of `start`: (seconds, the trained copy)."""
    net = copy.deepcopy(start)
    began = time.perf_counter()
    mlp_numpy.sgd_epoch(net, x, y, lr, BATCH, seed=1)
    return time.perf_counter() - began, net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="turns of the two ways")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = parser.parse_args()
    _limit = threadpool_limits(args.threads, user_api="blas")  # held for the whole of main()
    unset = os.environ.get("NNREPORT_BENCH_UNSET")
    print(f"BLAS: {describe()}" + (f" (this process unset {unset})" if unset else ""))
    shared = REPO.parent / "shared" / "data" / "mnist"
    (x, y), _, _ = load_mnist(num_val=5000, folder=shared if shared.is_dir() else None,
                              dtype=DTYPE, download=False)
    start = mlp_numpy.make_net(seed=0, dtype=DTYPE)
    mlp_numpy.sgd_epoch(start, x, y, LR, BATCH, seed=0)
    print(f"Q7's network, trained for one epoch at lr {LR} on {len(x)} images (the saturated "
          "network), and the same network untrained:")
    compare("the saturated network, one more epoch at lr 0.1", start, x, y, LR, args.repeats)
    compare(f"the untrained network, one epoch at lr {SLOW}", mlp_numpy.make_net(seed=0,
            dtype=DTYPE), x, y, SLOW, args.repeats)


def report_subnormals(net: Net, x: np.ndarray, y: np.ndarray) -> None:
    """How saturated `net` is, and the subnormals the unflushed arithmetic gives it."""
    with unflushed():
        logits, trace = net.forward(x[:1000])
        _, dlogits = losses.softmax_cross_entropy(y[:1000], logits)
        dk = trace[2][0].backward(trace[2][1], dlogits)
        dk = trace[1][0].backward(trace[1][1], dk, trace[1][2])
    print(f"  {np.mean(trace[0][2] < -87):.1%} of the hidden pre-activations below -87; "
          f"unflushed, {subnormal_share(trace[1][2]):.2%} of the hidden activations and "
          f"{subnormal_share(dk):.2%} of the first layer's incoming gradient are subnormal "
          "(first 1000 images)")


def compare(title: str, start: Net, x: np.ndarray, y: np.ndarray, lr: float,
            repeats: int) -> None:
    """One epoch from `start` both ways, in turns; their times, ratio and final weights."""
    print(f"{title}:")
    times: dict[str, list[float]] = {"flushed (the core)": [], "unflushed": []}
    for _ in range(repeats):
        seconds, flushed = timed_epoch(start, x, y, lr)
        times["flushed (the core)"].append(seconds)
        with unflushed():
            seconds, plain = timed_epoch(start, x, y, lr)
        times["unflushed"].append(seconds)
    report_subnormals(plain, x, y)
    for name, runs in times.items():
        print(f"  {name:20s} best {min(runs):.3f} s/epoch, median {statistics.median(runs):.3f}")
    ratios = sorted(u / f for u, f in zip(times["unflushed"], times["flushed (the core)"],
                                          strict=True))
    print(f"  unflushed / flushed time, same repeat: min {ratios[0]:.2f}x, median "
          f"{statistics.median(ratios):.2f}x, max {ratios[-1]:.2f}x")
    same = all(np.array_equal(p, q) for (_, p), (_, q) in zip(flushed.parameters(),
                                                              plain.parameters(), strict=True))
    print(f"  weights after the epoch {'identical bit for bit' if same else 'DIFFER'} both ways")


if __name__ == "__main__":
    main()
