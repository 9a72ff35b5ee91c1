"""How fast the NumPy core trains a 784-300-10 sigmoid/softmax net on MNIST, float32, batch 100.

Four runners take turns in this one process, one MNIST epoch each per repeat: the core's `fit`;
mlp-numpy's `sgd_epoch` (what the report's Q7 runs: `forward_backward` through the core's `Net`,
then `Net.step`); the same network, loss and loop in PyTorch on the CPU (when importable); and
the ceiling: the five matrix products of one training step alone, at the same shapes, for as many
steps. On a shared machine the speed swings from one minute to the next, so only ratios taken
within one repeat mean anything: each NumPy runner's ratio to torch and to the ceiling is printed
with its min, median and max.
FLOPs count only the products that run (the input's gradient is never computed). Each ratio is
given in wall time and in the process's CPU time; with one thread (`--threads 1`) the CPU-time
ratio is the steadier one on a loaded machine, as time spent waiting for a core does not count.
`--breakdown` then times each operation of the core's step inside one epoch of its loop;
`--preallocated` adds a fifth runner, the core's step with every array allocated once (out=).
`--fold` adds a bound on what NumPy and its BLAS could do at all: that step with each weight
update folded into its dW product (NumPy's own OpenBLAS sgemm, through ctypes, with beta = 1),
with the core's sigmoid and with a cheaper tanh-form one.
Run: .venv/bin/python bench/train_speed.py [--repeats 5] [--samples 60000] [--threads 1]
[--breakdown] [--preallocated] [--fold]  (a benchmark, not a test).
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
import itertools  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from model import Linear, Net, Sigmoid, SoftmaxCE, fit  # noqa: E402
from model.assignments import mlp_numpy  # noqa: E402
from model.data import load_mnist  # noqa: E402
from model.functional import SIGMOID_CUT  # noqa: E402

N_IN, N_HIDDEN, N_OUT = 784, 300, 10
BATCH = 100
LR = 0.1
DTYPE = np.float32

# FLOPs per sample of one training step, 2 per multiply-add: the forward product and dW of each
# layer, and dx of the second layer only (nobody needs the gradient of the network's input).
MACS = N_IN * N_HIDDEN + N_HIDDEN * N_OUT
FLOPS_EXECUTED = 2 * 2 * MACS + 2 * N_HIDDEN * N_OUT


def numpy_epoch(x: np.ndarray, y: np.ndarray) -> Callable[[int], float]:
    """One epoch of the core's fit on (x, y) per call (seeded shuffle); returns its mean loss."""
    rng = np.random.default_rng(0)
    net = Net([Linear(N_IN, N_HIDDEN, rng, dtype=DTYPE), Sigmoid(),
               Linear(N_HIDDEN, N_OUT, rng, dtype=DTYPE)])

    def epoch(seed: int) -> float:
        history = fit(net, SoftmaxCE(), x, y, epochs=1, lr=LR, batch_size=BATCH, seed=seed,
                      progress=False)
        return history.epoch_loss[-1]

    return epoch


def sgd_epoch(x: np.ndarray, y: np.ndarray) -> Callable[[int], float]:
    """One epoch of mlp-numpy's `sgd_epoch` per call, the report's network and initialisation;
    its step is lr times the summed batch gradient, so lr = LR / BATCH takes fit's steps."""
    net = mlp_numpy.make_net(N_IN, N_HIDDEN, N_OUT, seed=0, dtype=DTYPE)

    def epoch(seed: int) -> float:
        return float(np.mean(mlp_numpy.sgd_epoch(net, x, y, LR / BATCH, BATCH, seed)))

    return epoch


