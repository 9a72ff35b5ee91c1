"""How fast the NumPy core trains: one MNIST epoch through a 784-300-10 sigmoid/softmax Net.

Prints the BLAS kernel in use, this machine's matrix-multiply peak (measured here), and for
float32 and float64: samples per second at batch 100, the share of the GEMM peak that reaches,
and, when PyTorch is importable, the same network trained by PyTorch on the CPU in this process.
Run: .venv/bin/python bench/train_speed.py  (a benchmark, not a test).
"""

import os

# Some machines set these so that old OpenBLAS builds pick a safe kernel; they slow a current
# NumPy down. They must go before NumPy loads OpenBLAS, and only for this process.
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)

import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

# The script lives in bench/; make the repository importable however it is started.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model import Linear, Net, Sigmoid, SoftmaxCE, fit  # noqa: E402
from model.data import load_mnist  # noqa: E402

N_IN, N_HIDDEN, N_OUT = 784, 300, 10
BATCH = 100
LR = 0.1
REPEATS = 5  # epochs timed per setting; the fastest counts (the others absorb noise)

# FLOPs per sample of one training step, 2 per multiply-add of the three matrix products per
# layer (forward, dW, dx). The nominal count includes dx of the first layer; the executed one
# leaves it out, as Net.backward (and PyTorch) never compute the input's gradient.
MACS = N_IN * N_HIDDEN + N_HIDDEN * N_OUT
FLOPS_NOMINAL = 3 * 2 * MACS
FLOPS_EXECUTED = 2 * 2 * MACS + 2 * N_HIDDEN * N_OUT


def blas_kernel() -> str:
    info = [i for i in threadpool_info() if i["user_api"] == "blas"]
    return "; ".join(
        f"{i['internal_api']} {i.get('version')} architecture={i.get('architecture')} "
        f"num_threads={i['num_threads']}"
        for i in info
    )


def gemm_peak(dtype: type, n: int = 2048, repeats: int = 10) -> float:
    """Best GFLOP/s of an n x n x n matrix product in this process."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=out)
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def numpy_epoch(x: np.ndarray, y: np.ndarray, dtype: type) -> Callable[[int], float]:
    """One epoch of the core's fit on (x, y) per call (seeded shuffle); returns its mean loss."""
    rng = np.random.default_rng(0)
    net = Net(
        [
            Linear(N_IN, N_HIDDEN, rng, dtype=dtype),
            Sigmoid(),
            Linear(N_HIDDEN, N_OUT, rng, dtype=dtype),
        ]
    )
    x = x.astype(dtype)

    def epoch(seed: int) -> float:
        history = fit(
            net, SoftmaxCE(), x, y, epochs=1, lr=LR, batch_size=BATCH, seed=seed, progress=False
        )
        return history.epoch_loss[-1]

    return epoch


def torch_epoch(x: np.ndarray, y: np.ndarray, dtype: type) -> Callable[[int], float] | None:
    """The same network, loss, optimiser and loop in PyTorch, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    net = torch.nn.Sequential(
        torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.Sigmoid(), torch.nn.Linear(N_HIDDEN, N_OUT)
    ).to(tdtype)
    optimiser = torch.optim.SGD(net.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x.astype(dtype))
    yt = torch.from_numpy(y.astype(np.int64))

    def epoch(seed: int) -> float:
        order = torch.randperm(len(xt), generator=torch.Generator().manual_seed(seed))
        losses = []
        for start in range(0, len(xt), BATCH):
            rows = order[start : start + BATCH]
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


def best_times(runners: dict[str, Callable[[int], float]]) -> dict[str, tuple[float, float]]:
    """Fastest of REPEATS epochs per runner, as (seconds, that epoch's loss), after a warm-up
    epoch each. The runners take turns, so a busy spell on a shared machine hits them alike and
    the minimum over the turns approaches the undisturbed time."""
    for run in runners.values():
        run(99)
    best = {name: (np.inf, np.nan) for name in runners}
    for seed in range(REPEATS):
        for name, run in runners.items():
            t = time.perf_counter()
            loss = run(seed)
            best[name] = min(best[name], (time.perf_counter() - t, loss))
    return best


def main() -> None:
    print(f"BLAS: {blas_kernel()}")
    # The project's copy beside the repository if it is there; never download from a benchmark.
    shared = REPO.parent / "shared" / "data" / "mnist"
    folder = shared if shared.is_dir() else None
    (x, y), _, _ = load_mnist(final=True, folder=folder, dtype=np.float32, download=False)
    print(f"MNIST train: {len(x)} samples; network {N_IN}-{N_HIDDEN}-{N_OUT}, batch {BATCH}")
    print(
        f"FLOPs per sample: nominal 3x2x(784*300+300*10) = {FLOPS_NOMINAL:,}; "
        f"executed (no input gradient) = {FLOPS_EXECUTED:,}"
    )
    for dtype in (np.float32, np.float64):
        runners = {"numpy core": numpy_epoch(x, y, dtype)}
        theirs = torch_epoch(x, y, dtype)
        if theirs is not None:
            runners["torch"] = theirs
        peak_before = gemm_peak(dtype)
        times = best_times(runners)
        # Measured on both sides of the training runs; the better one is the machine's peak.
        peak = max(peak_before, gemm_peak(dtype))
        print(f"\n{np.dtype(dtype).name}: GEMM peak {peak:.1f} GFLOP/s (2048^3 matmul)")
        seconds, loss = times["numpy core"]
        rate = len(x) / seconds
        print(
            f"  numpy core: {seconds:.3f} s/epoch, {rate:,.0f} samples/s, "
            f"{rate * FLOPS_NOMINAL / 1e9 / peak:.0%} of peak by the nominal count, "
            f"{rate * FLOPS_EXECUTED / 1e9 / peak:.0%} by the executed one (epoch loss {loss:.4f})"
        )
        if theirs is None:
            print("  torch: not importable (.venv/bin/python -m pip install torch==2.13.0)")
            continue
        torch_seconds, torch_loss = times["torch"]
        torch_rate = len(x) / torch_seconds
        print(
            f"  torch {torch_version()}: {torch_seconds:.3f} s/epoch, {torch_rate:,.0f} samples/s "
            f"(epoch loss {torch_loss:.4f}); numpy core / torch = {rate / torch_rate:.2f}x"
        )


def torch_version() -> str:
    import torch

    return f"{torch.__version__} ({torch.get_num_threads()} threads)"


if __name__ == "__main__":
    main()
