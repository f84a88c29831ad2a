# The two commands of the README are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export LANGSMITH_TRACING := false

WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts

.PHONY: run test test-fast lint format bench setup setup-dev services web clean

## run: set up .venv, build the web client, migrate the database, serve everything on one port
run: setup web
	$(VENV)/bin/memadvisor db upgrade
	$(VENV)/bin/memadvisor serve --host $(HOST) --port $(PORT)

## test: set up .venv and web/, make sure MariaDB and Chromium are there, run every test:
## pytest (MariaDB tests included; tests start their own `chroma run` servers on free ports),
## the web unit tests, and the end-to-end run in Chromium against the real backend
test: setup-dev services web/node_modules/.installed
	$(PY) -m pytest
	cd web && npm test
	cd web && npm run e2e

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

# The dev setup has the [finetune] extra, so the slow training test runs in CI (torch: CPU build).
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[finetune]' --group dev
	touch $@

services:
	scripts/ensure-services.sh

## web: build the Vue client into web/dist (served by the API at /); skipped without npm
web:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web/dist/index.html; \
	else echo "npm not found: serving the API without the web client (see web/README.md)"; fi

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .langgraph_api web/node_modules web/dist
