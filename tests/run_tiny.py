"""Run build.py's CLI on the tiny report, as a separate process (for kill and race tests).

TINY_SLEEP makes its experiment take that many seconds; TINY_X sets its input; TINY_WORKERS=1
runs the sleep in two joblib workers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).parent)]

from tiny_report import make_variant, slow_in_workers, slow_square  # noqa: E402

import build  # noqa: E402

if __name__ == "__main__":
    config = {"x": float(os.environ.get("TINY_X", "1.5")),
              "sleep": float(os.environ.get("TINY_SLEEP", "0"))}
    fn = slow_in_workers if os.environ.get("TINY_WORKERS") == "1" else slow_square
    sys.exit(build.main(sys.argv[1:], reports={"tiny": make_variant(fn, config)}))
