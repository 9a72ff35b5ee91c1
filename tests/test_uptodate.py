"""The build's shortcuts: a build with nothing to do (report/uptodate.py) runs again when any
kind of input changes, but not for what the build writes itself; `--figure NAME` finds the one
report to import by reading the report modules."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

from report import uptodate


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small project: a module, a template, a config, a data folder and a build folder."""
    root = tmp_path / "proj"
    (root / "model").mkdir(parents=True)
    (root / "model" / "net.py").write_text("WIDTH = 3\n")
    (root / "templates").mkdir()
    (root / "templates" / "a.tex.j2").write_text("Hello << x >>\n")
    (root / "report.toml").write_text('[front]\nnames = ["A"]\n')
    (root / "mnist").mkdir()
    (root / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(b"one")
    (root / "build").mkdir()
    return root


def digest(root: Path, tex_only: bool = False) -> str:
    return uptodate.inputs_digest(root / "build", root / "report.toml", root / "mnist", tex_only,
                                  root=root)


def test_digest_is_the_same_when_nothing_changed(tree):
    assert digest(tree) == digest(tree)


@pytest.mark.parametrize("change", [
    lambda root: (root / "model" / "net.py").write_text("WIDTH = 4\n"),
    lambda root: (root / "model" / "new.py").write_text(""),
    lambda root: (root / "model" / "net.py").rename(root / "model" / "other.py"),
    lambda root: (root / "templates" / "a.tex.j2").write_text("Hi << x >>\n"),
    lambda root: (root / "report.toml").write_text('[front]\nnames = ["B"]\n'),
    lambda root: (root / "mnist" / "train-labels-idx1-ubyte.gz").write_bytes(b"two"),
], ids=["module edited", "module added", "module renamed", "template edited",
        "config edited", "data file replaced"])
def test_digest_changes_with_each_kind_of_input(tree, change):
    before = digest(tree)
    change(tree)
    assert digest(tree) != before


def test_digest_changes_with_a_numeric_package_version(tree, monkeypatch):
    before = digest(tree)
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "99.0" if name == "numpy" else real(name))
    assert digest(tree) != before


def test_digest_changes_with_an_environment_variable_the_loaders_read(tree, monkeypatch):
    monkeypatch.delenv("MNIST_UNVERIFIED", raising=False)
    before = digest(tree)
    monkeypatch.setenv("MNIST_UNVERIFIED", "1")
    assert digest(tree) != before


@pytest.mark.parametrize("engine", ["pdflatex", "lualatex"])
def test_digest_changes_when_either_tex_engine_is_updated(tree, tmp_path, monkeypatch, engine):
    # The compile step picks either engine per document: an update of either may change a PDF.
    binary = tmp_path / "bin" / engine
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    before = digest(tree)
    binary.write_text("#!/bin/sh\n# the next release\n")
    assert digest(tree) != before


def test_digest_of_a_tex_only_build_differs_from_a_full_one(tree):
    assert digest(tree, tex_only=True) != digest(tree)


def test_digest_ignores_the_build_folder_and_bytecode(tree):
    before = digest(tree)
    (tree / "build" / "a.pdf").write_bytes(b"%PDF")
    (tree / "model" / "__pycache__").mkdir()
    (tree / "model" / "__pycache__" / "net.cpython-311.pyc").write_bytes(b"\0")
    assert digest(tree) == before


def stamped(tree: Path) -> tuple[str, Path]:
    """A recorded build of report `a` whose product is build/a.pdf; (its digest, the PDF)."""
    pdf = tree / "build" / "a.pdf"
    pdf.write_bytes(b"%PDF-1.5")
    (tree / "build" / "a").mkdir()
    d = digest(tree)
    uptodate.record(tree / "build", "a", False, d, pdf, [], [], [(30, "a: warning: w")])
    return d, pdf


