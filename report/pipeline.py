"""The build, step by step: derive, run, plot, render, compile. Each step can run alone."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import joblib  # noqa: F401  (on import, as before: it sets KMP_INIT_AT_FORK, which a Builder must not)
from jinja2 import nodes
from threadpoolctl import threadpool_limits

from model import diagnostics, gradcheck
from model.train import Diverged
from report import fragments, numbers
from report.cache import Experiment, ExperimentCache, Record, code_hash, edited_since_start
from report.compile import choose_engine, compile_pdf, display
from report.config import Config
from report.latex import (
    NoEscape,
    beyond_latin_modern,
    escape,
    fallback_fonts,
    make_environment,
)
from report.listings import call_listing, listing, style_definitions
from report.pagemap import format_page_map, read_page_map
from report.provenance import Source, config_seeds, provenance_rows, source_of, write_sidecar
from report.spec import (
    Claim,
    ClaimError,
    FigureSpec,
    Report,
    claim,
    claimed,
    recording,
    template_claim,
)

log = logging.getLogger("build")
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


class BuildError(Exception):
    """A build step failed; the message is meant for the user as it is."""


def _cpu_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for (the TeX engine,
    figure workers); not those of joblib's sweep workers, which live on until the report is
    done."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@contextmanager
def step(report: str, name: str, detail: str = "") -> Iterator[None]:
    """Log the block's wall and CPU seconds: on a loaded machine the CPU time is the steadier."""
    start, cpu = time.perf_counter(), _cpu_seconds()
    yield
    took = time.perf_counter() - start
    log.info("%-14s %-8s %6.2f s  cpu %6.2f s  %s", report, name, took, _cpu_seconds() - cpu,
             detail)


def _verify_derivation(config: dict) -> dict:
    # Imported here so that the derivations load only when a report shows one; the cache key
    # follows this import (report/cache.py reads imports in function bodies).
    import derivations

    derivation = derivations.get(config["name"])
    numeric = derivation.verify()
    return {"latex": derivation.to_latex(), "numeric": sorted(numeric)}


def _derivation_config(name: str) -> dict:
    """The verification's cache config: the name and the code of the derivation's builder, which
    a report may define outside `derivations/` (the code hash of the step covers only that)."""
    import derivations

    return {"name": name, "code": code_hash(derivations.builder_of(name))[0]}


