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
    assert r"extra \num{11.000}" in project.tex.read_text()


def test_module_imported_in_a_function_body_is_followed(project):
    project.edit("model/tiny_inner.py", "SCALE = 2.0", "SCALE = 3.0")
    assert project.reran() == {("tiny-a", "run", "inner")}
    assert r"inner \num{3.000}" in project.tex.read_text()


def test_helper_module_change_reruns_its_callers(project):
    project.edit("report/assignments/tiny_helpers.py", "2 * x", "3 * x")
    assert project.reran() == {("tiny-a", "run", "plain"), ("tiny-a", "plot", "tiny_a_fig")}
    assert r"Plain \num{20.250}" in project.tex.read_text()


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
    assert r"Squared \num{56.250}" in project.tex.read_text()


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
    # Back on the real version, the results keyed with it are still there (only the figure,
    # which keeps one stamp, is redrawn).
    assert project.reran() == {("tiny-a", "plot", "tiny_a_fig")}


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


# -- in-process checks of the pieces -------------------------------------------------------

def _tiny_builder(tmp_path: Path):
    from report.config import Config
    from report.pipeline import Builder

    return Builder(tmp_path / "build", Config(("A. Student",), "G1", None))


def test_imports_in_function_bodies_are_part_of_the_key():
    from report.cache import WHOLE_PROJECT, code_hash
    from report.pipeline import _verify_derivation

    _, modules = code_hash(_verify_derivation)
    assert {"derivations", "derivations.activations", "derivations.notation"} <= set(modules)
    assert WHOLE_PROJECT not in modules


def _dynamic(config: dict) -> dict:
    import importlib

    return {"value": importlib.import_module("model.layers").__name__}


def test_dynamic_import_keys_on_every_project_source_file():
    from report.cache import WHOLE_PROJECT, code_hash

    assert WHOLE_PROJECT in code_hash(_dynamic)[1]


def test_an_attribute_named_like_a_dynamic_builtin_is_not_dynamic():
    """`env.globals[...]` (Jinja's) reaches no code; `globals()` and `builtins.globals` do."""
    import ast

    from report.assignments import dl2024_a1
    from report.cache import WHOLE_PROJECT, _is_dynamic, code_hash

    assert not _is_dynamic(ast.parse("env.globals['f'] = f"), set())
    assert _is_dynamic(ast.parse("g = globals()"), set())
    assert _is_dynamic(ast.parse("import builtins\ng = builtins.globals()"), set())
    assert _is_dynamic(ast.parse("import importlib\nm = importlib.import_module(name)"), set())
    # report.latex (which sets env.globals) is in this experiment's closure.
    _, modules = code_hash(dl2024_a1.run_student_training)
    assert "report.latex" in modules and WHOLE_PROJECT not in modules


def test_builder_leaves_the_environment_alone(tmp_path, monkeypatch):
    from report.config import Config
    from report.pipeline import Builder

    monkeypatch.delenv("MNIST_DIR", raising=False)
    before = dict(os.environ)
    builder = Builder(tmp_path / "build", Config(("A",), "G", tmp_path))
    assert builder.mnist_dir == tmp_path
    assert dict(os.environ) == before


def test_untracked_file_counts_as_uncommitted_change(tmp_path):
    from report.provenance import source_of

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("commit", "-qm", "one")
    assert not source_of(tmp_path).dirty
    (tmp_path / "new_report.py").write_text("REPORT = None\n")
    source = source_of(tmp_path)
    assert source.dirty and source.untracked == ("new_report.py",)
    assert source.label.endswith("with uncommitted changes (1 untracked file)")


def _context_with_a_bug(results: dict) -> dict:
    table = {"present": 1}
    return {"x": table["missing"]}


def _experiment_with_a_bug(config: dict) -> dict:
    return {"value": [1, 2][config["index"]]}


def test_programming_error_in_context_shows_the_users_frames(tmp_path):
    from dataclasses import replace

    from tiny_report import make_report

    from report.pipeline import BuildError

    report = replace(make_report(), context=_context_with_a_bug)
    with pytest.raises(BuildError) as err:
        _tiny_builder(tmp_path).build(report, tex_only=True)
    lines = str(err.value).splitlines()
    assert "_context_with_a_bug" in str(err.value)
    assert 'return {"x": table["missing"]}' in str(err.value)
    assert "report/pipeline.py" not in str(err.value)
    line = _context_with_a_bug.__code__.co_firstlineno + 2
    assert lines[-1] == f"tests/test_staleness.py:{line}: KeyError: 'missing'"


