"""Shared fixtures: the canonical MNIST folder, PDF text extraction, a tiny report."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"

# Tests and CI read the canonical MNIST files that sit beside the checkout.
if SHARED_MNIST.is_dir():
    os.environ.setdefault("MNIST_DIR", str(SHARED_MNIST))

needs_tex = pytest.mark.skipif(
    shutil.which("latexmk") is None or shutil.which("pdftotext") is None,
    reason="TeX Live / poppler-utils not installed (make test installs them)",
)


def pdf_text(pdf: Path) -> str:
    """The text of a PDF as pdftotext reads it, with typographic minus signs made plain."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    return out.replace("\u2212", "-")
