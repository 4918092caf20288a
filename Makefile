# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
BOOT := .venv-boot
UV := $(BOOT)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO := .demo

.PHONY: setup demo test test-fast dev serve bench-ingest bench-train bench-dbt infra-tools clean

$(UV):
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Re-sync only when the lock or project metadata change.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --extra pipeline --python $(PYTHON)
	touch $@

dbt_project/target/manifest.json: $(VENV)/.synced $(shell find dbt_project -name '*.sql' -o -name '*.yml' 2>/dev/null | grep -v target/)
	$(BIN)/dbt parse --quiet --project-dir dbt_project --profiles-dir dbt_project

setup: $(VENV)/.synced dbt_project/target/manifest.json

infra-tools:
	bash infra/bin/setup-tools.sh

demo: setup
	rm -rf $(DEMO)
	$(BIN)/retail sample --weeks 8 --baskets 400 --out $(DEMO)/landing
	$(BIN)/retail run --landing $(DEMO)/landing --home $(DEMO)/home

test: setup infra-tools
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" --ignore=tests/infra

# The Dagster UI on the demo home: lineage, runs, checks, the landing sensor.
dev: setup
	RETAIL_HOME=$(abspath $(DEMO)/home) DAGSTER_HOME=$(abspath $(DEMO)/home)/dagster $(BIN)/dagster dev -w workspace.yaml

serve: setup
	$(BIN)/retail serve --home $(DEMO)/home

bench-ingest: setup
	$(BIN)/python -m retail_assets.bench.ingest

# Seconds and peak memory per candidate on a home's training table (default: the demo's).
BENCH_HOME ?= $(DEMO)/home
bench-train: setup
	$(BIN)/python -m retail_assets.bench.train --home $(BENCH_HOME)

# dbt silver+gold on every real week from nothing, then one new week incrementally.
bench-dbt: setup
	$(BIN)/python -m retail_assets.bench.dbt_build

clean:
	rm -rf $(DEMO) $(VENV) $(BOOT) .venv-infra dbt_project/target dbt_project/logs
