# The project's vocabulary: `make demo` and `make test` are the whole Quickstart.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test lint browser screenshots bench notebook chromium clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

## demo: run the runbook headless on the embedded sandbox
demo: $(STAMP)
	$(BIN)/runbook run -p user_name demo-admin --html

## chromium: Debian's chromium for the browser tests (Playwright's own download does not work here)
chromium:
	@if ! command -v chromium >/dev/null; then \
	  echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

## lint: ruff (lint and format) and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## test: everything: lint, types, unit, sandbox, papermill, nbval, terminal and browser tests
test: $(STAMP) chromium lint
	$(BIN)/pytest -q -p no:cacheprovider

## browser: the panels in JupyterLab and Voila, in Debian's chromium
browser: $(STAMP) chromium
	$(BIN)/pytest -q -p no:cacheprovider tests/browser

## screenshots: refresh docs/screenshots from the Voila run
screenshots: $(STAMP) chromium
	RUNBOOK_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider -m browser tests/browser

## notebook: refresh the committed notebook's outputs from a headless sandbox run
notebook: $(STAMP)
	$(BIN)/python -m tests.tools.refresh_notebook

## bench: the benchmark (see BENCHMARKS.md)
bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache
