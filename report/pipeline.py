"""The build, step by step: derive, run, plot, render, compile. Each step can run alone."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import textwrap
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from model.train import Diverged
from report import fragments
from report.cache import Experiment, ExperimentCache, Record, code_hash
from report.compile import compile_pdf, display
from report.config import Config
from report.latex import NoEscape, escape, make_environment
from report.listings import listing, style_definitions
from report.provenance import Source, source_of
from report.spec import ClaimError, FigureSpec, Report, claim

log = logging.getLogger("build")
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


class BuildError(Exception):
    """A build step failed; the message is meant for the user as it is."""


@contextmanager
def step(report: str, name: str, detail: str = "") -> Iterator[None]:
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    log.info("%-14s %-8s %6.2f s  %s", report, name, took, detail)


def _verify_derivation(config: dict) -> dict:
    import derivations

    derivation = derivations.get(config["name"])
    numeric = derivation.verify()
    return {"latex": derivation.to_latex(), "numeric": sorted(numeric)}


@dataclass
class Builder:
    """Builds reports into `build_dir`: build/<id>.pdf, with work files in build/<id>/."""

    build_dir: Path
    config: Config

    def __post_init__(self) -> None:
        self.source: Source = source_of(ROOT)
        self.cache = ExperimentCache(self.build_dir / "cache", self._fingerprint)
        if self.config.mnist_dir and self.config.mnist_dir.is_dir():
            os.environ.setdefault("MNIST_DIR", str(self.config.mnist_dir))

    @staticmethod
    def _fingerprint(name: str) -> str:
        from model.data import fingerprint

        return fingerprint(name)

    @staticmethod
    def template_dirs(report: Report) -> tuple[Path, ...]:
        return (*report.template_dirs, TEMPLATES)

    def workdir(self, report: Report) -> Path:
        return self.build_dir / report.id

    # -- run -------------------------------------------------------------------------------
    def run(self, report: Report, experiments: list[Experiment] | None = None) -> dict[str, Record]:
        records = {}
        for experiment in experiments if experiments is not None else report.experiments:
            try:
                record = self.cache.run(experiment)
            except Diverged as err:
                # The loop only knows its step and learning rate; say which run of which report.
                raise BuildError(f"{report.id}: experiment {experiment.name!r} {err}") from None
            state = "cached" if record.cached else "ran"
            log.info("%-14s %-8s %6.2f s  %s (%s, key %s)", report.id, "run", record.seconds,
                     experiment.name, state, record.key)
            records[experiment.name] = record
        return records

    # -- plot ------------------------------------------------------------------------------
    def figure_path(self, report: Report, figure: FigureSpec) -> Path:
        return self.workdir(report) / "figures" / f"{figure.name}.pdf"

    def plot(self, report: Report, records: dict[str, Record], only: str | None = None) -> None:
        """Draw figures whose code or inputs changed (or just `only`, unconditionally)."""
        for figure in report.figures:
            if only is not None and figure.name != only:
                continue
            out = self.figure_path(report, figure)
            stamp = out.with_suffix(".key")
            key = hashlib.sha256(
                json.dumps([code_hash(figure.fn)[0], [records[n].key for n in figure.needs]])
                .encode()
            ).hexdigest()
            if only is None and out.exists() and stamp.exists() and stamp.read_text() == key:
                continue
            with step(report.id, "plot", figure.name):
                figure.fn({n: records[n].result for n in figure.needs}, out)
                stamp.write_text(key)

    # -- render ----------------------------------------------------------------------------
    def render(self, report: Report, records: dict[str, Record]) -> Path:
        results = {name: rec.result for name, rec in records.items()}
        env = make_environment(self.template_dirs(report))
        shown_figures = {f.name for f in report.figures}

        def derivation(name: str) -> NoEscape:
            rec = self.cache.run(Experiment(f"derivation:{name}", _verify_derivation,
                                            {"name": name}))
            note = (r"\par{\footnotesize $^{\dagger}$\,Checked numerically at random points, "
                    r"where SymPy could not decide symbolically.}\par" if rec.result["numeric"]
                    else "")
            return NoEscape(rec.result["latex"] + note)

        def figure(name: str, caption: str, width: str = r"\linewidth") -> NoEscape:
            if name not in shown_figures:
                raise BuildError(f"{report.id}: template asks for unknown figure {name!r}")
            return fragments.figure(f"../figures/{name}.pdf", caption, width, f"fig:{name}")

        context: dict[str, Any] = {
            "title": report.title,
            "report_id": report.id,
            "front": self.config,
            "source": self.source,
            "r": results,
            "cfg": {e.name: e.config for e in report.experiments},
            "records": [records[e.name] for e in report.experiments],
            "listing": listing,
            "derivation": derivation,
            "figure": figure,
            "table": fragments.table,
            "matrix": fragments.matrix,
            "check": claim,
            "escape": escape,
            "pygments_style": NoEscape(style_definitions()),
            "config_lines": _config_lines,
            "seeds_of": _seeds_of,
        }
        try:
            context.update(report.context(results))
            text = env.get_template(report.template).render(context)
        except jinja2.TemplateSyntaxError as err:
            raise BuildError(f"{_rel(err.filename)}:{err.lineno}: {err.message}") from None
        except (jinja2.UndefinedError, ClaimError, BuildError, ValueError, KeyError,
                TypeError, AttributeError) as err:
            raise BuildError(_template_location(err) + f"{type(err).__name__}: {err}") from None
        tex = self.workdir(report) / "tex" / f"{report.id}.tex"
        tex.parent.mkdir(parents=True, exist_ok=True)
        if not tex.exists() or tex.read_text() != text:
            tmp = tex.with_name(f".{tex.name}.tmp")
            try:
                tmp.write_text(text)
                os.replace(tmp, tex)
            finally:
                tmp.unlink(missing_ok=True)  # a full disk must not leave a half-written copy
        return tex

    # -- compile ---------------------------------------------------------------------------
    def compile(self, report: Report, tex: Path) -> Path:
        pdf = self.build_dir / f"{report.id}.pdf"
        dirs = self.template_dirs(report)
        named = [d / report.template for d in dirs if (d / report.template).exists()]
        templates = named + [p for d in dirs for p in sorted(d.glob("*.j2"))]
        warnings = compile_pdf(tex, pdf, templates=templates, source_date_epoch=self.source.epoch,
                               root=ROOT)
        for warning in warnings:
            log.warning("%s: %s", report.id, warning)
        return pdf

    def build(self, report: Report, tex_only: bool = False) -> Path:
        with step(report.id, "total"):
            records = self.run(report)
            self.plot(report, records)
            with step(report.id, "render"):
                tex = self.render(report, records)
            if tex_only:
                return tex
            with step(report.id, "compile"):
                return self.compile(report, tex)


def _config_lines(config: dict, width: int = 95) -> list[str]:
    """An experiment's configuration as JSON, wrapped to fit the page."""
    return textwrap.wrap(json.dumps(config, sort_keys=True), width) or ["{}"]


def _seeds_of(config: dict) -> str:
    """The seeds a configuration names, in words."""
    seeds = [config[k] for k in ("seed", "split_seed") if k in config] + config.get("seeds", [])
    if not seeds:
        return "no randomness"
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(map(str, seeds))


def _rel(path: str | None) -> str:
    return display(Path(path), ROOT) if path else "<template>"


def _template_location(err: BaseException) -> str:
    """`templates/x.tex.j2:12: ` from the innermost template frame of a traceback, if any."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.endswith(".j2"):
            return f"{_rel(frame.filename)}:{frame.lineno}: "
    return ""
