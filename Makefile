# The two commands: `make run` (everything up) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: run test lint format install lock stop clean check-deploy bench-help

run: $(STAMP)
	$(PY) -m umkm_enroll.devstack run

test: $(STAMP)
	$(PY) -m umkm_enroll.devstack test $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

install: $(STAMP)

# The virtual environment, installed from the lock file; redone only when the lock changes.
$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
	$(UV) pip install --quiet --python $(PY) --require-hashes -r requirements.lock
	touch $(STAMP)

# Regenerate requirements.lock after changing the ranges in pyproject.toml.
lock:
	test -x $(UV) || $(MAKE) $(STAMP)
	$(UV) pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --quiet -o requirements.lock

stop: $(STAMP)
	$(PY) -m umkm_enroll.devstack stop

clean: $(STAMP)
	$(PY) -m umkm_enroll.devstack clean

# Benchmarks (see README, "Benchmarks"); each prints its own figures.
bench-registry: $(STAMP)
	$(PY) -m umkm_enroll.devstack bench benchmarks/registry_search.py $(BENCH_ARGS)

bench-enrollments: $(STAMP)
	$(PY) -m umkm_enroll.devstack bench benchmarks/enrollment_bulk.py $(BENCH_ARGS)

bench-billing: $(STAMP)
	$(PY) -m umkm_enroll.devstack bench benchmarks/monthly_run.py $(BENCH_ARGS)

bench-import: $(STAMP)
	$(PY) -m umkm_enroll.devstack bench benchmarks/people_import.py $(BENCH_ARGS)

bench-dashboard: $(STAMP)
	$(PY) -m umkm_enroll.devstack bench benchmarks/dashboard.py $(BENCH_ARGS)

bench-cards: $(STAMP)
	$(PY) -m umkm_enroll.devstack bench benchmarks/card_batch.py $(BENCH_ARGS)
