# Two commands do everything: `make pdf` builds every report, `make test` runs the tests.
# Both set themselves up first (virtual environment, pinned packages, TeX Live).
PY := .venv/bin/python

.PHONY: setup pdf test lint bench clean

setup:
	@bash tools/setup.sh

pdf: setup
	$(PY) build.py

test: setup
	$(PY) -m pytest -n 2 --dist loadfile -q

lint: setup
	$(PY) -m ruff check .

bench: setup
	$(PY) bench/train_speed.py

clean:
	rm -rf build
