# monev — the two commands a user needs are `make up` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup up test lint bench clean prereqs

# What is missing from the system, one line each with its apt package (before building).
CHECK = setup
up: CHECK = up
test: CHECK = test
prereqs:
	@PY='$(PY)' tools/check_prereqs.sh $(CHECK)

setup: prereqs $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[dev]'
	$(BIN)/python -m compileall -q monev app flows tasks calendars notifiers portal reports
	touch $(STAMP)

up: setup
	$(BIN)/monev up --sink

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	tests/with_postgres.sh $(BIN)/pytest -n 2 --dist loadfile --durations=25

bench: setup
	$(BIN)/python bench/bench_plans.py

clean:
	rm -rf $(VENV) .monev .pytest_cache .mypy_cache .ruff_cache