def ceiling_epoch(x: np.ndarray) -> Callable[[int], float]:
    """The five matrix products of a training step, as many steps as an epoch has, nothing else:
    forward of both layers, dW of both, dx of the second. Written into preallocated arrays."""
    rng = np.random.default_rng(0)
    W1 = rng.standard_normal((N_IN, N_HIDDEN)).astype(DTYPE)
    W2 = rng.standard_normal((N_HIDDEN, N_OUT)).astype(DTYPE)
    h = np.empty((BATCH, N_HIDDEN), DTYPE)
    o = np.empty((BATCH, N_OUT), DTYPE)
    dh, dW1, dW2 = np.empty_like(h), np.empty_like(W1), np.empty_like(W2)
    steps = len(x) // BATCH

    def epoch(seed: int) -> float:
        for s in range(steps):
            xb = x[s * BATCH:(s + 1) * BATCH]
            np.matmul(xb, W1, out=h)
            np.matmul(h, W2, out=o)
            np.matmul(h.T, o, out=dW2)
            np.matmul(o, W2.T, out=dh)
            np.matmul(xb.T, dh, out=dW1)
        return float("nan")

    return epoch


def blas_sgemm() -> Callable[..., None]:
    """NumPy's own OpenBLAS `cblas_sgemm`, called through ctypes: the library (and so the
    thread pool and kernel) that np.matmul and the ceiling run on. NumPy exposes no alpha or
    beta; with beta = 1 an update folds into its product: W <- W - lr x^T dz in one call, with
    no dW written and read back."""
    import ctypes

    from threadpoolctl import threadpool_info

    path = next(lib["filepath"] for lib in threadpool_info()
                if lib["internal_api"] == "openblas" and "numpy" in lib["filepath"])
    lib = ctypes.CDLL(path)
    names = [n for n in ("scipy_cblas_sgemm64_", "cblas_sgemm64_", "cblas_sgemm")
             if hasattr(lib, n)]
    if not names:
        raise SystemExit(f"--fold: no cblas_sgemm in {path}")
    sgemm = getattr(lib, names[0])
    integer = ctypes.c_int64 if names[0].endswith("64_") else ctypes.c_int
    sgemm.restype = None
    sgemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer, integer,
                      ctypes.c_float, ctypes.c_void_p, integer, ctypes.c_void_p, integer,
                      ctypes.c_float, ctypes.c_void_p, integer]
    row_major, plain, transposed = 101, 111, 112  # CBLAS's enums

    def operand(m: np.ndarray) -> tuple[int, int, int]:
        """(pointer, transposition, leading dimension) of a C-ordered array or its .T view."""
        if m.flags.c_contiguous:
            return m.ctypes.data, plain, m.shape[1]
        return m.ctypes.data, transposed, m.shape[0]  # m.T is C-ordered, (shape[1], shape[0])

    def product(a: np.ndarray, b: np.ndarray, out: np.ndarray, alpha: float = 1.0,
                beta: float = 0.0) -> None:
        """out = alpha a @ b + beta out, in place; out C-ordered float32."""
        (pa, ta, lda), (pb, tb, ldb) = operand(a), operand(b)
        sgemm(row_major, ta, tb, out.shape[0], out.shape[1], a.shape[1], alpha, pa, lda, pb,
              ldb, beta, out.ctypes.data, out.shape[1])

    rng = np.random.default_rng(0)  # every layout the runner passes, against np.matmul
    for ta, tb in itertools.product((False, True), repeat=2):
        a = rng.standard_normal((5, 3) if ta else (3, 5)).astype(DTYPE)
        b = rng.standard_normal((4, 5) if tb else (5, 4)).astype(DTYPE)
        a, b = (a.T if ta else a), (b.T if tb else b)
        out = rng.standard_normal((3, 4)).astype(DTYPE)
        expected = out - 0.5 * (a @ b)
        product(a, b, out, -0.5, 1.0)
        if not np.allclose(out, expected, rtol=1e-5, atol=1e-5):
            raise SystemExit(f"--fold: cblas_sgemm disagrees with np.matmul for {(ta, tb)}")
    return product


