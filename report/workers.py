"""Worker processes that die with the build: a `kill -9` of build.py must not leave joblib's
loky workers training for minutes, orphaned.

loky workers are fork+exec'd children of the build; when the build is killed they are
re-parented (to init or a subreaper) and carry on with their task. Each worker therefore
starts a watchdog thread that exits the worker as soon as its parent process is gone.
Watching `os.getppid()` is used rather than Linux's PR_SET_PDEATHSIG, which fires when the
*thread* that forked the worker exits, and loky may fork from a helper thread.

Reports built side by side share the cores through `CoreShare`: each sizes its joblib pools
to its share, so that the build runs as many CPU-bound processes as it has cores.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
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


@contextmanager
def workers_die_with_build() -> Iterator[None]:
    """Within this block, `joblib.Parallel` uses loky workers that exit when this process dies."""
    with joblib.parallel_config(backend="loky", initializer=exit_with_parent,
                                initargs=(os.getpid(),)):
        yield


class CoreShare:
    """The build's processes, shared by the reports it builds side by side.

    While reports wait to be built, each report's sweeps and figures get `total // reports
    building now` processes (at least one, which joblib runs in the report's own process), so
    that two reports on two cores run two CPU-bound processes, not four. Once none waits, each
    gets all `total`: a sweep sized when two reports ran would otherwise keep one core idle
    after the other report finished, and the last report would run its sweeps alone on one
    core. The counts live in shared memory, so forked report workers see each other.
    """

    def __init__(self, total: int, reports: int, context: Any) -> None:
        self.total = total
        self._building = context.Value("i", 0)
        self._waiting = context.Value("i", reports)

    @contextmanager
    def building(self) -> Iterator[None]:
        """Count this process's report as building (no longer waiting) while the block runs."""
        with self._building.get_lock():
            self._building.value += 1
            self._waiting.value -= 1
        try:
            yield
        finally:
            with self._building.get_lock():
                self._building.value -= 1

    def jobs(self) -> int:
        """How many processes this report's next sweep or figure step may use."""
        if self._waiting.value <= 0:
            return self.total
        return max(1, self.total // max(1, self._building.value))


SHARE: CoreShare | None = None  # set in a report worker by `report_worker`


def report_worker(parent_pid: int, share: CoreShare) -> None:
    """Initializer of a worker that builds whole reports: it dies with the build, and its
    reports take their share of the cores from `share`."""
    global SHARE
    SHARE = share
    exit_with_parent(parent_pid)
