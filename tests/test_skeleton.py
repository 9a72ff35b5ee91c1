"""`build.py new ID` writes a report that builds at once; `build.py ID --watch` rebuilds it when a
file it depends on changes. Both run on a copy of the project, as a user would run them."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, needs_tex, pdf_text

from report.skeleton import write_skeleton

# Long enough for a cold build on a busy machine; only a bound, never a measured time.
PATIENCE = 300


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the working tree without its venv, build folder, history or tests."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", "build", ".git", "tests", "__pycache__", ".pytest_cache", ".ruff_cache"))
    return copy


def _build(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "build.py", *args], cwd=project, capture_output=True,
                          text=True, timeout=PATIENCE)


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.5)


def test_new_refuses_a_bad_id_and_an_existing_report(tmp_path):
    with pytest.raises(ValueError, match="lower-case letters and digits"):
        write_skeleton("Demo_1", tmp_path)
    for folder in ("report/assignments", "figures", "templates"):
        (tmp_path / folder).mkdir(parents=True)
    write_skeleton("demo", tmp_path)
    with pytest.raises(FileExistsError, match="demo.py exists already"):
        write_skeleton("demo", tmp_path)


@needs_tex
def test_new_report_builds_to_a_pdf_with_its_derivation_figure_and_claim(project):
    made = _build(project, "new", "demo")
    assert made.returncode == 0, made.stderr
    assert (project / "report/assignments/demo.py").is_file()
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "report/assignments/demo.py",
                           "figures/demo.py"], cwd=project, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    built = _build(project, "demo")
    assert built.returncode == 0, built.stderr
    assert "demo_loss" in built.stderr  # the figure was drawn
    text = " ".join(pdf_text(project / "build/demo.pdf").split())
    assert "Derivative of the softplus" in text or "divide by" in text
    assert "mean training loss of" in text
    assert "def train_xor(" in text


@needs_tex
def test_watch_rebuilds_after_a_template_edit_and_stops_on_ctrl_c(project, tmp_path):
    assert _build(project, "new", "demo").returncode == 0
    pdf = project / "build/demo.pdf"
    log = (tmp_path / "watch.log").open("w")
    watcher = subprocess.Popen([sys.executable, "build.py", "demo", "--watch"], cwd=project,
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: "watching" in (tmp_path / "watch.log").read_text(), "the first build")
        assert pdf.is_file()
        first = pdf.stat().st_mtime_ns
        template = project / "templates/demo.tex.j2"
        template.write_text(template.read_text().replace("The softplus is",
                                                         "The softplus function is"))
        _wait_for(lambda: pdf.stat().st_mtime_ns != first
                  and "softplus function" in pdf_text(pdf), "the rebuilt PDF")
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=60) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
        log.close()
    output = (tmp_path / "watch.log").read_text()
    assert "changed: demo.tex.j2; rebuilding" in output, output
    assert "stopped watching" in output


def test_watch_depends_on_files_only_even_when_a_module_imports_dynamically(monkeypatch):
    import report.watch as watch
    from report.cache import ROOT, WHOLE_PROJECT

    def closure(names):  # as module_closure answers for a module that calls importlib
        return {"report.pipeline": ROOT / "report/pipeline.py", WHOLE_PROJECT: ROOT}

    monkeypatch.setattr(watch, "module_closure", closure)
    files = watch.dependencies([], ROOT / "report.toml")
    assert ROOT.resolve() not in files and all(not f.is_dir() for f in files)
    assert (ROOT / "model/net.py").resolve() in files  # every source file stands for the project


def test_watch_depends_on_a_report_modules_student_copy():
    from report import registry
    from report.cache import ROOT
    from report.watch import dependencies

    files = dependencies([registry.load("dl2024-a1")], ROOT / "report.toml")
    assert (ROOT / "report/assignments/dl2024_a1.student.toml").resolve() in files
    assert not any(f.name.endswith(".student.toml") and "hw2" in f.name for f in files)
