"""Worker processes that die with the build: a `kill -9` of build.py must not leave joblib's
loky workers training for minutes, orphaned.

loky workers are fork+exec'd children of the build; when the build is killed they are
re-parented (to init or a subreaper) and carry on with their task. Each worker therefore
starts a watchdog thread that exits the worker as soon as its parent process is gone.
Watching `os.getppid()` is used rather than Linux's PR_SET_PDEATHSIG, which fires when the
*thread* that forked the worker exits, and loky may fork from a helper thread.

Figures are drawn in `forked_pool`s instead: forked, their workers start with everything the
report's process has loaded, and they watch their parent the same way.

Reports built side by side share the cores through `CoreShare`: each sizes its joblib pools
to its share, so that the build runs as many CPU-bound processes as it has cores.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import joblib

POLL_S = 0.2  # how long an orphaned worker may outlive the build


def exit_with_parent(parent_pid: int, poll_s: float = POLL_S) -> None:
    """Worker initializer: end this process once `parent_pid` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(poll_s)
        # The build is gone: nobody will read this worker's result, and no cleanup of ours is
        # pending (cache entries are written by the parent, atomically).
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def sweep_worker(parent_pid: int) -> None:
    """Initializer of a loky sweep worker: it exits with the build (`exit_with_parent`), and
    its progress bars share a thread lock instead of tqdm's default one.

    tqdm's default lock holds a multiprocessing RLock, which in a loky worker is a named
    semaphore registered with Python's resource tracker; a worker that ends with the build
    (os._exit, no finalizers) never unlinks it, and the tracker warns at the build's end of
    "leaked semaphore objects". A worker's bars are off (`fit(progress=False)`) or, if a
    report turns them on, write to the terminal without the other workers' lock.
    """
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())
    exit_with_parent(parent_pid)


@contextmanager
def workers_die_with_build() -> Iterator[None]:
    """Within this block, `joblib.Parallel` uses loky workers that exit when this process dies
    (`sweep_worker`), and loky's resource tracker keeps its false shutdown warnings to itself."""
    quiet_resource_tracker()
    with joblib.parallel_config(backend="loky", initializer=sweep_worker,
                                initargs=(os.getpid(),)):
        yield


# joblib registers a Parallel call's memmapping folder with loky's resource tracker before the
# folder exists, and unregisters it only when it was created or when the process runs its
# atexit handlers (joblib#1620; the fix, joblib#1829, is not released). Our sweeps pass no large
# array, so no folder is ever created (/dev/shm holds none after a build), and a report worker
# ends without atexit: the tracker then warns at the build's end of "leaked folder objects"
# that never existed (one that did exist it deletes all the same, warned or not). It is a
# separate interpreter, started with this process's environment, so its warnings are filtered
# there.
_TRACKER_FILTER = ("ignore:resource_tracker:UserWarning:"
                   "joblib.externals.loky.backend.resource_tracker")


def quiet_resource_tracker() -> None:
    """Keep loky's resource tracker, started from now on, from printing its shutdown warnings."""
    current = os.environ.get("PYTHONWARNINGS", "")
    if _TRACKER_FILTER not in current.split(","):
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [current, _TRACKER_FILTER]))


class CoreShare:
    """The build's processes, shared by the reports it builds side by side.

    The report started first among those building (the longest: they start longest first)
    gets all `total` processes for its sweeps and figures, and so does every report once none
    waits; the others get `total // reports building` (at least one, which joblib runs in the
    report's own process). Two reports on two cores thus run three CPU-bound processes, not
    four, and the long report's sweeps never shrink to one core: a sweep is sized when it
    starts, and one sized small would keep a core idle after the others finished. The counts
    live in shared memory, so forked report workers see each other start and finish.
    """

    def __init__(self, total: int, reports: int, context: Any) -> None:
        self.total = total
        self._started = context.Value("i", 0)
        self._building = context.Array("b", reports)  # by start order: 1 while building
        self._ticket = -1  # this process's report's place in the start order

    @contextmanager
    def building(self, place: int | None = None) -> Iterator[None]:
        """Count this process's report as building (no longer waiting) while the block runs.

        `place` is the report's position in the start order (longest first). Two report
        workers start at once, so the order in which they get here is a race: the longest
        report must not lose its processes to the one whose worker happened to be quicker.
        Without it, arrival order stands for the start order.
        """
        with self._started.get_lock():
            self._ticket = self._started.value if place is None else place
            self._started.value += 1
            self._building[self._ticket] = 1
        try:
            yield
        finally:
            with self._started.get_lock():
                self._building[self._ticket] = 0

    def jobs(self) -> int:
        """How many processes this report's next sweep or figure step may use."""
        with self._started.get_lock():
            building = [i for i, flag in enumerate(self._building) if flag]
            waiting = len(self._building) - self._started.value
        if waiting <= 0 or not building or building[0] == self._ticket:
            return self.total
        return max(1, self.total // len(building))


_TASK: tuple[Callable[[Any, int], Any], Any] | None = None  # set before forked_pool forks


def _run_task(n: int) -> Any:
    fn, data = _TASK
    return fn(data, n)


def _forked_worker(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the build answers it (and ends this pool); a
    # worker that raised KeyboardInterrupt too would print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent_pid)


@contextmanager
def forked_pool(jobs: int, fn: Callable[[Any, int], Any], data: Any) -> Iterator[Iterator[Any]]:
    """`fn(data, n)` for n = 0, 1, ... len(data) - 1 in `jobs` forked processes, the results in
    order. The workers inherit this process's modules and `data` (nothing is pickled but n and
    the results) and die with it; leaving the block ends them, finished or not."""
    global _TASK
    import multiprocessing

    _TASK = (fn, data)
    try:
        pool = multiprocessing.get_context("fork").Pool(
            jobs, initializer=_forked_worker, initargs=(os.getpid(),))
        try:
            yield pool.imap(_run_task, range(len(data)))
        finally:
            pool.terminate()
            pool.join()
    finally:
        _TASK = None


SHARE: CoreShare | None = None  # set in a report worker by `report_worker`


def report_worker(parent_pid: int, share: CoreShare) -> None:
    """Initializer of a worker that builds whole reports: it dies with the build, and its
    reports take their share of the cores from `share`."""
    global SHARE
    SHARE = share
    exit_with_parent(parent_pid)
