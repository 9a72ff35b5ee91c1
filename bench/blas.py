"""Which BLAS libraries a process has loaded, with the kernel and thread count of each, as
threadpoolctl reports them: the line both benchmarks print (their ratios mean little without
it). Run as a script, it loads what a build loads (NumPy's OpenBLAS, and SciPy's, which
`scipy.optimize` brings in) and prints that line.
"""

import os

from threadpoolctl import threadpool_info


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
