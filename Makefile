# One task vocabulary for people, git hooks and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.ONESHELL:

VENV := .venv
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/$(TOOLS)/bin/uv)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DVC_NO_ANALYTICS := 1
export MLFLOW_DISABLE_TELEMETRY := true
export GX_ANALYTICS_ENABLED := false
export PYTHONHASHSEED := 0

$(CURDIR)/$(TOOLS)/bin/uv:
	@echo "uv not found: installing it into $(TOOLS)/"
	python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

.PHONY: help setup repro test test-fast params check-params report lint format clean suite serve predict mlflow-ui reproduce bench
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(VENV)/.synced ## Create or update .venv from uv.lock (bootstraps uv if absent)

repro: setup ## Run the whole pipeline on the configured dataset (dvc repro)
	dvc repro

test: setup ## Run the whole test suite, end-to-end tests included
	pytest

test-fast: setup ## Run the tests that take seconds (not the end-to-end ones)
	pytest -m "not slow"

params: setup ## Recompose params.yaml from conf/ (ARGS="model=rf data=tiny" for overrides)
	python -m stages.compose $(ARGS)

check-params: setup ## Fail if params.yaml differs from what conf/ composes to
	python -m stages.compose --check

suite: setup ## Profile DATA=<name> into a starter conf/validation/<name>.yaml (FORCE=1 replaces)
	python -m stages.suite $(DATA) $(if $(FORCE),--force)

BASE ?= main
report: setup ## Markdown report of the workspace (or REV=...) vs BASE=main in pr-report/; exit 1 on regression
	python -m stages.report --base $(BASE) $(if $(REV),--rev $(REV)) --output pr-report

reproduce: setup ## Re-run the commit behind MODEL=models:/<name>/<version>; say if metrics match
	python -m stages.reproduce "$(MODEL)"

PORT ?= 5001
serve: setup ## Serve the champion on 127.0.0.1:5001 (PORT=...; mlflow models serve, local env)
	python -m stages.tracking serve --port $(PORT)

predict: setup ## Score INPUT=rows.csv|parquet into OUTPUT=... with the champion (MODEL_URI=... optional)
	python -m stages.predict --input "$(INPUT)" --output "$(OUTPUT)" $(if $(MODEL_URI),--model-uri "$(MODEL_URI)")

mlflow-ui: setup ## Browse runs and models of this repository's store on 127.0.0.1:5000
	python -m stages.tracking ui

bench: setup ## Pipeline cost vs the same ML work in one process (SIZES=tiny,adult,1m RUNS=1) → reports/bench.json
	python -m benchmarks.bench --sizes $(or $(SIZES),tiny,adult,1m) --runs $(or $(RUNS),1)

lint: setup ## Ruff lint and format check
	ruff check . && ruff format --check .

format: setup ## Ruff fix and format
	ruff check --fix . && ruff format .

clean: ## Remove pipeline outputs (not the DVC cache, not .venv)
	rm -rf data/prepared models/model reports/figures
