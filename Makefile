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

# Headless Chromium and its driver (the page's browser test) and wrk (bench-serve), from Debian,
# when missing; the tests that need them skip, saying why, where they cannot be installed.
.PHONY: test-tools bench-serve
test-tools:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver wrk >/dev/null; } \
			|| echo "test-tools: could not install chromium/chromium-driver/wrk: the tests that need them will skip"; \
	else echo "test-tools: chromium, chromium-driver or wrk missing and apt-get unavailable (not root?): the browser test will skip"; fi

demo: setup
	rm -rf $(DEMO)
	$(BIN)/retail sample --weeks 8 --baskets 400 --out $(DEMO)/landing
	$(BIN)/retail run --landing $(DEMO)/landing --home $(DEMO)/home

# The tests, then the static checks: ruff (pyproject's configuration) and mypy over the code.
test: setup infra-tools test-tools
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check retail_assets serving tests
	$(BIN)/mypy

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" --ignore=tests/infra

# The Dagster UI on the demo home: lineage, runs, checks, the landing sensor.
dev: setup
	RETAIL_HOME=$(abspath $(DEMO)/home) DAGSTER_HOME=$(abspath $(DEMO)/home)/dagster $(BIN)/dagster dev -w workspace.yaml

serve: setup
	$(BIN)/retail serve --home $(DEMO)/home

# The benchmarks on the real weeks read DATA (default $RETAIL_REAL_DATA): a folder of the weekly files.
DATA ?= $(RETAIL_REAL_DATA)
bench-ingest: setup
	$(BIN)/python -m retail_assets.bench.ingest --data "$(DATA)"

# Seconds and peak memory per candidate on a home's training table (default: the demo's).
BENCH_HOME ?= $(DEMO)/home
bench-train: setup
	$(BIN)/python -m retail_assets.bench.train --home $(BENCH_HOME)

# The API as deployed (uvicorn, workers = cores) on a trained home (default: the demo's; `make demo`
# builds it), driven by wrk at c=1 and c=8: /health as the ceiling, /predict with one real 10-line
# basket, and a batch of 1,000 baskets. Figures in docs/benchmarks.md.
SERVE_HOME ?= $(DEMO)/home
bench-serve: setup test-tools
	@test -f $(SERVE_HOME)/lake/retail/artifacts/registry/index.json || { echo "no trained home at $(SERVE_HOME): run make demo (or SERVE_HOME=DIR)"; exit 2; }
	$(BIN)/python -m serving.bench_http --home $(SERVE_HOME)

# One new week (WEEK_FILE) on top of a trained home (WEEK_HOME, default the demo's): land, raw, dbt
# incremental, features, scores, quality, drift; no retrain. Ends with one JSON line (seconds_median).
WEEK_HOME ?= $(DEMO)/home
WEEK_FILE ?=
.PHONY: bench-week
bench-week: setup
	@test -n "$(WEEK_FILE)" || { echo "WEEK_FILE=path/to/transactions_YYYYWW.csv[.gz]: a week newer than $(WEEK_HOME)'s"; exit 2; }
	$(BIN)/python -m retail_assets.bench.week --home $(WEEK_HOME) --file "$(WEEK_FILE)" --repeat 3

# dbt silver+gold on every real week from nothing, then one new week incrementally.
bench-dbt: setup
	$(BIN)/python -m retail_assets.bench.dbt_build --data "$(DATA)"

# Storage formats, lake layouts and row groups on the weekly files of DATA, and the S3 side against moto.
.PHONY: bench-storage docs
bench-storage: setup
	@test -n "$(DATA)" || { echo "make bench-storage DATA=<folder of transactions_YYYYWW.csv[.gz] files>"; exit 2; }
	$(BIN)/python -m retail_assets.bench.storage --data "$(DATA)"

# dbt's documentation site with the catalog of the demo's DuckDB warehouse (runs the demo first if
# there is none), then every model and column that has no description.
$(DEMO)/home/warehouse.duckdb:
	$(MAKE) demo
docs: setup $(DEMO)/home/warehouse.duckdb
	RETAIL_LAKE=$(abspath $(DEMO)/home/lake) RETAIL_DUCKDB_PATH=$(abspath $(DEMO)/home/warehouse.duckdb) \
		$(BIN)/dbt docs generate --project-dir dbt_project --profiles-dir dbt_project --target-path $(abspath $(DEMO))/dbt-docs
	$(BIN)/python -m retail_assets.reports.dbt_docs $(DEMO)/dbt-docs
	@echo "open $(abspath $(DEMO))/dbt-docs/index.html, or: $(BIN)/dbt docs serve --project-dir dbt_project --profiles-dir dbt_project --target-path $(abspath $(DEMO))/dbt-docs"

clean:
	rm -rf $(DEMO) $(VENV) $(BOOT) .venv-infra dbt_project/target dbt_project/logs
