# hawk-dagster: every target bootstraps what it needs (uv, the venv); no service has to be running.
SHELL := /bin/bash
.DEFAULT_GOAL := help

HAWK_HOME ?= .hawk
export DAGSTER_HOME ?= $(abspath $(HAWK_HOME)/dagster)
# uv from PATH, else a private copy installed with pip under .hawk/tools.
UV := $(shell command -v uv 2>/dev/null || echo $(HAWK_HOME)/tools/bin/uv)
PY := .venv/bin/python
# The suite runs on PYTEST_WORKERS pytest-xdist workers, a test module per worker at a time (its module
# fixtures, e.g. a webserver, start once); PYTEST_WORKERS=0 runs it serially in one process.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?= --durations=30 -n $(PYTEST_WORKERS) --dist loadscope

.PHONY: help bootstrap browser demo dev test lint fmt schema clean

help:
	@echo "make demo   run examples/simple.eval-set.yaml end to end, offline"
	@echo "make test   run the test suite (starts its own PostgreSQL and S3 server)"
	@echo "make dev    start the Dagster UI + daemon on this code location"
	@echo "make lint   ruff + mypy"

$(HAWK_HOME)/tools/bin/uv:
	python3 -m venv $(HAWK_HOME)/tools
	$(HAWK_HOME)/tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

DBT_FILES := $(shell find dbt \( -path dbt/target -o -path dbt/logs -o -path dbt/dbt_packages \) -prune -o -type f \( -name '*.sql' -o -name '*.yml' \) -print)

# The dbt manifest is prepared at setup (dbt parse), never when the code location is imported.
dbt/target/manifest.json: .venv/.synced $(DBT_FILES)
	$(PY) -m hawk_dagster.warehouse.dbt_env --force

# Bytecode for the project's own code too (only changed files are compiled): where PYTHONDONTWRITEBYTECODE
# is set, Python would otherwise compile every module from source at each start.
bootstrap: .venv/.synced dbt/target/manifest.json
	@$(PY) -m compileall -q hawk_dagster assets resources sensors > /dev/null
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || cp deploy/local/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: bootstrap
	$(PY) -m hawk_dagster.cli.main demo

# `dagster dev` under a supervisor that stops the whole process tree on Ctrl-C / SIGTERM (see dev_server.py).
dev: bootstrap
	$(PY) -m hawk_dagster.cli.dev_server --port $${HAWK_DAGSTER_PORT:-3000}

# The auth tests' OIDC provider (npm oidc-provider), installed from its lock file when that changes.
OIDC_DIR := tests/fixtures/oidc
$(OIDC_DIR)/node_modules/.installed: $(OIDC_DIR)/package-lock.json
	npm ci --prefix $(OIDC_DIR) --no-audit --no-fund
	@touch $@

# The UI tests' browser (tests/ui): Debian's chromium, installed when missing and we are root, driven by
# playwright-core from the committed package-lock.json (it never downloads a browser of its own).
BROWSER_DIR := tests/fixtures/browser

$(BROWSER_DIR)/node_modules/.installed: $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

browser: $(BROWSER_DIR)/node_modules/.installed
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; \
		else echo "warning: /usr/bin/chromium is missing and we are not root: the tests/ui tests will fail (apt-get install chromium)"; fi; \
	fi

test: bootstrap $(OIDC_DIR)/node_modules/.installed browser
	.venv/bin/pytest $(PYTEST_ARGS)

lint: bootstrap
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

fmt: bootstrap
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

clean:
	rm -rf $(HAWK_HOME)/venvs $(HAWK_HOME)/logs .pytest_cache
