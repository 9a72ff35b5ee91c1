"""Bad input and faults: each gives a short message, and nothing already built is lost."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import joblib
import pytest
from conftest import ROOT, needs_tex, pdf_text
from tiny_report import (
    divergence_is_expected,
    load_digits_of_mnist,
    make_report,
    make_variant,
    train_to_divergence,
)

import build

RUN_TINY = Path(__file__).parent / "run_tiny.py"
PLAIN_CONFIG = '[front]\nnames = ["A. Student"]\ngroup = "G1"\n'


def cli(capsys, *args: str, reports: dict | None = None) -> tuple[int, list[str]]:
    code = build.main(list(args), reports=reports if reports is not None else
                      {"tiny": make_report()})
    return code, capsys.readouterr().err.strip().splitlines()


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_malformed_config_is_reported_as_file_line(tmp_path, capsys):
    bad = write(tmp_path / "bad.toml", '[front]\nnames = ["A"]\ngroup = = "G"\n')
    code, err = cli(capsys, "--tex-only", "--config", str(bad), "--build-dir", str(tmp_path))
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"error: {bad}:3: ")


def test_incomplete_config_names_the_missing_key(tmp_path, capsys):
    bad = write(tmp_path / "bad.toml", '[front]\nnames = ["A"]\n')
    code, err = cli(capsys, "--tex-only", "--config", str(bad), "--build-dir", str(tmp_path))
    assert code == 1
    assert err == [f"error: {bad}:1: [front] group must be a string"]


def test_unknown_report_lists_the_valid_ids(capsys):
    code, err = cli(capsys, "no-such-report")
    assert code == 2
    assert err == ["error: unknown report 'no-such-report'; valid ids: tiny"]


def test_unknown_figure_lists_the_valid_names(capsys):
    code, err = cli(capsys, "--figure", "nope")
    assert code == 2
    assert err == ["error: unknown figure 'nope'; valid names: tiny_fig"]


def test_missing_mnist_says_where_it_looked_and_what_to_do(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("MNIST_DIR", str(empty))
    monkeypatch.setenv("NNREPORT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MNIST_MIRROR", "http://127.0.0.1:9/")
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    reports = {"tiny": make_variant(load_digits_of_mnist, {})}
    code, err = cli(capsys, "--tex-only", "--config", str(config), "--build-dir",
                    str(tmp_path / "build"), reports=reports)
    assert code == 1
    message = [line for line in err if line.startswith("error:")]
    assert len(message) == 1 and "MNIST_DIR" in message[0] and str(empty) in message[0]
    assert not any("Traceback" in line for line in err)


def test_diverging_run_stops_the_build_naming_report_experiment_step_and_lr(tmp_path, capsys):
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    reports = {"tiny": make_variant(train_to_divergence, {"lr": 10.0, "seed": 0})}
    code, err = cli(capsys, "--tex-only", "--config", str(config), "--build-dir",
                    str(tmp_path / "build"), reports=reports)
    assert code == 1
    assert err[-1].startswith("error: tiny: experiment 'tiny' diverged: non-finite loss at step ")
    assert re.search(r"at step \d+ \(epoch \d+\) with learning rate 10$", err[-1])


def start_tiny(build_dir: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(RUN_TINY), "--build-dir", str(build_dir)], cwd=ROOT,
        env={**os.environ, **env}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def wait_for_engine(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Until a TeX engine runs in the build's process group (the build is its group leader)."""
    deadline = time.monotonic() + timeout
    while True:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)
                name, pgrp = fields[0].split("(", 1)[1], int(fields[1].split()[2])
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we read it
            if pgrp == proc.pid and name in ("pdflatex", "lualatex", "pdftex", "luatex"):
                return
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no TeX engine started"
        time.sleep(0.005)


def finish(proc: subprocess.Popen) -> str:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return err


def assert_cache_entries_load(build_dir: Path) -> None:
    outputs = list((build_dir / "cache").rglob("output.pkl"))
    assert outputs
    for output in outputs:
        joblib.load(output)


