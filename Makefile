# The two commands of the README are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export LANGSMITH_TRACING := false

.PHONY: run test test-fast lint format bench setup setup-dev services clean

## run: set up .venv, migrate the database and serve the API on the embedded defaults
run: setup
	$(VENV)/bin/memadvisor db upgrade
	$(VENV)/bin/memadvisor serve --host $(HOST) --port $(PORT)

## test: set up .venv with the test tools, make sure MariaDB is up, run the whole suite
test: setup-dev services
	$(PY) -m pytest

## test-fast: the suite without the real model, servers and MariaDB
test-fast: setup-dev
	$(PY) -m pytest -m "not slow and not mysql"

## lint: ruff, formatting, strict mypy, codespell
lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/codespell agent api memory prompts memadvisor tests benchmarks README.md

format: setup-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: the retrieval benchmark on the LoCoMo development set
bench: setup-dev
	$(PY) -m benchmarks.locomo --data ../shared/data/locomo-dev

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed: pyproject.toml scripts/install-llama-cpp.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	scripts/install-llama-cpp.sh $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e . --group dev
	touch $@

services:
	scripts/ensure-services.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .langgraph_api
