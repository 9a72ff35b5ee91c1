"""The build engine: experiments, caches, sweeps, templates, LaTeX and the PDF checks."""

import time

STARTED_NS = time.time_ns()
"""When this process first imported the build engine, which it does before any report or model
module: a source file modified after this may have been imported in either version, so a
result keyed by its content is not kept (`report.cache.edited_since_start`)."""