@dataclass
class Builder:
    """Builds reports into `build_dir`: build/<id>.pdf, with work files in build/<id>/."""

    build_dir: Path
    config: Config
    # The processes this report's sweeps and figures may use now (report/workers.py's
    # CoreShare, when reports build side by side); None keeps the sweep's `--jobs`.
    jobs: Callable[[], int] | None = None

    def __post_init__(self) -> None:
        self.source: Source = source_of(ROOT)
        # `[data] mnist_dir` counts when that folder exists; it goes to the loader explicitly
        # (ahead of $MNIST_DIR), never through the environment.
        mnist = self.config.mnist_dir
        self.mnist_dir = mnist if mnist is not None and mnist.is_dir() else None
        self.cache = ExperimentCache(self.build_dir / "cache", self._fingerprint,
                                     folders={"mnist": self.mnist_dir})
        self._derived: dict[str, dict[str, Any]] = {}
        # Per report, the lines its last build logged at the end (warnings, page map), in order:
        # what a later build that finds nothing changed says again (report/uptodate.py).
        self.notes: dict[str, list[tuple[int, str]]] = {}

    def _note(self, report: Report, level: int, message: str) -> None:
        log.log(level, "%s", message)
        self.notes.setdefault(report.id, []).append((level, message))

    def outputs(self, report: Report, tex_only: bool = False) -> list[Path]:
        """Every file a build of `report` writes (the PDF and its sidecar unless `tex_only`)."""
        work = self.workdir(report)
        written = [work / "tex" / f"{report.id}.tex", work / "claims.json",
                   *(self.figure_path(report, f) for f in report.figures)]
        if not tex_only:
            written += [self.build_dir / f"{report.id}.pdf",
                        self.build_dir / f"{report.id}.provenance.json"]
        return written

    @staticmethod
    def _fingerprint(name: str) -> str:
        from model.data import fingerprint

        return fingerprint(name)

    @staticmethod
    def template_dirs(report: Report) -> tuple[Path, ...]:
        return (*report.template_dirs, TEMPLATES)

    def template_paths(self, report: Report) -> list[Path]:
        """The report's own template file (the first one found on its search path)."""
        found = [d / report.template for d in self.template_dirs(report)
                 if (d / report.template).exists()]
        return found[:1]

    def workdir(self, report: Report) -> Path:
        return self.build_dir / report.id

    # -- derive ----------------------------------------------------------------------------
    def shown_derivations(self, report: Report) -> dict[str, str]:
        """name -> `template:line` of every derivation the report's templates show.

        Read from the templates' source (the report's and every template it extends, includes
        or imports). A `derivation(...)` whose name is not a literal, or a template named
        by an expression, makes the answer every derivation there is, so that nothing can be
        shown unverified.
        """
        import derivations

        env = make_environment(self.template_dirs(report))
        shown: dict[str, str] = {}
        todo, seen = [report.template], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            try:
                source, filename, _ = env.loader.get_source(env, name)
                tree = env.parse(source, name, filename)
            except jinja2.TemplateNotFound:
                continue  # render reports it, with the line that asks for it
            except jinja2.TemplateSyntaxError as err:
                raise BuildError(f"{_rel(err.filename)}:{err.lineno}: {err.message}") from None
            referenced = list(jinja2.meta.find_referenced_templates(tree))
            if None in referenced:
                referenced = env.list_templates(extensions=["j2"])
            todo.extend(r for r in referenced if r is not None)
            calls = [c for c in tree.find_all(nodes.Call)
                     if isinstance(c.node, nodes.Name) and c.node.name == "derivation"]
            uses = [n for n in tree.find_all(nodes.Name) if n.name == "derivation"]
            literal = [c for c in calls
                       if c.args and isinstance(c.args[0], nodes.Const)
                       and isinstance(c.args[0].value, str)]
            if len(literal) != len(uses):
                return {d: f"{_rel(filename)} (not a literal name)" for d in derivations.names()}
            for c in literal:
                shown.setdefault(c.args[0].value, f"{_rel(filename)}:{c.lineno}")
        return shown

    def derive(self, report: Report) -> dict[str, dict[str, Any]]:
        """Verify every derivation the report shows (cached by code, SymPy version, name)."""
        code = code_hash(_verify_derivation)  # the same for every derivation: computed once
        builders = self._derivation_codes()
        # Only this report's verdicts, fresh: render shows nothing a derive step did not check.
        self._derived = {}
        for name, where in self.shown_derivations(report).items():
            try:
                config = ({"name": name, "code": builders[name]} if name in builders
                          else _derivation_config(name))  # an unknown name: the KeyError
                record = self.cache.run(Experiment(f"derivation:{name}", _verify_derivation,
                                                   config), code=code)
            except Exception as err:
                if isinstance(err, KeyError) and str(err.args[0]).startswith("no derivation"):
                    raise BuildError(f"{where}: {err.args[0]}") from None  # lists valid names
                raise _user_code_error(err, f"{report.id}: derivation {name!r}") from None
            state = "cached" if record.cached else "verified"
            log.info("%-14s %-8s %6.2f s  %s (%s, key %s)", report.id, "derive", record.seconds,
                     name, state, record.key)
            self._derived[name] = record.result
        return self._derived

    def _derivation_codes(self) -> dict[str, str]:
        """name -> code hash of its builder, for every derivation: `_derivation_config`'s codes.

        Finding a builder by name means building every derivation (seconds of SymPy), so the
        name each builder gives is kept in the cache folder under the builder's code hash. That
        hash covers everything the builder runs, and the name is a literal of that code: a
        builder edited or new hashes differently, and then all are built to learn the names.
        """
        import derivations

        memo_file = self.build_dir / "cache" / "derivation-names.json"
        try:
            memo = json.loads(memo_file.read_text())
        except (OSError, ValueError):
            memo = {}
        codes = [code_hash(builder)[0] for builder in derivations.builders()]
        names = [memo.get(code) for code in codes]
        if None not in names and len(set(names)) == len(names):
            return dict(zip(names, codes, strict=True))
        # Builds them all; two builders of one name raise DerivationError here, as before.
        found = {name: code_hash(derivations.builder_of(name))[0] for name in derivations.names()}
        memo_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_file.with_name(f".{memo_file.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({code: name for name, code in found.items()}, indent=1))
            os.replace(tmp, memo_file)
        except OSError:
            pass  # a memo not written costs the next build time, nothing else
        finally:
            tmp.unlink(missing_ok=True)
        return found

    def _take_share(self) -> None:
        """Size the next sweep or figure step to this report's share of the cores now."""
        if self.jobs is not None:
            from report import sweep

            sweep.configure(jobs=self.jobs())

    # -- run -------------------------------------------------------------------------------
    def run(self, report: Report, experiments: list[Experiment] | None = None) -> dict[str, Record]:
        records = {}
        for experiment in experiments if experiments is not None else report.experiments:
            self._take_share()
            try:
                # One BLAS thread, as in the sweep's points: two threads round float32 products
                # differently, and a result must not depend on how the build was started.
                with threadpool_limits(1, user_api="blas"):
                    record = self.cache.run(experiment)
            except Diverged as err:
                # The loop only knows its step and learning rate; say which run of which report.
                raise BuildError(f"{report.id}: experiment {experiment.name!r} {err}") from None
            except Exception as err:
                raise _user_code_error(err, f"{report.id}: experiment {experiment.name!r}") \
                    from None
            state = "cached" if record.cached else "ran"
            log.info("%-14s %-8s %6.2f s  %s (%s, key %s)", report.id, "run", record.seconds,
                     experiment.name, state, record.key)
            records[experiment.name] = record
        return records

    # -- plot ------------------------------------------------------------------------------
    def figure_path(self, report: Report, figure: FigureSpec) -> Path:
        return self.workdir(report) / "figures" / f"{figure.name}.pdf"

    def plot(self, report: Report, records: dict[str, Record], only: str | None = None) -> None:
        """Draw figures whose code or inputs changed (or just `only`, unconditionally).

        Several figures to draw go to worker processes (`--jobs`, the sweep's; one BLAS
        thread each), forked from this one for this step.
        """
        todo = []
        for figure in report.figures:
            if only is not None and figure.name != only:
                continue
            out = self.figure_path(report, figure)
            stamp = out.with_suffix(".key")
            code, code_modules = code_hash(figure.fn)
            key = hashlib.sha256(
                json.dumps([code, [records[n].key for n in figure.needs]]).encode()
            ).hexdigest()
            if only is None and out.exists() and stamp.exists() and stamp.read_text() == key:
                continue
            # A figure drawn from code or results of code edited during this build is drawn
            # again next time: its stamp is not written (report.cache.edited_since_start).
            modules = sorted({*code_modules,
                              *(m for n in figure.needs for m in records[n].modules)})
            if edited_since_start(modules):
                stamp = None
            todo.append((figure, out, stamp, key))
        self._take_share()
        calls = [(figure.fn, {n: records[n].result for n in figure.needs}, out,
                  f"{report.id}: figure {figure.name!r}") for figure, out, _, _ in todo]
        jobs = min(_plot_jobs(), len(todo))
        if jobs > 1:
            from report.workers import forked_pool

            # The figures' own lines add up worker time; this one is the step's wall time.
            with step(report.id, "figures", f"{len(todo)} drawn in {jobs} processes"):
                # Forked from this process, the workers start with pyplot, the figure modules
                # and the results already loaded; fresh interpreters (joblib's loky) spent about
                # a CPU-second each importing them. Nothing but the index and the seconds is
                # pickled.
                with forked_pool(jobs, _draw_nth, calls) as drawn:
                    for (figure, out, stamp, key), seconds in zip(todo, drawn, strict=True):
                        log.info("%-14s %-8s %6.2f s  %s", report.id, "plot", seconds,
                                 figure.name)
                        _write_stamp(out, stamp, key)
            return
        with step(report.id, "figures", f"{len(todo)} drawn in this process") if todo \
                else nullcontext():
            for (figure, out, stamp, key), call in zip(todo, calls, strict=True):
                seconds = _draw(*call)
                log.info("%-14s %-8s %6.2f s  %s", report.id, "plot", seconds, figure.name)
                _write_stamp(out, stamp, key)

    # -- render ----------------------------------------------------------------------------
    def render(self, report: Report, records: dict[str, Record]) -> Path:
        """Write build/<id>/tex/<id>.tex, and the claims its sentences made to claims.json."""
        text, claims = self.render_text(report, records)
        work = self.workdir(report)
        work.mkdir(parents=True, exist_ok=True)
        (work / "claims.json").write_text(json.dumps([c.to_json() for c in claims], indent=1))
        tex = work / "tex" / f"{report.id}.tex"
        tex.parent.mkdir(parents=True, exist_ok=True)
        if not tex.exists() or tex.read_text() != text:
            tmp = tex.with_name(f".{tex.name}.tmp")
            try:
                tmp.write_text(text)
                os.replace(tmp, tex)
            finally:
                tmp.unlink(missing_ok=True)  # a full disk must not leave a half-written copy
        return tex

    def claims(self, report: Report) -> list[Claim]:
        """Every claim the report makes, held or not, in the order the render makes them.

        A claim made again from the same place with the same outcome (a context helper called
        more than once) is listed once.
        """
        self.derive(report)  # the render shows derivations, which only the derive step provides
        claims = self.render_text(report, self.run(report), collect=True)[1]
        return list(dict.fromkeys(claims))

    def render_text(
        self, report: Report, records: dict[str, Record], collect: bool = False
    ) -> tuple[str, list[Claim]]:
        """The report's LaTeX and its claims; a contradicted claim fails unless `collect`."""
        results = {name: rec.result for name, rec in records.items()}
        env = make_environment(self.template_dirs(report))
        figures = {f.name: f for f in report.figures}

        def figure_spec(name: str) -> FigureSpec:
            if name not in figures:
                raise BuildError(f"{report.id}: template asks for unknown figure {name!r}")
            return figures[name]

        def derivation(name: str) -> NoEscape:
            if name not in self._derived:  # shown_derivations missed it: never show it
                raise BuildError(f"derivation {name!r} was not verified by the derive step")
            # What the dagger on a numerically checked step means is said once, at the start.
            return NoEscape(self._derived[name]["latex"])

        def figure(name: str, caption: str, width: str = r"\linewidth") -> NoEscape:
            figure_spec(name)
            return fragments.figure(f"../figures/{name}.pdf", caption, width, f"fig:{name}")

        def figure_call(name: str) -> NoEscape:
            """How the build calls figure `name`'s function, with the settings bound to it."""
            return call_listing(figure_spec(name).fn, "r", "out")

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
            "figure_call": figure_call,
            "table": fragments.table,
            "matrix": fragments.matrix,
            "check": claim,
            "claim": template_claim,
            "claimed": claimed,
            "escape": escape,
            "pygments_style": NoEscape(style_definitions()),
            "config_lines": _config_lines,
            "seeds_of": _seeds_of,
            # The typesetting vocabulary: numbers, tables (report/numbers.py, fragments.py).
            "num": numbers.num,
            "sci": numbers.sci,
            "pm": numbers.pm,
            "pct": numbers.pct,
            "seed_list": numbers.seed_list,
            "gradcheck_table": fragments.gradcheck_table,
            "sisetup": NoEscape(numbers.SISETUP),
            # The core's thresholds that prose quotes: the relative-error bands of a correct
            # gradient (smooth, and near a kink) and the slope below which a unit is saturated.
            "smooth_band": gradcheck.SMOOTH_BAND, "kink_band": gradcheck.KINK_BAND,
            "saturation": diagnostics.SATURATION,
            "provenance_rows": provenance_rows([records[e.name] for e in report.experiments]),
        }
        try:
            with recording(collect) as claims:
                extra = _context_values(report, results)
                if "derivation" in extra:  # the derive step verifies only what the engine shows
                    raise BuildError(f"{report.id}: context() may not replace 'derivation'")
                context.update(extra)
                # The fonts follow the front matter; a body character Latin Modern lacks (a
                # Greek letter in a docstring, say) is rare, and then the text is rendered
                # again with the fallbacks it needs, its claims collected anew.
                context["body_text"] = ""
                text = env.get_template(report.template).render(context)
            beyond = beyond_latin_modern(text)
            if fallback_fonts([*self.config.texts, beyond]) != fallback_fonts(self.config.texts):
                with recording(collect) as claims:
                    context.update(_context_values(report, results), body_text=beyond)
                    text = env.get_template(report.template).render(context)
        except jinja2.TemplateSyntaxError as err:
            raise BuildError(f"{_rel(err.filename)}:{err.lineno}: {err.message}") from None
        except (jinja2.UndefinedError, ClaimError, BuildError) as err:
            raise BuildError(_template_location(err) + f"{type(err).__name__}: {err}") from None
        except Exception as err:
            raise _user_code_error(err, f"{report.id}: render") from None
        return text, claims

    # -- compile ---------------------------------------------------------------------------
    def compile(self, report: Report, tex: Path, engine: str | None = None) -> Path:
        pdf = self.build_dir / f"{report.id}.pdf"
        dirs = self.template_dirs(report)
        named = [d / report.template for d in dirs if (d / report.template).exists()]
        templates = named + [p for d in dirs for p in sorted(d.glob("*.j2"))]
        warnings = compile_pdf(tex, pdf, templates=templates, source_date_epoch=self.source.epoch,
                               root=ROOT, engine=engine)
        for warning in warnings:
            self._note(report, logging.WARNING, f"{report.id}: {warning}")
        return pdf

    def build(self, report: Report, tex_only: bool = False) -> Path:
        self.notes[report.id] = []
        placeholders = self.config.placeholders()
        if placeholders:
            self._note(report, logging.WARNING,
                       f"{report.id}: warning: the front matter still holds report.toml's "
                       f"placeholders ({', '.join(placeholders)}); copy report.toml, fill it in, "
                       "and pass --config FILE")
        with step(report.id, "total"):
            # Their items are logged one by one (derive, run); these lines are the steps' own.
            with step(report.id, "derived"):
                self.derive(report)
            with step(report.id, "ran"):
                records = self.run(report)
            self.plot(report, records)
            with step(report.id, "render"):
                tex = self.render(report, records)
            if tex_only:
                return tex
            # Named in the step's line: which engine typeset this report depends on its text.
            engine = choose_engine(tex.read_text())
            with step(report.id, "compile", engine):
                pdf = self.compile(report, tex, engine)
            write_sidecar(self.build_dir / f"{report.id}.provenance.json", self.source,
                          [records[e.name] for e in report.experiments])
            page_map = format_page_map(read_page_map(tex.with_suffix(".aux")))
            if page_map:
                self._note(report, logging.INFO, f"{report.id} page map:\n{page_map}")
            return pdf


