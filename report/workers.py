"""Worker processes that die with the build: a `kill -9` of build.py must not leave joblib's
loky workers training for minutes, orphaned.

loky workers are fork+exec'd children of the build; when the build is killed they are
re-parented (to init or a subreaper) and carry on with their task. Each worker therefore
starts a watchdog thread that exits the worker as soon as its parent process is gone.
Watching `os.getppid()` is used rather than Linux's PR_SET_PDEATHSIG, which fires when the
*thread* that forked the worker exits, and loky may fork from a helper thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

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