def _context_square(results: dict) -> dict:
    return {"square_text": f"{results['tiny']['value']:g}", "shared": 1}


def _context_again(results: dict) -> dict:
    return {"shared": 2}


def test_context_of_several_functions_merges_their_values_and_refuses_a_name_twice(tmp_path):
    from dataclasses import replace

    from tiny_report import make_report

    from report.pipeline import BuildError

    report = replace(make_report(), context=(_context_square, lambda r: {"other": 3}))
    tex = _tiny_builder(tmp_path).build(report, tex_only=True)
    assert tex.exists()
    clash = replace(make_report(), context=(_context_square, _context_again))
    with pytest.raises(BuildError, match=r"tiny: _context_again\(\) gives shared, which"):
        _tiny_builder(tmp_path).build(clash, tex_only=True)


def test_programming_error_in_an_experiment_shows_the_users_frames(tmp_path):
    from tiny_report import make_variant

    from report.pipeline import BuildError

    report = make_variant(_experiment_with_a_bug, {"index": 5})
    with pytest.raises(BuildError) as err:
        _tiny_builder(tmp_path).build(report, tex_only=True)
    line = _experiment_with_a_bug.__code__.co_firstlineno + 1
    assert str(err.value).startswith("tiny: experiment 'tiny' raised IndexError")
    assert str(err.value).splitlines()[-1] == (
        f"tests/test_staleness.py:{line}: IndexError: list index out of range")


@pytest.mark.parametrize("damage", [b"", b"\x80\x04\x95"])
def test_damaged_cache_entry_is_dropped_rerun_and_named(tmp_path, caplog, damage):
    from tiny_report import make_report

    builder = _tiny_builder(tmp_path)
    experiment = make_report(x=3.0).experiments[0]
    first = builder.cache.run(experiment)
    [output] = (tmp_path / "build" / "cache").rglob("output.pkl")
    output.write_bytes(damage)
    with caplog.at_level("WARNING", logger="build"):
        again = builder.cache.run(experiment)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "damaged cache entry" in warnings[0]
    assert str(output.parent) in warnings[0] and warnings[0].endswith("re-running tiny")
    assert (again.result, again.cached, again.key) == (first.result, False, first.key)
    assert builder.cache.run(experiment).cached


def test_unknown_derivation_in_a_template_names_its_line(tmp_path):
    from tiny_report import TEMPLATE, make_report

    from report.pipeline import BuildError

    folder = tmp_path / "templates"
    folder.mkdir()
    shown = '<% block body %>\n<< derivation("nope") >>'
    (folder / "tiny.tex.j2").write_text(TEMPLATE.replace("<% block body %>", shown))
    with pytest.raises(BuildError, match=r"tiny\.tex\.j2:3: no derivation 'nope'; valid names: "):
        _tiny_builder(tmp_path).build(make_report(template_dir=folder), tex_only=True)


def test_derivation_named_by_an_expression_verifies_every_derivation(tmp_path):
    from tiny_report import TEMPLATE, make_report

    import derivations

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "tiny.tex.j2").write_text(TEMPLATE.replace(
        "<% block body %>", '<% block body %>\n<% set n = "relu" %><< derivation(n) >>'))
    builder = _tiny_builder(tmp_path)
    assert set(builder.shown_derivations(make_report(template_dir=folder))) == set(
        derivations.names())


def test_configured_mnist_folder_is_looked_in_before_the_environment(tmp_path, monkeypatch):
    from model import data

    write_mnist(tmp_path / "config", label=1)
    write_mnist(tmp_path / "env", label=3)
    shas = {stem: (data._sha256(tmp_path / "config" / f"{stem}.gz"),) * 2
            for stem in data.MNIST_SHA256}
    monkeypatch.setattr(data, "MNIST_SHA256", shas)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "env"))
    with data.mnist_folder(tmp_path / "config"):
        assert data.configured_mnist_folder() == tmp_path / "config"
        labels = data.read_mnist(download=False)[1]
    assert labels.tolist() == [1] * 5
    assert data.configured_mnist_folder() is None


def _training_label_sum(config: dict) -> int:
    from model.data import read_mnist

    return int(read_mnist(download=False)[1].sum())