def _plot_jobs() -> int:
    """Processes for drawing figures: the sweep's `--jobs` (local cores, even with a cluster)."""
    from report import sweep

    return sweep.SETTINGS.jobs


def _write_stamp(out: Path, stamp: Path | None, key: str) -> None:
    """Record that `out` is current for `key`; with no stamp (drawn from code edited during the
    build), remove any old one, so that the next build draws the figure again."""
    if stamp is None:
        out.with_suffix(".key").unlink(missing_ok=True)
    else:
        stamp.write_text(key)


def _draw(fn: Any, inputs: dict[str, Any], out: Path, what: str, one_thread: bool = False) -> float:
    """Draw one figure, here or in a worker; its seconds. A programming error in the figure's
    code comes back as the BuildError with its frames, formatted where the traceback is."""
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    # One BLAS thread per worker, so that N drawing processes use N cores, not N x cores.
    with threadpool_limits(1, user_api="blas") if one_thread else nullcontext():
        try:
            fn(inputs, out)
        except Exception as err:
            raise _user_code_error(err, what) from None
    return time.perf_counter() - start


def _draw_nth(calls: list[tuple], n: int) -> float:
    """`_draw` of the n-th of `calls`, in a worker of `report.workers.forked_pool`."""
    return _draw(*calls[n], one_thread=True)