def test_recorded_build_is_current_and_replays_its_messages(tree):
    d, pdf = stamped(tree)
    stamp = uptodate.current(tree / "build", "a", False, d)
    assert stamp is not None
    assert stamp.product == str(pdf.resolve())
    assert [tuple(m) for m in stamp.messages] == [(30, "a: warning: w")]


def test_recorded_build_is_not_current_for_another_digest_or_mode(tree):
    d, _ = stamped(tree)
    assert uptodate.current(tree / "build", "a", False, "0" * 64) is None
    assert uptodate.current(tree / "build", "a", True, d) is None


def test_touched_or_removed_output_makes_the_build_run_again(tree):
    d, pdf = stamped(tree)
    st = pdf.stat()
    os.utime(pdf, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert uptodate.current(tree / "build", "a", False, d) is None
    pdf.unlink()
    assert uptodate.current(tree / "build", "a", False, d) is None


def test_forget_voids_the_stamp_but_keeps_the_last_build_time(tree):
    d, pdf = stamped(tree)
    uptodate.record(tree / "build", "a", False, d, pdf, [], [], [], seconds=12.5)
    uptodate.forget(tree / "build", "a", False)
    assert uptodate.current(tree / "build", "a", False, d) is None
    assert uptodate.last_seconds(tree / "build", "a", False) == 12.5


def test_unreadable_stamp_means_build(tree):
    d, _ = stamped(tree)
    uptodate.stamp_path(tree / "build", "a", False).write_text("{not json")
    assert uptodate.current(tree / "build", "a", False, d) is None


def test_template_folder_outside_the_project_is_part_of_the_stamp(tree, tmp_path):
    outside = tmp_path / "mine"
    outside.mkdir()
    (outside / "b.tex.j2").write_text("one")
    pdf = tree / "build" / "b.pdf"
    pdf.write_bytes(b"%PDF")
    (tree / "build" / "b").mkdir()
    d = digest(tree)
    uptodate.record(tree / "build", "b", False, d, pdf, [outside], [], [])
    assert uptodate.current(tree / "build", "b", False, d) is not None
    (outside / "b.tex.j2").write_text("two")
    assert uptodate.current(tree / "build", "b", False, d) is None


def test_figure_owner_is_found_by_reading_the_report_modules():
    from report import registry

    index = registry.figure_index({"lab4-backprop": registry.load("lab4-backprop")})
    name = next(iter(index))
    assert registry.figure_owners(name) == ["lab4-backprop"]
    assert registry.figure_owners("no_such_figure") == []


def test_figure_a_helper_names_is_found_in_the_folder_a_build_drew_it_in(tmp_path):
    import build
    from report import registry

    # gd_path_b comes from report.studies.descent_figures: no report module spells it out.
    assert registry.figure_owners("gd_path_b") != ["dl2023-a1"]
    (tmp_path / "dl2023-a1" / "figures").mkdir(parents=True)
    (tmp_path / "dl2023-a1" / "figures" / "gd_path_b.pdf").write_bytes(b"%PDF")
    assert registry.drawn_for("gd_path_b", tmp_path) == ["dl2023-a1"]
    assert registry.drawn_for("gd_path_d", tmp_path) == []

    def load_all() -> dict:
        raise AssertionError("every report imported")

    index = build._figures("gd_path_b", registry.load, load_all,
                           lambda name: registry.figure_owners(name, tmp_path))
    assert {report.id for report, _ in index.values()} == {"dl2023-a1"}
    assert "gd_path_b" in index


def test_the_up_to_date_check_imports_none_of_the_heavy_libraries():
    """A warm build answers in a tenth of a second because deciding that nothing changed needs
    no NumPy, SymPy, Matplotlib, joblib or pylatex: the modules it runs must not import them."""
    import subprocess
    import sys

    heavy = ("numpy", "sympy", "matplotlib", "joblib", "pylatex")
    code = ("import sys, build, report.uptodate, report.provenance, report.registry; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "", f"imported by the up-to-date check: {out.stdout.strip()}"
