"""Run build.py in a project copy, simulating what a test cannot change for real.

$TINY_NUMPY_VERSION pretends numpy has that version; $TINY_MNIST_SHA_FROM makes the MNIST
loader accept the (small, generated) files of that folder as canonical. Both are read here,
in the test driver, never by the build.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

fake_numpy = os.environ.pop("TINY_NUMPY_VERSION", None)
if fake_numpy:
    real = importlib.metadata.version
    importlib.metadata.version = lambda name: fake_numpy if name == "numpy" else real(name)

sha_from = os.environ.pop("TINY_MNIST_SHA_FROM", None)
if sha_from:
    import hashlib

    from model import data

    for stem in data.MNIST_SHA256:
        digest = hashlib.sha256((Path(sha_from) / f"{stem}.gz").read_bytes()).hexdigest()
        data.MNIST_SHA256[stem] = (digest, digest)

import build  # noqa: E402

if __name__ == "__main__":
    sys.exit(build.main(sys.argv[1:]))