def _config_lines(config: dict, width: int = 95) -> list[str]:
    """An experiment's configuration as JSON, wrapped to fit the page."""
    return textwrap.wrap(json.dumps(config, sort_keys=True), width) or ["{}"]


def _seeds_of(config: dict) -> str:
    """The seeds a configuration names, in words."""
    seeds = config_seeds(config)
    if not seeds:
        return "no randomness"
    return ("seed " if len(seeds) == 1 else "seeds ") + numbers.seed_list(seeds)


def _rel(path: str | None) -> str:
    return display(Path(path), ROOT) if path else "<template>"


def _context_values(report: Report, results: dict[str, Any]) -> dict[str, Any]:
    """The template variables of `report.context`: each of its functions' dicts, in order."""
    merged: dict[str, Any] = {}
    for fn in report.context_fns:
        extra = fn(results)
        if twice := sorted(merged.keys() & extra.keys()):
            raise BuildError(f"{report.id}: {fn.__qualname__}() gives {', '.join(twice)}, "
                             "which an earlier context function gave")
        merged.update(extra)
    return merged


def _written_for_user() -> tuple[type[BaseException], ...]:
    """Errors whose message is meant for the user as it is (one line, no traceback)."""
    from derivations import DerivationError
    from model.data import DataError
    from model.train import Diverged
    from report.compile import LatexError
    from report.config import ConfigError

    return (BuildError, ClaimError, DerivationError, DataError, Diverged, LatexError,
            ConfigError, jinja2.TemplateError)


