"""loky's resource tracker stays quiet at the end of a build whose report workers ran sweeps.

A report worker (a forked ProcessPoolExecutor process) ends without running atexit, so the
memmapping folder joblib registered for each Parallel call, and never created, stays
registered; the tracker then warns of "leaked folder objects" (joblib#1620). The script below
ends the same way: its loky workers shut down, then os._exit.
"""

from __future__ import annotations

import subprocess
import sys

from report.cache import ROOT

SCRIPT = """
import os, sys
import joblib
from joblib.externals.loky import get_reusable_executor
from report.workers import quiet_resource_tracker

def square(x):
    return x * x

if __name__ == "__main__":
    if sys.argv[1] == "quiet":
        quiet_resource_tracker()
    print(sum(joblib.Parallel(n_jobs=2)(joblib.delayed(square)(i) for i in range(4))), flush=True)
    get_reusable_executor().shutdown(wait=True)
    os._exit(0)  # as a report worker ends: without atexit, which would unregister the folder
"""


def _run(tmp_path, mode: str) -> subprocess.CompletedProcess:
    script = tmp_path / "sweep_in_worker.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script), mode], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT),
                                                       "PATH": "/usr/bin:/bin"})


def test_sweeps_in_a_report_worker_end_without_the_trackers_leaked_folder_warning(tmp_path):
    plain = _run(tmp_path, "plain")
    assert plain.stdout.split() == ["14"], plain.stderr
    assert "leaked folder objects" in plain.stderr  # the warning this guards against
    built = _run(tmp_path, "quiet")
    assert built.stdout.split() == ["14"], built.stderr
    assert "leaked" not in built.stderr, built.stderr


def test_the_build_engine_quiets_the_tracker_for_every_process_it_starts(monkeypatch):
    from report.workers import workers_die_with_build

    monkeypatch.setenv("PYTHONWARNINGS", "default::DeprecationWarning")
    with workers_die_with_build():
        filters = __import__("os").environ["PYTHONWARNINGS"].split(",")
    assert filters[0] == "default::DeprecationWarning"  # the user's own filters stay
    assert any(f.startswith("ignore:resource_tracker:UserWarning:joblib") for f in filters)


BAR_SCRIPT = """
import os, sys
import joblib
from report.workers import exit_with_parent, quiet_resource_tracker, workers_die_with_build

def bar(x):
    from tqdm import tqdm
    tqdm(total=1, disable=True).close()  # as fit(progress=False) makes its bar in a sweep
    return x * x

if __name__ == "__main__":
    if sys.argv[1] == "built":
        setup = workers_die_with_build()
    else:  # workers that only watch their parent, tqdm's own lock
        quiet_resource_tracker()
        setup = joblib.parallel_config(backend="loky", initializer=exit_with_parent,
                                       initargs=(os.getpid(),))
    with setup:
        print(sum(joblib.Parallel(n_jobs=2)(joblib.delayed(bar)(i) for i in range(4))),
              flush=True)
    os._exit(0)  # as a report worker ends; its sweep workers then exit with it
"""


def test_progress_bars_in_sweep_workers_leave_no_semaphore_for_the_tracker_to_warn_of(tmp_path):
    script = tmp_path / "bars_in_workers.py"
    script.write_text(BAR_SCRIPT)

    def run(mode: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(script), mode], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env={"PYTHONPATH": str(ROOT),
                                                           "PATH": "/usr/bin:/bin"})

    plain = run("plain")
    assert plain.stdout.split() == ["14"], plain.stderr
    assert "leaked semaphore objects" in plain.stderr  # the warning this guards against
    built = run("built")
    assert built.stdout.split() == ["14"], built.stderr
    assert "leaked" not in built.stderr, built.stderr
