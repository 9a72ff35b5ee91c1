"""Run one report's run and plot steps as a separate process, then print what they produced.

The MNIST reports' claims hold only on the canonical data, so on the tests' fake MNIST the
build stops at render by design; this checks everything before it (experiments, their cache,
figures) through the Builder, in a fresh process so the environment reaches every worker.
The front matter is report.toml's without its `[data] mnist_dir`, so that the files read are
$MNIST_DIR's (the fake set) even where the canonical ones lie in that folder.
Usage: run_steps.py REPORT_ID BUILD_DIR; prints one JSON object.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report import registry  # noqa: E402
from report.config import load_config  # noqa: E402
from report.pipeline import Builder  # noqa: E402
from report.workers import workers_die_with_build  # noqa: E402

if __name__ == "__main__":
    report = registry.load(sys.argv[1])
    root = Path(__file__).resolve().parent.parent
    with workers_die_with_build():
        config = dataclasses.replace(load_config(root / "report.toml"), mnist_dir=None)
        builder = Builder(Path(sys.argv[2]).resolve(), config)
        records = builder.run(report)
        builder.plot(report, records)
    print(json.dumps({
        "experiments": {name: {"key": rec.key, "data": rec.data, "cached": rec.cached,
                               "fields": sorted(rec.result) if isinstance(rec.result, dict)
                               else []}
                        for name, rec in records.items()},
        "figures": {f.name: builder.figure_path(report, f).stat().st_size
                    for f in report.figures},
    }))
