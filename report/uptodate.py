"""Whether a report's last build is still current, decided without importing the build engine.

After a successful build, a stamp in build/<id>/ records a digest of everything that build
could have read: every file of the project tree (not only the modules the report imports), the
config file, the MNIST folders' listings, the Python, package and TeX installations, the
environment variables the build reads, and the git state the provenance appendix prints. It
also records the size and modification time of every output. A later build whose digest is the
same and whose outputs are untouched has nothing to do. Any difference, or any doubt (no stamp,
an unreadable one, a file that cannot be read), means the normal build, whose caches rerun only
what is stale: this shortcut can only skip a build whose every input is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP_FORMAT = 1
# Folders at the project's top that hold no input of a build; caches anywhere.
_TOP_SKIP = frozenset({".venv", "build", ".git"})
_ANY_SKIP = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache",
                       ".hypothesis"})
# Every variable the build, its data loaders and TeX read (PATH picks the TeX and git binaries).
ENV_VARS = ("MNIST_DIR", "MNIST_UNVERIFIED", "MNIST_MIRROR", "NNREPORT_CACHE", "XDG_CACHE_HOME",
            "HOME", "PATH", "TEXINPUTS", "TEXMFHOME", "TEXMFVAR", "TEXMFCONFIG", "LANG",
            "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # the last two: the BLAS kernel
# Installing or removing any Debian package (TeX Live, a font) rewrites the first; the font
# folders of the user change when a font is added to them.
SYSTEM_FILES = (Path("/var/lib/dpkg/status"), Path.home() / ".fonts",
                Path.home() / ".local" / "share" / "fonts")


def _update_tree(digest: hashlib._Hash, root: Path, skip: set[Path]) -> None:
    """Every file under `root` (but `skip` and the caches), by relative path and content."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in _ANY_SKIP
                         and not (here == root and d in _TOP_SKIP)
                         and (here / d).resolve() not in skip)
        for name in sorted(files):
            path = here / name
            content = path.read_bytes()
            # The length too, so that no two trees run together into the same bytes.
            digest.update(f"{path.relative_to(root)}\0{len(content)}\0".encode())
            digest.update(content)


def _listing(folder: Path | None) -> list[tuple[str, int, int]]:
    """(name, size, mtime) of the files directly in `folder`: where MNIST files are looked for."""
    if folder is None or not folder.is_dir():
        return []
    return sorted((p.name, st.st_size, st.st_mtime_ns) for p in folder.iterdir()
                  if p.is_file() and (st := p.stat()))


def _stat(path: Path | None) -> tuple[str, int, int] | None:
    if path is None or not path.exists():
        return None
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _packages() -> list[str]:
    """The numeric packages' versions (as cache keys read them) and every installed
    distribution's metadata folder, whose name carries its version."""
    import importlib.metadata

    from report.cache import NUMERIC_PACKAGES

    found = []
    for name in NUMERIC_PACKAGES:
        try:
            found.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    for entry in sys.path:
        if entry and os.path.isdir(entry):
            found.extend(sorted(f"{entry}/{n}" for n in os.listdir(entry)
                                if n.endswith((".dist-info", ".egg-info", ".egg-link", ".pth"))))
    return found


def _tex() -> list[tuple[str, int, int] | None]:
    """The TeX programs, and the file index of a TeX Live installed outside Debian's packages
    (tlmgr rewrites it whenever it installs or updates a package). Both engines: the compile
    step picks pdfLaTeX for a document it can typeset when it is installed, else LuaLaTeX."""
    found = []
    for tool in ("latexmk", "lualatex", "pdflatex", "git"):
        where = shutil.which(tool)
        found.append(_stat(Path(where).resolve()) if where else None)
        if tool == "lualatex" and where and len(Path(where).resolve().parents) > 2:
            found.append(_stat(Path(where).resolve().parents[2] / "texmf-dist" / "ls-R"))
    return found


def _mnist_cache() -> Path:
    # As model.data.mnist_cache_dir, without importing pooch (its user cache is XDG's).
    root = os.environ.get("NNREPORT_CACHE")
    if root:
        return Path(root) / "mnist"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nnreport" / "mnist"


def inputs_digest(build_dir: Path, config_file: Path, mnist_dir: Path | None,
                  tex_only: bool, root: Path = ROOT) -> str:
    """A digest of every input a build of the project at `root` could read.

    Raises OSError when something cannot be read; the caller then simply builds.
    """
    from report.provenance import source_of

    digest = hashlib.sha256(f"nnreport stamp {STAMP_FORMAT} tex_only={tex_only}\0".encode())
    _update_tree(digest, root, {build_dir.resolve()})
    config_file = config_file.resolve()
    facts = {
        "python": [sys.version, sys.executable],
        "packages": _packages(),
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "tex": _tex(),
        "system": [_stat(path) for path in SYSTEM_FILES],
        "config": [str(config_file), config_file.read_bytes().hex() if config_file.exists()
                   else None],
        "mnist": [_listing(mnist_dir), _listing(Path(os.environ["MNIST_DIR"]))
                  if os.environ.get("MNIST_DIR") else [], _listing(_mnist_cache())],
        "git": list(source_of(root).__dict__.values()),
    }
    digest.update(json.dumps(facts, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Stamp:
    """What a successful build of one report leaves behind for the next to compare with."""

    digest: str
    product: str  # what the build was for: the PDF, or the .tex with --tex-only
    template_dirs: tuple[str, ...]
    outputs: tuple[tuple[str, int, int], ...]
    # (logging level, line) of what the build logged for the user: warnings, the page map.
    messages: tuple[tuple[int, str], ...]


def stamp_path(build_dir: Path, report_id: str, tex_only: bool) -> Path:
    return build_dir / report_id / ("current-tex.json" if tex_only else "current.json")


def _with_template_dirs(digest: str, template_dirs: Iterable[str]) -> str:
    """The digest extended by a report's own template folders outside the project tree."""
    extended = hashlib.sha256(digest.encode())
    for folder in template_dirs:
        path = Path(folder)
        if path.resolve().is_relative_to(ROOT.resolve()):
            continue  # already part of the tree
        extended.update(folder.encode() + b"\0")
        if path.is_dir():
            _update_tree(extended, path, set())
    return extended.hexdigest()


def current(build_dir: Path, report_id: str, tex_only: bool, digest: str) -> Stamp | None:
    """The stamp of the report's last build if nothing it read or wrote has changed since."""
    try:
        data = json.loads(stamp_path(build_dir, report_id, tex_only).read_text())
        stamp = Stamp(data["digest"], data["product"], tuple(data["template_dirs"]),
                      tuple(tuple(o) for o in data["outputs"]),
                      tuple((int(level), str(text)) for level, text in data["messages"]))
        if stamp.digest != _with_template_dirs(digest, stamp.template_dirs):
            return None
        if any(_stat(Path(path)) != (path, size, mtime) for path, size, mtime in stamp.outputs):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return stamp


def forget(build_dir: Path, report_id: str, tex_only: bool) -> None:
    """Make the report's stamp stale (its digest void, the rest kept for `last_seconds`): a
    build of it is starting, and may fail half way."""
    path = stamp_path(build_dir, report_id, tex_only)
    try:
        data = json.loads(path.read_text())
        data["digest"] = ""
        path.write_text(json.dumps(data, indent=1))
    except (OSError, ValueError, TypeError):
        path.unlink(missing_ok=True)


def last_seconds(build_dir: Path, report_id: str, tex_only: bool) -> float | None:
    """How long the report's last recorded build took, current or not (None if unknown): the
    longest builds are started first when several run side by side."""
    try:
        return float(json.loads(stamp_path(build_dir, report_id, tex_only).read_text())
                     ["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(build_dir: Path, report_id: str, tex_only: bool, digest: str, product: Path,
           template_dirs: Sequence[Path], outputs: Sequence[Path],
           messages: Sequence[tuple[int, str]], seconds: float = 0.0) -> None:
    """Write the stamp of a successful build; `digest` is the one taken before it started."""
    dirs = tuple(str(d) for d in template_dirs)
    stats = [_stat(Path(o)) for o in [product, *outputs]]
    if None in stats:
        return  # an output is missing: the next build must not be skipped
    path = stamp_path(build_dir, report_id, tex_only)
    text = json.dumps({"digest": _with_template_dirs(digest, dirs),
                       "product": str(Path(product).resolve()), "template_dirs": dirs,
                       "outputs": stats, "messages": list(messages), "seconds": seconds},
                      indent=1)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:
        pass  # no stamp costs the next build its time, nothing else
    finally:
        tmp.unlink(missing_ok=True)