def preallocated_epoch(x: np.ndarray, y: np.ndarray, fold: bool = False,
                       tanh: bool = False) -> Callable[[int], float]:
    """The core's step, operation for operation (fit's shuffle, the same sigmoid, softmax
    cross-entropy, backward and updates), with every array of the step allocated once and
    written with out=: what preallocated buffers and in-place operations could at most buy.
    The updates are the layers' own `step` (which allocates nothing for W1: it keeps its scratch
    array), on gradients the layers hold as the preallocated arrays, so it gives fit's weights
    bit for bit (same arithmetic in the same order).

    `fold` (a bound, not a trainer the core could be): every product by `blas_sgemm`, and
    each weight update folded into its dW product (beta = 1), so no dW is kept and
    the weights differ from fit's in their last bits. `tanh` besides: the sigmoid as
    (1 + tanh(z/2)) / 2, four passes instead of ten, which gives up the core sigmoid's relative
    accuracy in the far negative tail."""
    rng = np.random.default_rng(0)
    first, second = Linear(N_IN, N_HIDDEN, rng, dtype=DTYPE), Linear(N_HIDDEN, N_OUT, rng,
                                                                        dtype=DTYPE)
    W1, b1, W2, b2 = first.W, first.b, second.W, second.b
    xb, z = np.empty((BATCH, N_IN), DTYPE), np.empty((BATCH, N_HIDDEN), DTYPE)
    a, e, h, dh, dz, s = (np.empty_like(z) for _ in range(6))
    ge = np.empty(z.shape, bool)
    cut, tiny = SIGMOID_CUT[DTYPE], np.finfo(DTYPE).tiny  # the sigmoid's cut, as `sigmoid`'s

    def flush(v: np.ndarray) -> None:
        """`flush_subnormals` into the kept arrays (v has z's shape or is smaller)."""
        mag, keep = a.reshape(-1)[:v.size].reshape(v.shape), ge.reshape(-1)[:v.size].reshape(
            v.shape)
        np.abs(v, out=mag)
        np.greater_equal(mag, tiny, out=keep)
        np.multiply(v, keep, out=v)
    o, shifted, p = (np.empty((BATCH, N_OUT), DTYPE) for _ in range(3))
    top, total = np.empty((BATCH, 1), DTYPE), np.empty((BATCH, 1), DTYPE)
    dW1, dW2, db1, db2 = (np.empty_like(p) for p in (W1, W2, b1, b2))
    first.dW, first.db, second.dW, second.db = dW1, db1, dW2, db2
    picked = np.arange(BATCH)
    steps = len(x) // BATCH
    product = blas_sgemm() if fold else lambda a, b, out: np.matmul(a, b, out=out)

    def sigmoid_into(z: np.ndarray, h: np.ndarray) -> None:
        """The core's `sigmoid` (its cut included) of z, into h."""
        with np.errstate(under="ignore"):
            np.abs(z, out=a)
            np.minimum(a, cut, out=e)
            np.negative(e, out=e)
            np.exp(e, out=e)
            np.less(a, cut, out=ge)
            np.multiply(e, ge, out=e)
            np.greater_equal(z, 0, out=ge)
            np.maximum(e, ge, out=h)
            np.add(e, 1, out=e)
            np.divide(h, e, out=h)

    def epoch(seed: int) -> float:
        order = np.random.default_rng(seed).permutation(len(x))
        losses = []
        for step in range(steps):
            rows = order[step * BATCH:(step + 1) * BATCH]
            np.take(x, rows, axis=0, out=xb, mode="clip")  # "raise" would buffer out
            yb = y[rows]
            product(xb, W1, z)
            np.add(z, b1, out=z)
            if tanh:
                np.multiply(z, 0.5, out=h)
                np.tanh(h, out=h)
                np.multiply(h, 0.5, out=h)
                np.add(h, 0.5, out=h)
            else:
                sigmoid_into(z, h)
            product(h, W2, o)
            np.add(o, b2, out=o)
            np.max(o, axis=1, keepdims=True, out=top)
            np.subtract(o, top, out=shifted)
            with np.errstate(under="ignore"):
                np.exp(shifted, out=p)
            np.sum(p, axis=1, keepdims=True, out=total)
            losses.append(float((np.log(total[:, 0]) - shifted[picked, yb]).sum() / BATCH))
            np.divide(p, total, out=p)
            p[picked, yb] -= 1
            np.divide(p, BATCH, out=p)
            flush(p)
            np.sum(p, axis=0, out=db2)
            product(p, W2.T, dh)  # before W2 moves
            if fold:
                product(h.T, p, W2, -LR, 1.0)
            else:
                product(h.T, p, dW2)
            np.multiply(dh, h, out=dz)
            np.subtract(1, h, out=s)
            np.multiply(dz, s, out=dz)
            flush(dz)
            np.sum(dz, axis=0, out=db1)
            if fold:
                product(xb.T, dz, W1, -LR, 1.0)
                np.multiply(db1, LR, out=db1)
                np.subtract(b1, db1, out=b1)
                np.multiply(db2, LR, out=db2)
                np.subtract(b2, db2, out=b2)
            else:
                product(xb.T, dz, dW1)
                first.step(LR)
                second.step(LR)
            np.count_nonzero(o.argmax(axis=1) == yb)
        return sum(losses) / len(losses)

    return epoch


