# Two commands do everything from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run reset-demo test lint bench clean redis-server chromium screenshots

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/skillport-connector serve

# The demo is served from a git copy in the data folder (edits are commits there): remove
# it and the next `make run` starts again from the demo as shipped.
reset-demo:
	rm -rf "$${SKILLPORT_DATA_DIR:-$$HOME/.local/share/skillport-connector}/demo-marketplace"

tests/oidc/node_modules/.installed: tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@

tests/conformance/node_modules/.installed: tests/conformance/package.json tests/conformance/package-lock.json
	cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Claude Code itself (offline, HOME in a temporary folder): `claude plugin validate` checks
# every tree the connector writes.
tests/claude/node_modules/.installed: tests/claude/package.json tests/claude/package-lock.json
	cd tests/claude && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's redis-server for the multi-instance tests (CI runs as root; elsewhere, install it).
redis-server:
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }

tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's chromium for the browser tests (Playwright drives it; it downloads no browser).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

test: $(VENV)/.test-installed tests/oidc/node_modules/.installed tests/conformance/node_modules/.installed \
		tests/claude/node_modules/.installed tests/browser/node_modules/.installed redis-server chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/catalog_bench.py
	$(BIN)/python benchmarks/pages_bench.py

# Screenshots of the web pages for the README (docs/screenshots/).
screenshots: $(VENV)/.test-installed chromium
	$(BIN)/python tests/browser/screenshots.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache
