"""Which BLAS libraries a process has loaded, with the kernel and thread count of each, as
threadpoolctl reports them: the line both benchmarks print (their ratios mean little without
it). Run as a script, it loads what a build loads (NumPy's OpenBLAS, and SciPy's, which
`scipy.optimize` brings in) and prints that line.
"""

import os
import sys

from threadpoolctl import threadpool_info

FORCED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Set on some machines so that old OpenBLAS builds pick a safe kernel; they slow NumPy down."""


def without_forced_kernel() -> None:
    """Start this script again without `FORCED` (for its own process only), if any is set.

    OpenBLAS reads them when it loads, so call this before NumPy is imported. The restarted
    process finds what it unset in NNREPORT_BENCH_UNSET, to print beside `describe()`.
    """
    if any(var in os.environ for var in FORCED):
        env = {k: v for k, v in os.environ.items() if k not in FORCED}
        env["NNREPORT_BENCH_UNSET"] = " ".join(f"{k}={os.environ[k]}" for k in FORCED
                                               if k in os.environ)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)


def describe() -> str:
    """One entry per BLAS library loaded: API, version, kernel, threads, and its file."""
    return "; ".join(
        f"{i['internal_api']} {i.get('version')} kernel={i.get('architecture')} "
        f"threads={i['num_threads']} ({os.path.basename(i['filepath'])})"
        for i in threadpool_info() if i["user_api"] == "blas")


if __name__ == "__main__":
    import numpy  # noqa: F401
    import scipy.linalg.blas  # noqa: F401

    print(describe())