# The build engine: its frames are left out of the traceback a user's error is shown with.
_ENGINE = {ROOT / "build.py", *(p for p in (ROOT / "report").glob("*.py"))}


def _is_user_frame(filename: str) -> bool:
    path = Path(filename)
    if path.suffix == ".j2":
        return True
    try:
        rel = path.resolve().relative_to(ROOT)
    except ValueError:
        return False
    return rel.parts[0] not in (".venv", "build") and path.resolve() not in _ENGINE


def _user_code_error(err: Exception, what: str) -> Exception:
    """A programming error in a report's own code, as a short traceback of its frames.

    Errors written for the user, and errors raised in no frame of the user's (a bug of the
    engine), come back unchanged; the caller re-raises them.
    """
    if isinstance(err, _written_for_user()):
        return err
    frames = [f for f in traceback.extract_tb(err.__traceback__) if _is_user_frame(f.filename)]
    if not frames:
        return err
    lines = [f"{what} raised {type(err).__name__} (traceback of the report's code):"]
    for frame in frames[-8:]:
        lines.append(f"  {_rel(frame.filename)}:{frame.lineno}, in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    last = frames[-1]
    lines.append(f"{_rel(last.filename)}:{last.lineno}: {type(err).__name__}: {err}")
    return BuildError("\n".join(lines))


def _template_location(err: BaseException) -> str:
    """`templates/x.tex.j2:12: ` from the innermost template frame of a traceback, if any."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.endswith(".j2"):
            return f"{_rel(frame.filename)}:{frame.lineno}: "
    return ""
