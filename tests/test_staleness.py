"""Nothing stale: on a copy of the project, each kind of input is changed and exactly what
depends on it reruns (read from the build log), and the .tex changes with it.

The copy holds two small reports (tests/staleness/), built with --tex-only; the numeric package
version and the MNIST checksums are simulated by tests/staleness/drive.py.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
FILES = Path(__file__).parent / "staleness"
LINE = re.compile(r"^(\S+)\s+(derive|run|plot)\s+[\d.]+ s\s+(\S+)(?: \((\w+), key)?", re.M)


def write_mnist(folder: Path, label: int) -> None:
    """Four tiny MNIST-format files; every training label is `label`."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, n in (("train", 5), ("t10k", 3)):
        images = struct.pack(">IIII", 2051, n, 28, 28) + bytes(n * 784)
        labels = struct.pack(">II", 2049, n) + bytes([label if stem == "train" else 1] * n)
        (folder / f"{stem}-images-idx3-ubyte.gz").write_bytes(gzip.compress(images, mtime=0))
        (folder / f"{stem}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels, mtime=0))


class Project:
    """A copy of the project with the tiny reports in it, built through drive.py."""

    def __init__(self, root: Path):
        self.root = root
        self.build_dir = root / "build"
        self.tex = self.build_dir / "tiny-a" / "tex" / "tiny-a.tex"
        self.figure = self.build_dir / "tiny-a" / "figures" / "tiny_a_fig.pdf"

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.root / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))

    def build(self, *args: str, env: dict[str, str] | None = None, ok: bool = True
              ) -> subprocess.CompletedProcess:
        full = {k: v for k, v in os.environ.items() if k != "MNIST_DIR"}
        full["TINY_MNIST_SHA_FROM"] = str(self.root / "mnist_a")
        full.update(env or {})
        proc = subprocess.run(
            [sys.executable, "tests/staleness/drive.py", *(args or ("tiny-a", "tiny-b")),
             "--tex-only"], cwd=self.root, env=full, capture_output=True, text=True)
        assert (proc.returncode == 0) == ok, proc.stderr
        return proc

    def reran(self, **kw) -> set[tuple[str, str, str]]:
        """(report, step, name) of every derivation verified, experiment run, figure drawn."""
        log = self.build(**kw).stderr
        return {(rep, step, name) for rep, step, name, state in LINE.findall(log)
                if step == "plot" or state in ("ran", "verified")}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("copy") / "nnreport"
    skip = {"build", ".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
    shutil.copytree(ROOT, root, ignore=lambda d, names: [n for n in names if n in skip])
    for name in ("tiny_a.py", "tiny_b.py", "tiny_helpers.py"):
        shutil.copy(FILES / name, root / "report" / "assignments" / name)
    shutil.copy(FILES / "figure_tiny_a.py", root / "figures" / "tiny_a.py")
    for name in ("tiny-a.tex.j2", "tiny-b.tex.j2"):
        shutil.copy(FILES / name, root / "templates" / name)
    (root / "model" / "tiny_extra.py").write_text("def offset() -> float:\n    return 1.0\n")
    (root / "model" / "tiny_inner.py").write_text("SCALE = 2.0\n")
    write_mnist(root / "mnist_a", label=1)
    write_mnist(root / "mnist_b", label=7)
    (root / "report.toml").write_text('[front]\nnames = ["A. Student"]\ngroup = "G1"\n'
                                      '[data]\nmnist_dir = "mnist_a"\n')
    proj = Project(root)
    first = proj.reran(env={"MNIST_DIR": str(root / "mnist_b")})
    assert ("tiny-a", "derive", "sigmoid") in first
    assert {("tiny-a", "run", n) for n in ("plain", "extra", "inner", "mnist")} <= first
    assert ("tiny-a", "plot", "tiny_a_fig") in first
    return proj


def test_config_folder_beats_mnist_dir_environment(project):
    # 5 training labels of 1 in mnist_a (the config's), of 7 in mnist_b ($MNIST_DIR).
    assert "label sum 5." in project.tex.read_text()


def test_noop_rebuild_reruns_nothing(project):
    assert project.reran() == set()


def test_comment_in_another_reports_module_reruns_nothing(project):
    project.edit("report/assignments/tiny_b.py", '"""A second', '# a comment\n"""A second')
    assert project.reran() == set()


def test_model_module_reruns_only_the_experiment_that_uses_it(project):
    project.edit("model/tiny_extra.py", "return 1.0", "return 10.0")
    assert project.reran() == {("tiny-a", "run", "extra")}
    assert "extra $11.000$" in project.tex.read_text()


def test_module_imported_in_a_function_body_is_followed(project):
    project.edit("model/tiny_inner.py", "SCALE = 2.0", "SCALE = 3.0")
    assert project.reran() == {("tiny-a", "run", "inner")}
    assert "inner $3.000$" in project.tex.read_text()


def test_helper_module_change_reruns_its_callers(project):
    project.edit("report/assignments/tiny_helpers.py", "2 * x", "3 * x")
    assert project.reran() == {("tiny-a", "run", "plain"), ("tiny-a", "plot", "tiny_a_fig")}
    assert "Plain $20.250$" in project.tex.read_text()


def test_figure_function_change_redraws_only_that_figure(project):
    before = project.figure.read_bytes()
    project.edit("figures/tiny_a.py", 'color="C0"', 'color="C1"')
    assert project.reran() == {("tiny-a", "plot", "tiny_a_fig")}
    assert project.figure.read_bytes() != before


def test_template_change_reruns_nothing_and_changes_the_tex(project):
    project.edit("templates/tiny-a.tex.j2", "Plain", "Squared")
    assert project.reran() == set()
    assert "Squared " in project.tex.read_text()


def test_experiment_config_value_reruns_that_experiment(project):
    project.edit("report/assignments/tiny_a.py", '{"x": 1.5}', '{"x": 2.5}')
    assert project.reran() == {("tiny-a", "run", "plain"), ("tiny-a", "plot", "tiny_a_fig")}
    assert "Squared $56.250$" in project.tex.read_text()


def test_front_matter_config_value_changes_the_tex_only(project):
    project.edit("report.toml", "A. Student", "B. Student")
    assert project.reran() == set()
    assert "B. Student" in project.tex.read_text()


def test_data_file_change_reruns_the_experiments_that_read_it(project):
    write_mnist(project.root / "mnist_a", label=2)
    assert project.reran() == {("tiny-a", "run", "mnist")}
    assert "label sum 10." in project.tex.read_text()


def test_numeric_package_version_reruns_everything(project):
    reran = project.reran(env={"TINY_NUMPY_VERSION": "99.0.0"})
    assert {("tiny-a", "run", n) for n in ("plain", "extra", "inner", "mnist")} <= reran
    assert {("tiny-a", "derive", "sigmoid"), ("tiny-a", "plot", "tiny_a_fig"),
            ("tiny-b", "run", "other")} <= reran
    assert project.reran() >= {("tiny-b", "run", "other")}  # and back again


def test_derivation_step_change_reverifies_and_changes_the_tex(project):
    project.edit("derivations/activations.py", '"split the square"', '"split the squared term"')
    assert project.reran() == {("tiny-a", "derive", "sigmoid")}
    assert "split the squared term" in project.tex.read_text()


def test_wrong_derivation_step_fails_naming_derivation_and_step(project):
    project.edit("derivations/activations.py", "Step(mul(e, sp.Pow(denom, -2,",
                 "Step(mul(e, sp.Pow(denom, -3,")
    err = project.build(ok=False).stderr
    assert re.search(r"error: derivation 'sigmoid', step 3 ", err)
    project.edit("derivations/activations.py", "Step(mul(e, sp.Pow(denom, -3,",
                 "Step(mul(e, sp.Pow(denom, -2,")


def test_list_skips_helper_modules_and_names_a_broken_report(project):
    out = project.build("--list").stdout
    assert "tiny-a" in out and "tiny-helpers" not in out
    broken = project.root / "report" / "assignments" / "tiny_broken.py"
    broken.write_text("from report.spec import Report\n\nREPORT = Report(id=missing_name)\n")
    try:
        err = project.build("--list", ok=False).stderr
    finally:
        broken.unlink()
    assert err.startswith("error: report/assignments/tiny_broken.py:3: report module "
                          "report.assignments.tiny_broken failed to import: NameError")