def test_unverified_mnist_is_keyed_by_the_folder_the_run_reads(tmp_path, monkeypatch):
    # [data] mnist_dir (read first) and $MNIST_DIR hold different files: the key must follow
    # the configured folder's content, or an edit there would be served from the cache.
    from model import data
    from report.cache import ExperimentCache
    from report.spec import Experiment

    write_mnist(tmp_path / "config", label=1)
    write_mnist(tmp_path / "env", label=3)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("MNIST_UNVERIFIED", "1")
    cache = ExperimentCache(tmp_path / "cache", data.fingerprint,
                            folders={"mnist": tmp_path / "config"})
    experiment = Experiment("labels", _training_label_sum, {}, data=("mnist",))
    first = cache.run(experiment)
    assert first.result == 5 and not first.cached
    write_mnist(tmp_path / "config", label=2)
    second = cache.run(experiment)
    assert second.result == 10 and not second.cached
    assert second.data["mnist"] != first.data["mnist"]
    assert cache.run(experiment).cached


# -- the shortcut of a build with nothing to do (report/uptodate.py) --------------------------

def test_noop_rebuild_is_decided_from_the_stamp_and_keeps_the_tex(project):
    project.build()
    tex = project.tex.read_bytes()
    log = project.build().stderr
    assert "tiny-a         current: no input changed since its last build" in log
    assert " render " not in log
    assert project.tex.read_bytes() == tex


def test_removed_output_is_written_again(project):
    project.build()
    project.tex.unlink()
    log = project.build().stderr
    assert re.search(r"^tiny-a\s+render ", log, re.M)
    assert project.tex.exists()


def test_edited_file_outside_the_reports_modules_builds_again(project):
    project.build()
    (project.root / "notes.txt").write_text("a file no module imports\n")
    try:
        log = project.build().stderr
    finally:
        (project.root / "notes.txt").unlink()
    assert "current:" not in log
    assert re.search(r"^tiny-a\s+render ", log, re.M)


def test_result_of_code_edited_during_the_build_is_not_kept(tmp_path, caplog, monkeypatch):
    """A module edited after the build process started may have run in one version and been
    hashed in the other: its experiment's result serves that build but is not cached."""
    import report
    from model import optim2d
    from report.cache import ROOT, Experiment, code_hash, module_closure

    builder = _tiny_builder(tmp_path)
    experiment = Experiment("gd", optim2d.run_gd,
                            {"x": 3.0, "y": 2.0, "step_size": 0.1, "steps": 3, "decay": 1.0})
    files = module_closure(set(code_hash(optim2d.run_gd)[1])).values()
    edited = max(path.stat().st_mtime_ns for path in files)
    newest = [str(p.relative_to(ROOT)) for p in files if p.stat().st_mtime_ns == edited]
    monkeypatch.setattr(report, "STARTED_NS", edited)  # as if edited just after the start
    with caplog.at_level("WARNING", logger="build"):
        first = builder.cache.run(experiment)
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert sorted(warning.split(" changed during the build")[0].split(", ")) == sorted(newest)
    assert warning.endswith("the result of gd is not kept; build again to run it on the code "
                            "as it is now")
    assert not builder.cache.run(experiment).cached  # it ran again: nothing was kept
    monkeypatch.setattr(report, "STARTED_NS", edited + 1)  # edited before this build started
    again = builder.cache.run(experiment)
    assert not again.cached and builder.cache.run(experiment).cached
    assert again.result["f"] == first.result["f"]


def test_figure_drawn_from_code_edited_during_the_build_is_drawn_again(tmp_path, monkeypatch):
    """No stamp is kept for a figure whose code, or whose experiments' code, changed during
    the build (an old one is removed), so the next build draws it again."""
    from tiny_report import make_report

    from report import pipeline

    builder, report = _tiny_builder(tmp_path), make_report()
    records = builder.run(report)
    builder.plot(report, records)
    stamp = builder.figure_path(report, report.figures[0]).with_suffix(".key")
    assert stamp.exists()
    monkeypatch.setattr(pipeline, "edited_since_start", lambda modules: ["figures/common.py"])
    builder.plot(report, records, only="tiny_fig")
    assert not stamp.exists()
    monkeypatch.undo()
    builder.plot(report, records)
    assert stamp.exists()


def test_file_list_names_project_files_relative_even_through_a_relative_path(tmp_path,
                                                                              monkeypatch):
    from report.cache import ROOT, file_list

    # A module found through a relative sys.path entry has a relative path: resolved against
    # the working folder it is still a project file; one outside the project stays as given.
    monkeypatch.chdir(ROOT / "model")
    outside = tmp_path / "mine.py"
    assert file_list([Path("net.py"), ROOT / "report" / "cache.py", outside]) == (
        f"model/net.py, report/cache.py, {outside}")