@needs_tex
def test_sigkill_during_an_experiment_then_rebuild_matches_clean_build(tmp_path):
    marker = tmp_path / "started"
    proc = start_tiny(tmp_path / "killed", TINY_SLEEP="1.5", TINY_MARKER=str(marker))
    wait_for(marker, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finish(start_tiny(tmp_path / "killed", TINY_SLEEP="1.5"))
    finish(start_tiny(tmp_path / "clean", TINY_SLEEP="1.5"))
    assert_cache_entries_load(tmp_path / "killed")
    killed, clean = (tmp_path / d / "tiny.pdf" for d in ("killed", "clean"))
    assert killed.read_bytes() == clean.read_bytes()


@needs_tex
def test_sigkill_during_latex_keeps_old_pdf_and_next_build_recovers(tmp_path):
    build_dir = tmp_path / "b"
    finish(start_tiny(build_dir, TINY_X="1.5"))
    pdf = build_dir / "tiny.pdf"
    old = pdf.read_bytes()
    compiling = build_dir / "tiny" / "tex" / ".compiling"
    proc = start_tiny(build_dir, TINY_X="2.5")
    wait_for(compiling, proc)
    # Killed while the engine runs: a pdfLaTeX pass of the tiny report can take less than a
    # fixed wait, after which the new PDF would already be in place.
    wait_for_engine(proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert pdf.read_bytes() == old
    finish(start_tiny(build_dir, TINY_X="2.5"))
    finish(start_tiny(tmp_path / "clean", TINY_X="2.5"))
    assert pdf.read_bytes() == (tmp_path / "clean" / "tiny.pdf").read_bytes() != old


@needs_tex
def test_two_builds_at_once_both_succeed_one_waiting(tmp_path):
    first = start_tiny(tmp_path, TINY_SLEEP="1")
    second = start_tiny(tmp_path, TINY_SLEEP="1")
    logs = [finish(first), finish(second)]
    assert sum("waiting for it to finish" in log for log in logs) == 1
    assert sum("(ran," in log for log in logs) == 1
    assert_cache_entries_load(tmp_path)


def test_cli_runs_tiny_report_to_tex_without_tex(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    code, err = cli(capsys, "--config", str(config), "--build-dir", str(tmp_path / "b"))
    assert code == 1
    assert err[-1].startswith("error: no TeX engine") and "apt-get install" in err[-1]
    code, _ = cli(capsys, "--tex-only", "--config", str(config), "--build-dir",
                  str(tmp_path / "b"))
    assert code == 0
    assert (tmp_path / "b" / "tiny" / "tex" / "tiny.tex").exists()


@pytest.mark.parametrize("arg", ["--help"])
def test_help_explains_every_option(arg, capsys):
    with pytest.raises(SystemExit) as done:
        build.main([arg])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in ("--list", "--figure", "--tex-only", "--config", "--build-dir"):
        assert option in out


@needs_tex
def test_divergence_a_report_expects_is_reported_and_the_build_goes_on(tmp_path, capsys):
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    report = replace(make_variant(divergence_is_expected, {"lr": 10.0, "seed": 0}),
                     template="diverge.tex.j2", figures=())
    code, err = cli(capsys, "--config", str(config), "--build-dir", str(tmp_path / "b"),
                    reports={"tiny": report})
    assert code == 0, err
    text = " ".join(pdf_text(tmp_path / "b" / "tiny.pdf").split())
    assert re.search(r"The run stopped at step \d+ \(epoch \d+\) with learning rate 10\.0", text)


def test_build_directory_that_is_a_file_is_one_line(tmp_path, capsys):
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    target = write(tmp_path / "build", "not a folder")
    for build_dir in (target, target / "sub"):
        code, err = cli(capsys, "--tex-only", "--config", str(config), "--build-dir",
                        str(build_dir))
        assert code == 1
        assert err == [f"error: {build_dir}: not a directory; a file stands where the build "
                       "needs a folder: remove it or pass --build-dir DIR"]


def _refuse_writes_under(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make creating files under `folder` fail with EACCES, as its mode 0o555 does for anyone
    but root (root writes anywhere, so for root the refusal is injected)."""
    real_open = os.open

    def guarded_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(path).resolve().is_relative_to(folder.resolve()):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    if os.geteuid() == 0:
        monkeypatch.setattr(os, "open", guarded_open)


def test_read_only_build_directory_is_one_line(tmp_path, capsys, monkeypatch):
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    build_dir = tmp_path / "ro"
    build_dir.mkdir(mode=0o555)
    _refuse_writes_under(build_dir, monkeypatch)
    code, err = cli(capsys, "--tex-only", "--config", str(config), "--build-dir", str(build_dir))
    assert code == 1
    probe = re.search(r"\.write-test-\d+", err[-1])
    assert probe, err
    assert err == [f"error: cannot write {build_dir / probe[0]}: Permission denied; make "
                   f"{build_dir} writable or pass --build-dir DIR"]


@needs_tex
def test_full_disk_while_writing_the_pdf_is_one_line_and_leaves_no_temporary(
    tmp_path, capsys, monkeypatch
):
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    args = ("--config", str(config), "--build-dir", str(tmp_path / "b"))
    assert cli(capsys, *args)[0] == 0
    pdf = tmp_path / "b" / "tiny.pdf"
    old = pdf.read_bytes()

    def half_then_enospc(src, dst, *a, **k):
        Path(dst).write_bytes(Path(src).read_bytes()[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    from report import compile as compile_module

    monkeypatch.setattr(compile_module.shutil, "copyfile", half_then_enospc)
    code, err = cli(capsys, *args, reports={"tiny": make_report(x=2.5)})
    assert code == 1
    assert err[-1].startswith(f"error: no space left on the device of {tmp_path / 'b'}; free ")
    assert "Traceback" not in " ".join(err)
    assert pdf.read_bytes() == old
    assert list((tmp_path / "b").glob(".*.tmp")) == []


@needs_tex
def test_stale_temporaries_of_a_killed_build_are_removed_by_the_next(tmp_path, capsys):
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    args = ("--config", str(config), "--build-dir", str(tmp_path / "b"))
    assert cli(capsys, *args)[0] == 0
    tex_dir = tmp_path / "b" / "tiny" / "tex"
    left = [tmp_path / "b" / ".tiny.pdf.tmp", tex_dir / "pdflatex12345.fls",
            tex_dir / "lualatex678.fls"]
    for path in left:
        path.write_text("left by kill -9")
    assert cli(capsys, *args, reports={"tiny": make_report(x=2.5)})[0] == 0
    assert [path for path in left if path.exists()] == []


def _alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie awaiting its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_for_workers(folder: Path, proc: subprocess.Popen, timeout: float = 90) -> list[int]:
    """The pids of the two workers of `slow_in_workers` once both have started."""
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("worker-*"))) < 2:
        assert proc.poll() is None, "the build ended before its workers started"
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.05)
    return [int(p.name.removeprefix("worker-")) for p in folder.glob("worker-*")]


def test_sigkill_of_the_build_ends_its_worker_processes(tmp_path):
    marker = tmp_path / "started"
    config = write(tmp_path / "c.toml", PLAIN_CONFIG)
    # Output goes to a file: the workers inherit it, and a pipe would stay open while they live.
    with (tmp_path / "out").open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(RUN_TINY), "--tex-only", "--config", str(config), "--build-dir",
             str(tmp_path / "b")], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "TINY_SLEEP": "120", "TINY_WORKERS": "1",
                 "TINY_MARKER": str(marker)})
    workers = wait_for_workers(tmp_path, proc)
    proc.kill()  # the build alone, as `kill -9 PID` does, not its process group
    proc.wait()
    try:
        deadline = time.monotonic() + 30
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in workers if _alive(pid)] == []
    finally:
        for pid in filter(_alive, workers):
            os.kill(pid, signal.SIGKILL)


@needs_tex
@pytest.mark.parametrize("during", ["experiment", "latex", "workers"])
def test_ctrl_c_exits_130_with_one_line_keeping_cache_and_pdf(tmp_path, during):
    build_dir = tmp_path / "b"
    finish(start_tiny(build_dir, TINY_X="1.5"))
    pdf = build_dir / "tiny.pdf"
    old = pdf.read_bytes()
    marker = tmp_path / "started"
    if during == "experiment":
        proc = start_tiny(build_dir, TINY_X="2.5", TINY_SLEEP="30", TINY_MARKER=str(marker))
        wait_for(marker, proc)
        proc.send_signal(signal.SIGINT)
    elif during == "latex":
        proc = start_tiny(build_dir, TINY_X="2.5")
        wait_for(build_dir / "tiny" / "tex" / ".compiling", proc)
        proc.send_signal(signal.SIGINT)
    else:
        proc = start_tiny(build_dir, TINY_X="2.5", TINY_SLEEP="30", TINY_WORKERS="1",
                          TINY_MARKER=str(marker))
        wait_for_workers(tmp_path, proc)
        # A terminal's Ctrl-C reaches the whole foreground process group, workers included.
        os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("interrupted: finished experiments stay cached")
    assert "Traceback" not in err
    assert pdf.read_bytes() == old
    assert_cache_entries_load(build_dir)
    assert list(build_dir.glob(".*.tmp")) == []
