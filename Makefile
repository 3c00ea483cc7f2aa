# The project's vocabulary: `make demo` and `make test` are the whole Quickstart.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv installs from the committed uv.lock (hashes for every package); where it is missing, a private copy.
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.uv/bin/uv)
SYNC := $(UV) sync --frozen

.PHONY: demo test lint browser screenshots bench notebook chromium clean lock runtime testenv

$(CURDIR)/.uv/bin/uv:
	$(PYTHON) -m venv .uv
	.uv/bin/pip install -q uv==$(UV_VERSION)

## runtime: what running needs (the runbook, JupyterLab, Voila, the sandbox), from uv.lock
runtime: $(UV)
	@$(SYNC) --inexact -q

## testenv: the runtime plus the test tools (the `test` dependency group)
testenv: $(UV)
	@$(SYNC) --group test -q

## lock: refresh uv.lock after changing pyproject.toml, and requirements.txt from it (pip, conda, CloudShell)
lock: $(UV)
	$(UV) lock --upgrade
	$(UV) export --frozen --no-dev --no-emit-project -q -o requirements.txt

## demo: run the runbook headless on the embedded sandbox
demo: runtime
	$(BIN)/runbook run -p user_name demo-admin --html

## chromium: Debian's chromium for the browser tests (Playwright's own download does not work here)
chromium:
	@if ! command -v chromium >/dev/null; then \
	  echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## lint: ruff (lint and format) and mypy
lint: testenv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## test: everything: lint, types, unit, sandbox, papermill, nbval, terminal and browser tests
test: testenv chromium lint
	$(BIN)/pytest -q -p no:cacheprovider

## browser: the panels in JupyterLab and Voila, in Debian's chromium
browser: testenv chromium
	$(BIN)/pytest -q -p no:cacheprovider tests/browser

## screenshots: refresh docs/screenshots from the Voila run
screenshots: testenv chromium
	RUNBOOK_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider -m browser tests/browser

## notebook: refresh the committed notebooks' outputs from headless sandbox runs
notebook: testenv
	$(BIN)/python -m tests.tools.refresh_notebook

## bench: the benchmark (see BENCHMARKS.md)
bench: testenv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .uv runs .pytest_cache .mypy_cache

## peer: moto's own IAM and STS tests in server mode against `runbook sandbox`, vs tests/peer/divergences.toml
## (UPDATE=1 writes the divergences this run saw to that list and the README, for review)
.PHONY: peer
peer: testenv
	$(BIN)/python -m tests.peer.run $(if $(UPDATE),--update)
