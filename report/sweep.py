"""Experiment sweeps: one function over many configs (a grid, a list, configs x seeds).

Points run through joblib: worker processes on this machine (`--jobs N`, default every core),
or a Dask cluster (`--scheduler ADDRESS`, the optional `dask` extra) through joblib's Dask
backend. Each point is cached on its own with joblib.Memory, keyed by its config, the code
the function runs (`report.cache.code_hash`) and the data fingerprints of the experiment that
started the sweep, so a grown grid runs only its new points. One tqdm bar per sweep.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import joblib
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from report.cache import code_hash, edited_since_start, file_list

T = TypeVar("T")
K = TypeVar("K")


@dataclass
class Settings:
    """How sweeps run; none of it changes a result, so none of it is part of a cache key."""

    jobs: int = field(default_factory=joblib.cpu_count)
    scheduler: str | None = None
    location: Path | None = None
    connect_timeout: float = 30.0  # seconds to wait for the Dask scheduler
    # Data fingerprints of the experiment being run (set by report.cache while it runs one).
    data: dict[str, str] = field(default_factory=dict)


SETTINGS = Settings()


def configure(jobs: int | None = None, scheduler: str | None = None,
              location: Path | None = None) -> None:
    """Set the worker count, the Dask scheduler address and the per-point cache folder."""
    if jobs is not None:
        if jobs < 1:
            raise ValueError(f"--jobs must be at least 1, not {jobs}")
        SETTINGS.jobs = jobs
    if scheduler is not None:
        SETTINGS.scheduler = scheduler or None
    if location is not None:
        SETTINGS.location = Path(location)


@contextmanager
def keyed_by(data: dict[str, str]) -> Iterator[None]:
    """Make the data fingerprints `data` part of every point key of the sweeps run inside."""
    saved, SETTINGS.data = SETTINGS.data, dict(data)
    try:
        yield
    finally:
        SETTINGS.data = saved


def grid(base: Mapping[str, Any] | None = None, **axes: Sequence[Any]) -> list[dict[str, Any]]:
    """Every combination of the axes' values on top of `base`; the last axis varies fastest.

    >>> grid({"epochs": 5}, lr=[0.1, 1.0], seed=[0, 1])[1]
    {'epochs': 5, 'lr': 0.1, 'seed': 1}
    """
    names = list(axes)
    return [dict(base or {}) | dict(zip(names, values, strict=True))
            for values in itertools.product(*(axes[name] for name in names))]


def _point(fn: Callable[[dict], Any], config: dict, code: str, data: dict[str, str],
           one_thread: bool, mnist: Path | None) -> Any:
    # `code` and `data` are unused on purpose: they are part of joblib's key. One BLAS thread
    # per worker process, so that N processes use N cores rather than N x cores threads. The
    # configured MNIST folder is re-entered in the worker (a context variable does not travel);
    # `data` already fingerprints its content, so the folder is not part of the key.
    from model.data import mnist_folder

    with (threadpool_limits(1, user_api="blas") if one_thread else nullcontext(),
          mnist_folder(mnist)):
        return fn(config)


class SweepError(Exception):
    """The sweep cannot run as configured; the message is meant for the user as it is."""


def _backend() -> Any:
    if SETTINGS.scheduler is None:
        return nullcontext()
    try:
        from distributed import Client
    except ImportError:
        raise SweepError("--scheduler needs Dask: pip install -e '.[dask]'") from None
    try:
        client = Client(SETTINGS.scheduler, timeout=SETTINGS.connect_timeout)
    except (OSError, ValueError) as err:
        raise SweepError(f"cannot reach the Dask scheduler {SETTINGS.scheduler!r}: {err}") from None
    config = joblib.parallel_config(backend="dask", n_jobs=-1)
    return _closing(client, config)


@contextmanager
def _closing(client: Any, config: Any) -> Iterator[None]:
    try:
        with config:
            yield
    finally:
        client.close()


def sweep(fn: Callable[[dict], T], points: Sequence[dict], desc: str = "runs") -> list[T]:
    """fn(point) for every point, in order; cached points are loaded, the rest run in parallel.

    `fn` must be a module-level function (workers import it) whose result is picklable. Equal
    points run once and share their result, so overlapping grids can simply be concatenated.
    """
    points = list(points)
    keys = [joblib.hash(point) for point in points]
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    memory = joblib.Memory(SETTINGS.location, verbose=0)
    cached = memory.cache(_point, ignore=["one_thread", "mnist"])
    code, modules = code_hash(fn)
    # One BLAS thread for every point, in a worker or in this process (--jobs 1): OpenBLAS
    # splits a float32 product differently over two threads and the sums round differently, so
    # a result (and the claims on it) must not depend on --jobs. Dask's worker processes
    # already start with one BLAS thread each, and its in-process workers are threads, for
    # which a process-wide limit would race.
    one_thread = SETTINGS.scheduler is None
    from model.data import configured_mnist_folder

    mnist = configured_mnist_folder()
    args = {i: (fn, points[i], code, SETTINGS.data, one_thread, mnist) for i in first.values()}
    results: dict[int, Any] = {}
    todo = []
    for i, call in args.items():
        if SETTINGS.location is not None and cached.check_call_in_cache(*call):
            results[i] = cached(*call)
        else:
            todo.append(i)
    if todo:
        with _backend(), tqdm(total=len(args), initial=len(args) - len(todo), desc=desc,
                              unit="run", disable=None, leave=False) as bar:
            done = joblib.Parallel(n_jobs=None if SETTINGS.scheduler else SETTINGS.jobs,
                                   return_as="generator")(
                joblib.delayed(cached)(*args[i]) for i in todo)
            for i, result in zip(todo, done, strict=True):
                results[i] = result
                bar.update()
        if SETTINGS.location is not None and (edited := edited_since_start(modules)):
            # As for an experiment (report.cache): the code that ran and the source hashed may
            # differ, so the points serve this build only.
            for i in todo:
                if cached.check_call_in_cache(*args[i]):
                    cached.call_and_shelve(*args[i]).clear()
            logging.getLogger("build").warning(
                "%s changed during the build: the %d new points of %s are not kept",
                file_list(edited), len(todo), desc)
    return [results[first[key]] for key in keys]


def over_seeds(fn: Callable[[dict], T], configs: Mapping[K, dict], seeds: Sequence[int],
               desc: str = "runs") -> dict[K, list[T]]:
    """The multi-seed runner: fn(config | {"seed": s}) for every named config and seed.

    Returns {name: [result for each seed]}, all points run as one sweep.
    """
    names = list(configs)
    runs = iter(sweep(fn, [configs[name] | {"seed": seed} for name in names for seed in seeds],
                      desc))
    return {name: [next(runs) for _ in seeds] for name in names}


def per_seed(fn: Callable[[dict], T], config: Mapping[str, Any], desc: str = "runs") -> list[T]:
    """fn for every seed in `config["seeds"]`, each point given the config with one `seed` in
    place of the list (so adding a seed runs only that seed)."""
    common = {key: value for key, value in config.items() if key != "seeds"}
    return sweep(fn, grid(common, seed=config["seeds"]), desc)


def stack(runs: Sequence[Mapping[str, Any]], shape: tuple[int, ...], key: str,
          index: int | None = None) -> Any:
    """run[key] (or run[key][index], e.g. -1 for the last epoch) of every run of a sweep, as a
    NumPy array of the sweep's `shape` followed by the value's own shape.

    `runs` are in `grid` order (last axis fastest), so `shape` lists the axes' lengths in the
    order they were given to `grid`, e.g. (learning rates, minibatch sizes, seeds).
    """
    import numpy as np

    values = [run[key] if index is None else run[key][index] for run in runs]
    return np.array(values).reshape(shape + np.shape(values[0]))


def each_over_seeds(fn: Callable[[dict], T], config: Mapping[str, Any], values: str, key: str,
                    desc: str = "runs") -> dict[Any, list[T]]:
    """Each named setting trained for every seed: one point per value of `config[values]`
    (given to `fn` as `key`) and per seed of `config["seeds"]`, every other entry of `config`
    shared by all points. Returns {value: [result for each seed]}, as `over_seeds`; e.g.
    `each_over_seeds(train, {"archs": [...], "lr": 0.1, "seeds": [0, 1]}, "archs", "arch")`.
    """
    common = {k: v for k, v in config.items() if k not in (values, "seeds")}
    return over_seeds(fn, {value: {key: value} | common for value in config[values]},
                      config["seeds"], desc)


def cases(fn: Callable[[dict], T], config: Mapping[str, Any], names: Sequence[str],
          defaults: Mapping[str, Any] | None = None, desc: str = "runs") -> dict[str, T]:
    """These cases, each one point: every entry of `config["cases"]` gives the values of
    `names` (e.g. ("arch", "init")) on top of the rest of `config`, and runs once.

    A value equal to its `defaults` entry is left out of the point, so that the case is the
    very point a run without that setting makes (and shares its cache entry). Returns
    {"value, value": result} in the cases' order.
    """
    common = {k: v for k, v in config.items() if k != "cases"}
    unset = defaults or {}
    points = [common | {name: value for name, value in zip(names, case, strict=True)
                        if name not in unset or unset[name] != value}
              for case in config["cases"]]
    runs = sweep(fn, points, desc)
    return {", ".join(map(str, case)): run for case, run in zip(config["cases"], runs, strict=True)}


def grid_arrays(fn: Callable[[dict], Mapping[str, Any]], config: Mapping[str, Any],
                axes: Mapping[str, str], picks: Mapping[str, int | None] | None = None,
                desc: str = "sweep") -> dict[str, Any]:
    """A grid of runs read as arrays: `fn` at every combination of the lists `config[k]` of
    `axes` ({list key: the setting it sets}, e.g. {"lrs": "lr", "mbs": "mb", "seeds": "seed"}),
    every other entry of `config` shared. Returns those lists and, for each {key: index} of
    `picks`, run[key][index] (index None: run[key]) as an array of the grid's shape (`stack`);
    without `picks`, every key of the runs, whole.
    """
    common = {k: v for k, v in config.items() if k not in axes}
    runs = sweep(fn, grid(common, **{name: config[k] for k, name in axes.items()}), desc)
    shape = tuple(len(config[k]) for k in axes)
    picks = dict.fromkeys(runs[0]) if picks is None else picks
    return {k: config[k] for k in axes} | {key: stack(runs, shape, key, index)
                                           for key, index in picks.items()}


# The axes of a learning-rate x minibatch-size sweep over seeds, for `grid_arrays`.
LR_MB_SEED = {"lrs": "lr", "mbs": "mb", "seeds": "seed"}


def vary_one(fn: Callable[[dict], T], config: Mapping[str, Any], desc: str | None = None
             ) -> dict[str, Any]:
    """A one-setting sweep: `fn` at `config` with the setting `config["vary"]` set to each of
    `config["values"]`, every other entry shared. Returns `config` with `runs`, one result
    per value in order. Points are cached one by one, so the base point that several such
    sweeps share (each varying another setting) runs once."""
    common = {k: v for k, v in config.items() if k not in ("vary", "values")}
    points = [common | {config["vary"]: value} for value in config["values"]]
    return dict(config) | {"runs": sweep(fn, points, desc or config["vary"])}
