# The project's vocabulary: `make demo` and `make test` are the whole Quickstart.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv installs from the committed uv.lock (hashes for every package); where it is missing, a private copy.
UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.uv/bin/uv)
SYNC := $(UV) sync --frozen

.PHONY: demo test lint browser screenshots bench notebook chromium axe clean lock runtime testenv

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

## axe: axe-core for the browser tests' accessibility checks, from npm, as pinned by its package-lock.json
AXE_DIR := tests/browser/axe
axe: $(AXE_DIR)/node_modules/axe-core/axe.min.js
$(AXE_DIR)/node_modules/axe-core/axe.min.js: $(AXE_DIR)/package.json $(AXE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "installing Debian's npm"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	cd $(AXE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## lint: ruff (lint and format) and mypy
lint: testenv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## test: everything: lint, types, unit, sandbox, papermill, nbval, terminal and browser tests
test: testenv chromium axe password-managers lint
	$(BIN)/pytest -q -p no:cacheprovider

## browser: the panels in JupyterLab and Voila, in Debian's chromium
browser: testenv chromium axe
	$(BIN)/pytest -q -p no:cacheprovider tests/browser

## screenshots: refresh docs/screenshots from the Voila run
screenshots: testenv chromium axe
	RUNBOOK_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider -m browser tests/browser

## notebook: refresh the committed notebooks' outputs from headless sandbox runs
notebook: testenv
	$(BIN)/python -m tests.tools.refresh_notebook

## bench: the benchmark (see BENCHMARKS.md): headless, then the panels' answers in the browser
bench: testenv chromium axe
	$(BIN)/python bench/run.py
	$(BIN)/python bench/browser.py

clean:
	rm -rf $(VENV) .uv runs .pytest_cache .mypy_cache $(AXE_DIR)/node_modules

## password-managers: Debian's keepassxc-cli, pass, pass otp (with oathtool) and gpg, for the secrets-store tests
.PHONY: password-managers
password-managers:
	@missing=""; \
	command -v keepassxc-cli >/dev/null || missing="$$missing keepassxc"; \
	command -v pass >/dev/null || missing="$$missing pass"; \
	test -e /usr/lib/password-store/extensions/otp.bash || missing="$$missing pass-extension-otp"; \
	command -v oathtool >/dev/null || missing="$$missing oathtool"; \
	command -v gpg >/dev/null || missing="$$missing gnupg"; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## peer: moto's own IAM and STS tests in server mode against `runbook sandbox`, vs tests/peer/divergences.toml
## (UPDATE=1 writes the divergences this run saw to that list and the README, for review)
.PHONY: peer
peer: testenv
	$(BIN)/python -m tests.peer.run $(if $(UPDATE),--update)
