"""Shared fixtures: the canonical MNIST folder when there is one, a small fake MNIST folder that
is always there, PDF text extraction."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"

# A suite started in the background by a shell without job control inherits SIGINT ignored,
# and so would every build it starts: the Ctrl-C tests would then interrupt nothing. An ignored
# signal stays ignored across exec, a handled one starts at its default, so handle it here.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Tests may read the canonical MNIST files when they sit beside the checkout; no test needs them
# except those marked `needs_real_mnist`.
if SHARED_MNIST.is_dir():
    os.environ.setdefault("MNIST_DIR", str(SHARED_MNIST))


def real_mnist_folder() -> Path | None:
    """The folder of the canonical MNIST files the loader would use without downloading."""
    from model import data

    try:
        paths = [data._locate(stem, None, download=False) for stem in data.MNIST_SHA256]
    except data.DataError:
        return None
    return paths[0].parent if len({p.parent for p in paths}) == 1 else None


REAL_MNIST = real_mnist_folder()
needs_real_mnist = pytest.mark.skipif(
    REAL_MNIST is None,
    reason="needs the canonical MNIST files: set MNIST_DIR=<folder> (or run `make pdf` once "
           "to download them); everything else runs on a small fake MNIST",
)

needs_tex = pytest.mark.skipif(
    shutil.which("latexmk") is None or shutil.which("pdftotext") is None,
    reason="TeX Live / poppler-utils not installed (make test installs them)",
)


def pdf_text(pdf: Path) -> str:
    """The text of a PDF as pdftotext reads it, with typographic minus signs made plain."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return out.replace("\u2212", "-")


@dataclass(frozen=True)
class FakeMnist:
    """A folder in MNIST's format (the four gzip'd IDX files) and the arrays written to it."""

    folder: Path
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def sha256(self) -> dict[str, tuple[str, str]]:
        """Checksums in the form of `model.data.MNIST_SHA256` (gzip'd, decompressed)."""
        import hashlib

        from model.data import MNIST_SHA256

        sums = {}
        for stem in MNIST_SHA256:  # the loader reads the files in this order
            raw = (self.folder / f"{stem}.gz").read_bytes()
            sums[stem] = (hashlib.sha256(raw).hexdigest(),
                          hashlib.sha256(gzip.decompress(raw)).hexdigest())
        return sums


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fake_mnist(folder: Path, n_train: int = 6_000, n_test: int = 1_000,
                     seed: int = 0) -> FakeMnist:
    """Digit-like 28x28 images: each class is a bright stroke pattern of its own plus noise.

    Large enough for every loader split the reports use (5,000 validation images), small enough
    to train on in seconds. Classes are separable but 3% of the labels are random, so training
    curves go the usual way and a trained network still misreads a few test images.
    """
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 28, 28)) < 0.18) * rng.uniform(150, 255, (10, 28, 28))

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        classes = rng.integers(0, 10, n)
        labels = np.where(rng.random(n) < 0.03, rng.integers(0, 10, n), classes).astype(np.uint8)
        noise = rng.normal(0, 40, (n, 28, 28)) * (rng.random((n, 28, 28)) < 0.15)
        images = np.clip(prototypes[classes] * rng.uniform(0.6, 1.0, (n, 1, 1)) + noise, 0, 255)
        return np.rint(images).astype(np.uint8), labels

    folder.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = draw(n_train)
    test_images, test_labels = draw(n_test)
    for stem, array in (("train-images-idx3-ubyte", train_images),
                        ("train-labels-idx1-ubyte", train_labels),
                        ("t10k-images-idx3-ubyte", test_images),
                        ("t10k-labels-idx1-ubyte", test_labels)):
        (folder / f"{stem}.gz").write_bytes(gzip.compress(_idx(array), compresslevel=1, mtime=0))
    return FakeMnist(folder, train_images, train_labels, test_images, test_labels)


@pytest.fixture(scope="session")
def fake_mnist(tmp_path_factory: pytest.TempPathFactory) -> FakeMnist:
    """A small fake MNIST folder, written once per test session."""
    return write_fake_mnist(tmp_path_factory.mktemp("fake-mnist") / "mnist")


@pytest.fixture
def fake_mnist_env(fake_mnist: FakeMnist, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> FakeMnist:
    """The fake folder as $MNIST_DIR with $MNIST_UNVERIFIED=1, an empty cache, no mirror."""
    monkeypatch.setenv("MNIST_DIR", str(fake_mnist.folder))
    monkeypatch.setenv("MNIST_UNVERIFIED", "1")
    monkeypatch.setenv("NNREPORT_CACHE", str(tmp_path / "nnreport-cache"))
    monkeypatch.setenv("MNIST_MIRROR", "http://127.0.0.1:9/")
    return fake_mnist


def run_steps(report_id: str, build_dir: Path) -> dict:
    """The run and plot steps of a report in a fresh process (see run_steps.py); its summary."""
    import json
    import sys

    proc = subprocess.run([sys.executable, str(Path(__file__).parent / "run_steps.py"),
                           report_id, str(build_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])
