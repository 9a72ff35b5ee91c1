"""dl2024-a1's student copy as data (`dl2024_a1.student.toml`): how `report.quote.student_copy`
reads it, and that editing it reruns exactly the experiments that use the edited value, while
the render's claims and the up-to-date check see every edit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from report.assignments import dl2024_a1 as a24
from report.cache import code_dependencies
from report.quote import student_copy

DATA = Path("report/assignments/dl2024_a1.student.toml")
# Cheap experiments: two that read the copy's values through their configs, two that do not.
CHEAP = ("autograd", "components", "forward", "student_gd")

# Run in a copy of the project: the cheap experiments through the build's cache, then the
# claims of §1.3 on their results, and the digest the up-to-date check compares.
DRIVER = """
import json, sys
from pathlib import Path
from report import uptodate
from report.assignments import dl2024_a1 as a24
from report.config import load_config
from report.pipeline import Builder

build = Path(sys.argv[1])
builder = Builder(build, load_config(Path("report.toml")))
records = builder.run(a24.REPORT, [a24.REPORT.experiment(name) for name in sys.argv[2:]])
# The facts the template claims of 1.3 (a-printed, b-table, f-naive, g-finite).
facts = a24.context_components({"components": records["components"].result})["facts_13"]
claims = "held" if all(facts.values()) else "contradicted: " + ", ".join(
    name for name, holds in facts.items() if not holds)
print(json.dumps({"module": a24.__file__, "cached": {n: r.cached for n, r in records.items()},
                  "claims": claims, "digest": uptodate.inputs_digest(
                      build, Path("report.toml"), None, tex_only=True)}))
"""


def test_student_copy_reads_the_toml_beside_the_module_with_arrays_as_tuples(tmp_path):
    module = tmp_path / "hw9.py"
    module.write_text("")
    (tmp_path / "hw9.student.toml").write_text(
        'loss = 0.25\nshape = [3, 4]\n[runs]\nrows = [["a", 1, [0.5, 0.75]]]\n')
    printed = student_copy(module)
    assert printed == {"loss": 0.25, "shape": (3, 4), "runs": {"rows": (("a", 1, (0.5, 0.75)),)}}
    hash(printed["runs"]["rows"])  # a setting made of printed values can key a rerun


def test_a_missing_student_copy_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"hw9\.student\.toml"):
        student_copy(tmp_path / "hw9.py")


def test_the_report_quotes_every_printed_value_from_the_data_file():
    printed = student_copy(ROOT / "report/assignments/dl2024_a1.py")
    assert a24.PRINTED == printed
    assert a24.COMPONENTS["x"] == printed["components"]["x"]
    assert a24.STUDENT["runs"] == sorted({run[1:5] for run in printed["training"]["runs"]})
    assert a24.STUDENT_GD["search"]["printed"] == printed["gd"]["search"]


def test_no_experiment_reads_the_printed_values_other_than_through_its_config():
    # The cache keys a run by its config and code; the code's text would not change when the
    # data file does, so a function reading PRINTED itself would be served stale results.
    for experiment in a24.REPORT.experiments:
        sources, _ = code_dependencies(experiment.fn)
        assert not any(source.startswith("PRINTED =") for source in sources), experiment.name


def _project_copy(tmp_path: Path) -> Path:
    """The project's sources (no .venv, build, .git) in tmp_path/project."""
    copy = tmp_path / "project"
    skip = shutil.ignore_patterns(".venv", "build", ".git", "__pycache__", ".*_cache")
    shutil.copytree(ROOT, copy, ignore=skip)
    (copy / "drive.py").write_text(DRIVER)
    return copy


def _drive(copy: Path, build: Path) -> dict:
    proc = subprocess.run([sys.executable, "drive.py", str(build), *CHEAP], cwd=copy,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def _edit(copy: Path, old: str, new: str) -> None:
    path = copy / DATA
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_editing_the_student_copy_reruns_only_the_experiments_that_use_the_edited_value(
        tmp_path):
    copy, build = _project_copy(tmp_path), tmp_path / "build"
    first = _drive(copy, build)
    assert Path(first["module"]).is_relative_to(copy)  # the copy's modules ran, not ours
    assert not any(first["cached"].values()) and first["claims"] == "held"
    assert all(_drive(copy, build)["cached"].values())

    # A printed input of §1.3 is in the components experiment's config.
    _edit(copy, "x = [4.8172,", "x = [4.8171,")
    inputs = _drive(copy, build)
    assert inputs["cached"] == {"autograd": True, "components": False, "forward": True,
                                "student_gd": True}
    assert inputs["digest"] != first["digest"]

    # Where the copy's decay search stopped is in student_gd's config.
    _edit(copy, "search = [0.2, 10, 0.9]", "search = [0.3, 10, 0.9]")
    search = _drive(copy, build)
    assert search["cached"] == {"autograd": True, "components": True, "forward": True,
                                "student_gd": False}

    # A printed output is read only by the render: no experiment reruns, the claim sees it.
    _edit(copy, "sigmoid = [0.9920,", "sigmoid = [0.9000,")
    output = _drive(copy, build)
    assert all(output["cached"].values())
    assert output["claims"] == "contradicted: printed"  # the claim beside (a)'s sentence
    assert output["digest"] != search["digest"]