def torch_epoch(x: np.ndarray, y: np.ndarray) -> Callable[[int], float] | None:
    """The same network, loss, optimiser and loop in PyTorch, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.Sigmoid(), torch.nn.Linear(N_HIDDEN, N_OUT)
    )
    optimiser = torch.optim.SGD(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype(np.int64))

    def epoch(seed: int) -> float:
        order = torch.randperm(len(xt), generator=torch.Generator().manual_seed(seed))
        losses = []
        for start in range(0, len(xt), BATCH):
            rows = order[start:start + BATCH]
            xb, yb = xt[rows], yt[rows]
            optimiser.zero_grad(set_to_none=True)
            logits = net(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimiser.step()
            # Record what the core's fit records every step: the loss and the accuracy.
            losses.append(loss.item())
            (logits.argmax(dim=1) == yb).float().mean().item()
        return sum(losses) / len(losses)

    return epoch


def breakdown(x: np.ndarray, y: np.ndarray) -> list[tuple[str, float]]:
    """CPU seconds of each operation of the core's training step over one epoch, in the order the
    loop runs them, through the layers' own methods (each Linear's forward, backward and step is
    one entry), then the matrix products alone, and the loop's own share (fit's epoch minus the
    operations: batching bookkeeping, the trace, the history, Python calls between them; a few
    microseconds per step of it are the breakdown's own clock calls, and on a busy machine the
    difference of two noisy totals can come out negative)."""
    rng = np.random.default_rng(0)
    first, act, second = (Linear(N_IN, N_HIDDEN, rng, dtype=DTYPE), Sigmoid(),
                          Linear(N_HIDDEN, N_OUT, rng, dtype=DTYPE))
    net, loss = Net([first, act, second]), SoftmaxCE()
    names = ("batch gather x.take(rows)", "Linear 1 forward (product, bias)", "Sigmoid forward",
             "Linear 2 forward (product, bias)", "softmax cross-entropy and its gradient",
             "Linear 2 backward (dW, db, dx)", "Sigmoid backward", "Linear 1 backward (dW, db)",
             "both updates W -= lr dW, b -= lr db", "accuracy")
    parts = dict.fromkeys(names, 0.0)
    steps = len(x) // BATCH
    order = np.random.default_rng(1).permutation(len(x))
    clock = time.process_time
    for s in range(steps):
        marks = [clock()]
        rows = order[s * BATCH:(s + 1) * BATCH]
        xb, yb = x.take(rows, axis=0), y[rows]
        marks.append(clock())
        z = first.forward(xb)
        marks.append(clock())
        h = act.forward(z)
        marks.append(clock())
        o = second.forward(h)
        marks.append(clock())
        _, do = loss(yb, o)
        marks.append(clock())
        dh = second.backward(h, do)
        marks.append(clock())
        dz = act.backward(z, dh, h)
        marks.append(clock())
        first.backward(xb, dz, input_grad=False)
        marks.append(clock())
        first.step(LR)
        second.step(LR)
        marks.append(clock())
        loss.accuracy(yb, o)
        marks.append(clock())
        for name, (start, end) in zip(names, itertools.pairwise(marks), strict=True):
            parts[name] += end - start
    start = clock()
    ceiling_epoch(x)(0)
    products = clock() - start
    start = clock()
    fit(net, loss, x, y, epochs=1, lr=LR, batch_size=BATCH, progress=False)
    whole = clock() - start
    return [*parts.items(), ("the five products alone (ceiling)", products),
            ("fit's loop itself (its epoch minus the operations)", whole - sum(parts.values())),
            ("fit, one epoch", whole)]


def spread(values: list[float]) -> str:
    """min / median / max of a list of ratios."""
    return (f"min {min(values):.2f}x, median {statistics.median(values):.2f}x, "
            f"max {max(values):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="turns of the three runners")
    parser.add_argument("--samples", type=int, default=60000, help="training samples per epoch")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time each operation of the core's step (CPU time)")
    parser.add_argument("--preallocated", action="store_true",
                        help="also run the core's step with every array preallocated (out=)")
    parser.add_argument("--fold", action="store_true",
                        help="also run the preallocated step with each update folded into its "
                             "product (NumPy's OpenBLAS sgemm, beta = 1), with the core's "
                             "sigmoid and with a tanh-form one: a bound")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS and PyTorch threads (default: each library's own choice); "
                             "1 gives steadier ratios on a busy machine")
    args = parser.parse_args()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        # The limit holds while this object lives, which is the whole of main().
        _limit = threadpool_limits(args.threads, user_api="blas")
    unset = os.environ.get("NNREPORT_BENCH_UNSET")
    print(f"BLAS: {describe()}" + (f" (this process unset {unset})" if unset else ""))
    # The project's copy beside the repository if it is there; never download from a benchmark.
    shared = REPO.parent / "shared" / "data" / "mnist"
    folder = shared if shared.is_dir() else None
    (x, y), _, _ = load_mnist(final=True, folder=folder, dtype=DTYPE, download=False)
    x, y = np.ascontiguousarray(x[:args.samples]), y[:args.samples]
    print(f"MNIST train: {len(x)} samples; network {N_IN}-{N_HIDDEN}-{N_OUT} sigmoid/softmax, "
          f"float32, batch {BATCH}; executed FLOPs per sample {FLOPS_EXECUTED:,}")
    runners = {"numpy core (fit)": numpy_epoch(x, y), "mlp-numpy sgd_epoch": sgd_epoch(x, y),
               "ceiling": ceiling_epoch(x)}
    if args.preallocated:
        runners["numpy, every array preallocated"] = preallocated_epoch(x, y)
    if args.fold:
        runners["updates folded into the products"] = preallocated_epoch(x, y, fold=True)
        runners["folded, tanh-form sigmoid"] = preallocated_epoch(x, y, fold=True, tanh=True)
    theirs = torch_epoch(x, y)
    if theirs is None:
        print("torch: not importable (.venv/bin/python -m pip install torch==2.13.0)")
    else:
        import torch

        runners["torch"] = theirs
        if args.threads is not None:
            torch.set_num_threads(args.threads)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for run in runners.values():  # warm-up: first-touch pages, BLAS buffers, torch's JIT paths
        run(99)
    times: dict[str, list[float]] = {name: [] for name in runners}
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    for seed in range(args.repeats):
        for name, run in runners.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            run(seed)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    for name, seconds in times.items():
        rate = len(x) / min(seconds)
        print(f"  {name}: best {min(seconds):.3f} s/epoch, {rate:,.0f} samples/s, "
              f"{rate * FLOPS_EXECUTED / 1e9:.1f} GFLOP/s; CPU best {min(cpu[name]):.3f} s/epoch")
    for clock, taken in (("wall", times), ("CPU", cpu)):
        for mine in [name for name in runners if "ceiling" not in name and name != "torch"]:
            for ceiling in [name for name in runners if "ceiling" in name]:
                share = [c / n for c, n in zip(taken[ceiling], taken[mine], strict=True)]
                print(f"{mine} / {ceiling} (share of the five products' speed), same repeat, "
                      f"{clock} time: {spread(share)}")
            if theirs is not None:
                ratio = [t / n for t, n in zip(taken["torch"], taken[mine], strict=True)]
                print(f"{mine} / torch (speed ratio), same repeat, {clock} time: {spread(ratio)}")
    if args.breakdown:
        steps = len(x) // BATCH
        print(f"where one epoch of the core's step goes (CPU time, {steps} steps):")
        for name, seconds in breakdown(x, y):
            print(f"  {name:52s} {seconds * 1e3:8.1f} ms {seconds / steps * 1e6:7.1f} us/step")


if __name__ == "__main__":
    main()
