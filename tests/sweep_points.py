"""Module-level functions for the sweep tests (workers import them by name)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _where() -> str:
    try:
        from distributed import get_worker

        get_worker()
        return "dask"
    except (ImportError, ValueError):
        return "joblib"


def noisy_sum(config: dict) -> dict:
    """A seeded matrix product: the same on every backend only if every point gets its config."""
    rng = np.random.default_rng(config["seed"])
    a = rng.standard_normal((config["n"], 40))
    return {"config": config, "value": a @ a.T, "pid_kind": _where()}


def logged(config: dict) -> dict:
    """Appends its seed to the file `config["log"]`, so a test sees which points ran."""
    with Path(config["log"]).open("a") as log:
        log.write(f"{config['seed']}\n")
    return {"seed": config["seed"]}


def blas_threads(config: dict) -> dict:
    """How many threads NumPy's BLAS may use while this point runs."""
    from threadpoolctl import threadpool_info

    return {"seed": config["seed"],
            "threads": [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]}
