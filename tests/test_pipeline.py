"""The build pipeline on a tiny report: render, compile, errors, cache and reproducibility."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from pathlib import Path

import pytest
from conftest import needs_tex, pdf_text
from tiny_report import TEMPLATE, make_report

from report.cache import code_hash
from report.compile import LatexError, TexMissing, layout_warnings
from report.config import Config
from report.pipeline import Builder, BuildError

HOSTILE_NAMES = ("Zoë O'Brien & Ana_López",
                 r"100% #1 $x^2$ {weird} ~tilde^ \input{/etc/passwd}")
HOSTILE_GROUP = "G_7 & co"


def make_builder(tmp_path: Path, config: Config | None = None) -> Builder:
    return Builder(tmp_path / "build", config or Config(("A. Student",), "Group 1", None))


def broken_copy(tmp_path: Path, template: str) -> Path:
    """A template folder holding `template` as tiny.tex.j2."""
    folder = tmp_path / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.tex.j2").write_text(template)
    return folder


@needs_tex
def test_tiny_report_compiles_and_shows_its_number(tmp_path):
    pdf = make_builder(tmp_path).build(make_report(x=1.5))
    text = pdf_text(pdf)
    assert "The square is 2.250" in text
    assert "Provenance" in text


@needs_tex
def test_hostile_front_matter_is_typeset_literally(tmp_path):
    builder = make_builder(tmp_path, config=Config(HOSTILE_NAMES, HOSTILE_GROUP, None))
    text = pdf_text(builder.build(make_report()))
    flat = " ".join(text.split())
    for name in (*HOSTILE_NAMES, HOSTILE_GROUP):
        assert " ".join(name.split()) in flat


@needs_tex
def test_latex_error_names_template_line_and_keeps_previous_pdf(tmp_path):
    builder = make_builder(tmp_path)
    pdf = builder.build(make_report())
    good = pdf.read_bytes()
    broken = TEMPLATE.replace("The square is", r"\notamacro The square is")
    line = broken.splitlines().index(next(s for s in broken.splitlines() if "notamacro" in s)) + 1
    with pytest.raises(LatexError) as err:
        builder.build(make_report(template_dir=broken_copy(tmp_path, broken)))
    first = str(err.value).splitlines()[0]
    assert first.endswith(f"templates/tiny.tex.j2:{line}: Undefined control sequence.")
    assert r"\notamacro" in str(err.value)
    assert len(str(err.value).splitlines()) <= 4
    assert pdf.read_bytes() == good


def test_template_syntax_error_names_file_and_line(tmp_path):
    broken = TEMPLATE.replace("<< figure(", "<< figure((")
    report = make_report(template_dir=broken_copy(tmp_path, broken))
    with pytest.raises(BuildError, match=r"tiny\.tex\.j2:5: "):
        make_builder(tmp_path).build(report, tex_only=True)


def test_undefined_template_variable_names_file_and_line(tmp_path):
    broken = broken_copy(tmp_path, TEMPLATE.replace("r.tiny.value", "r.tiny.missing"))
    with pytest.raises(BuildError, match=r"tiny\.tex\.j2:4: UndefinedError"):
        make_builder(tmp_path).build(make_report(template_dir=broken), tex_only=True)


def test_claim_contradicted_by_results_fails_the_build(tmp_path):
    with pytest.raises(BuildError, match="the square exceeds one"):
        make_builder(tmp_path).build(make_report(x=0.5), tex_only=True)


def test_missing_tex_engine_says_how_to_install_and_keeps_tex(tmp_path, monkeypatch):
    builder = make_builder(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(TexMissing, match="apt-get install .*latexmk") as err:
        builder.build(make_report())
    assert "tiny.tex" in str(err.value)
    assert (tmp_path / "build" / "tiny" / "tex" / "tiny.tex").exists()
    assert builder.build(make_report(), tex_only=True).exists()


def test_cache_reruns_only_a_changed_configuration(tmp_path):
    builder = make_builder(tmp_path)
    first = builder.run(make_report(x=2.0))["tiny"]
    again = builder.run(make_report(x=2.0))["tiny"]
    changed = builder.run(make_report(x=3.0))["tiny"]
    assert (first.cached, again.cached, changed.cached) == (False, True, False)
    assert again.key == first.key != changed.key
    assert changed.result["value"] == 9.0


# A Latin name is typeset by pdfLaTeX, a Greek one by LuaLaTeX (report.latex.engine_for).
ENGINES = pytest.mark.parametrize(("name", "engine"), [("A. Student", "pdflatex"),
                                                       ("Α. Σπύρου", "lualatex")])


@needs_tex
@ENGINES
def test_a_first_compile_drafts_one_pass_without_a_pdf_then_latexmk_runs_once(
        tmp_path, monkeypatch, name, engine):
    import subprocess

    from report import compile as compile_module

    runs, real_run = [], subprocess.run

    def recording(cmd, **kwargs):
        proc = real_run(cmd, **kwargs)
        if cmd[0] in ("pdflatex", "lualatex", "latexmk"):
            pdf = Path(kwargs["cwd"]) / "tiny.pdf"
            runs.append((cmd[0], "--draftmode" in cmd, pdf.exists() and pdf.stat().st_size > 0,
                         str(proc.stdout).count("Run number")))
        return proc

    monkeypatch.setattr(compile_module.subprocess, "run", recording)
    builder = make_builder(tmp_path, Config((name,), "Group 1", None))
    builder.build(make_report())
    # The draft pass wrote the .aux but no PDF; latexmk then needed one pass, not two.
    assert runs == [(engine, True, False, 0), ("latexmk", False, True, 1)]
    runs.clear()
    builder.build(make_report(x=2.5))  # the .aux is there: latexmk alone
    assert [run[0] for run in runs] == ["latexmk"]


@needs_tex
@ENGINES
def test_two_clean_builds_give_identical_pdfs(tmp_path, name, engine):
    front = Config((name,), "Group 1", None)
    one = make_builder(tmp_path / "one", front).build(make_report())
    two = make_builder(tmp_path / "two", front).build(make_report())
    assert (one.parent / "tiny" / "tex" / "tiny.log").read_text(errors="replace").startswith(
        {"pdflatex": "This is pdfTeX", "lualatex": "This is LuaHBTeX"}[engine])
    assert one.read_bytes() == two.read_bytes()


def test_figure_is_redrawn_only_when_its_inputs_change(tmp_path):
    builder = make_builder(tmp_path)
    report = make_report()
    records = builder.run(report)
    builder.plot(report, records)
    out = builder.figure_path(report, report.figures[0])
    stamp = out.stat().st_mtime_ns
    builder.plot(report, records)
    assert out.stat().st_mtime_ns == stamp
    other = make_report(x=4.0)
    builder.plot(other, builder.run(other))
    assert out.stat().st_mtime_ns != stamp
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    os.utime(out)


def test_layout_warnings_pick_undefined_refs_and_wide_overfull_boxes():
    log = ("Overfull \\hbox (12.5pt too wide) in paragraph at lines 1--2\n"
           "Overfull \\hbox (2.5pt too wide) in paragraph at lines 3--4\n"
           "LaTeX Warning: Reference `fig:x' on page 1 undefined on input line 5.\n")
    found = layout_warnings(log)
    assert len(found) == 2
    assert found[0].startswith("LaTeX Warning: Reference `fig:x'")
    assert "12.5pt" in found[1]


def _hash_of_module(path: Path, table: str, other: str) -> str:
    path.write_text(f"TABLE = {table}\nOTHER = {other}\n\n\ndef run(config):\n"
                    "    return TABLE['a'] * config['x']\n")
    sys.modules.pop(path.stem, None)
    module = importlib.import_module(path.stem)
    return code_hash(module.run)[0]


def test_code_hash_follows_constants_the_experiment_reads(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "experiment_under_test.py"
    first = _hash_of_module(path, "{'a': 1}", "1")
    assert _hash_of_module(path, "{'a': 1}", "2") == first
    assert _hash_of_module(path, "{'a': 2}", "1") != first


def _bound_hashes(path: Path, body: str) -> tuple[str, str, str]:
    """code_hash of a partial binding `train` (whose body is `body`), of one binding other
    keywords, and of a closure over `train`."""
    path.write_text(f"import functools\n\n\ndef train(config):\n    return {body}\n\n\n"
                    "def over(train, config, scale=1):\n    return train(config) * scale\n\n\n"
                    "def closing(train):\n    def run(config):\n        return train(config)\n"
                    "    return run\n")
    sys.modules.pop(path.stem, None)
    m = importlib.import_module(path.stem)
    return (code_hash(functools.partial(m.over, m.train))[0],
            code_hash(functools.partial(m.over, m.train, scale=2))[0],
            code_hash(m.closing(m.train))[0])


def test_code_hash_of_a_partial_or_closure_follows_the_functions_bound_to_it(tmp_path,
                                                                             monkeypatch):
    # A core sweep with the report's training function bound (report.studies): an edit of
    # that function must rerun the experiment, though no source of the sweep's names it.
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "bound_under_test.py"
    first = _bound_hashes(path, "config['x']")
    assert len(set(first)) == 3  # the bound keyword is part of the key
    assert _bound_hashes(path, "config['x']") == first
    edited = _bound_hashes(path, "config['x'] + 1")
    assert all(a != b for a, b in zip(first, edited, strict=True))


def test_the_blas_kernel_is_part_of_every_key(monkeypatch):
    # A float32 product sums in another order under another kernel: a cache shared between a
    # SkylakeX and a Haswell machine must not serve one's results to the other.
    import threadpoolctl

    from report import cache

    def fake(kernel: str) -> list[dict]:
        numpy_blas = {"user_api": "blas", "internal_api": "openblas", "version": "0.3.31",
                      "architecture": kernel, "filepath": "/x/numpy.libs/libopenblas.so"}
        scipy_blas = numpy_blas | {"architecture": "Zen", "filepath": "/x/scipy.libs/lib.so"}
        return [scipy_blas, numpy_blas]

    keys = []
    for kernel in ("SkylakeX", "Haswell"):
        monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda kernel=kernel: fake(kernel))
        cache.package_versions.cache_clear()
        assert cache.blas_kernel() == f"openblas 0.3.31 {kernel}"  # NumPy's, not SciPy's
        keys.append(code_hash(square_for_key)[0])
    cache.package_versions.cache_clear()
    assert keys[0] != keys[1]


def square_for_key(config: dict) -> float:
    return config["x"] ** 2


def test_code_hash_covers_the_project_modules_an_experiment_imports():
    from report.assignments import dl2023_a1

    _, modules = code_hash(dl2023_a1.train_digits)
    assert {"model.layers", "model.train", "model.data"} <= set(modules)
    assert "derivations" not in modules


def _with_figures(report, *fns):
    from dataclasses import replace

    from report.spec import FigureSpec

    return replace(report, figures=tuple(FigureSpec(f"fig_{i}", fn, ("tiny",))
                                         for i, fn in enumerate(fns)))


@pytest.fixture
def two_jobs():
    from report import sweep

    saved = sweep.SETTINGS.jobs
    sweep.configure(jobs=2)
    yield
    sweep.SETTINGS.jobs = saved


def test_figures_drawn_in_worker_processes_are_written_with_their_stamps(tmp_path, two_jobs):
    from tiny_report import pid_plot

    builder = make_builder(tmp_path)
    report = _with_figures(make_report(), pid_plot, pid_plot, pid_plot)
    builder.plot(report, builder.run(report))
    for figure in report.figures:
        out = builder.figure_path(report, figure)
        assert out.read_bytes().startswith(b"%PDF")
        assert out.with_suffix(".key").read_text()
        assert int(out.with_suffix(".pid").read_text()) != os.getpid()


def test_a_bug_in_a_figure_drawn_by_a_worker_points_at_its_file_and_line(tmp_path, two_jobs):
    import inspect

    from tiny_report import broken_plot, tiny_plot

    builder = make_builder(tmp_path)
    report = _with_figures(make_report(), tiny_plot, broken_plot)
    line = inspect.getsourcelines(broken_plot)[1] + 2
    with pytest.raises(BuildError) as caught:
        builder.plot(report, builder.run(report))
    last = str(caught.value).splitlines()[-1]
    assert last == (f"tests/tiny_report.py:{line}: ZeroDivisionError: float division by zero")
    assert "figure 'fig_1'" in str(caught.value)


def test_derivation_codes_from_the_memo_equal_those_found_by_building(tmp_path):
    import derivations

    builder = make_builder(tmp_path)
    exact = {name: code_hash(derivations.builder_of(name))[0] for name in derivations.names()}
    assert builder._derivation_codes() == exact  # no memo yet: built, memo written
    assert (tmp_path / "build" / "cache" / "derivation-names.json").is_file()
    derivations._built.cache_clear()
    assert builder._derivation_codes() == exact  # from the memo
    assert derivations._built.cache_info().currsize == 0  # ... without building any


def test_an_experiment_runs_on_one_blas_thread_however_the_build_started(tmp_path):
    # Two BLAS threads round float32 products differently from one: a result, and the claims on
    # it, must not depend on whether one report or several were built, or with which --jobs.
    import sweep_points
    from threadpoolctl import threadpool_limits

    from report.cache import Experiment

    with threadpool_limits(2, user_api="blas"):
        record = make_builder(tmp_path).run(
            make_report(), [Experiment("threads", sweep_points.blas_threads, {"seed": 0})])
    assert set(record["threads"].result["threads"]) == {1}


def test_a_report_given_one_process_by_its_share_draws_its_figures_itself(tmp_path, two_jobs):
    from tiny_report import pid_plot

    builder = Builder(tmp_path / "build", Config(("A. Student",), "Group 1", None), lambda: 1)
    report = _with_figures(make_report(), pid_plot, pid_plot)
    builder.plot(report, builder.run(report))
    for figure in report.figures:
        pid = builder.figure_path(report, figure).with_suffix(".pid").read_text()
        assert int(pid) == os.getpid()  # --jobs 2, but the share said one: no worker pool
