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
	$(UV) sync --frozen --compile-bytecode --extra prefect
	@touch $@

# Airflow cannot share .venv with Prefect (FastAPI pins): its own venv, same lock, `airflow` extra.
AIRFLOW_VENV := .venv-airflow
AIRFLOW_ENV = AIRFLOW_HOME=$(CURDIR)/.airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/orchestration \
	AIRFLOW__CORE__LOAD_EXAMPLES=False PYTHONPATH=$(CURDIR) ML_PIPELINE_REPO=$(CURDIR)
$(AIRFLOW_VENV)/.synced: pyproject.toml uv.lock | $(UV)
	UV_PROJECT_ENVIRONMENT=$(AIRFLOW_VENV) $(UV) sync --frozen --extra airflow --no-default-groups
	@touch $@

.PHONY: orchestrate schedule prefect-server airflow-setup airflow-test airflow-schedule
# Stages score and monitor (docs/monitoring.md)
.PHONY: score monitor profile
.PHONY: help setup repro test test-fast mutants params exp check-params deps report lint format clean suite serve predict mlflow-ui reproduce hooks image vega mermaid plots exps exp-show bench dask-cluster dask-worker
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: $(VENV)/.synced ## Create or update .venv from uv.lock (bootstraps uv if absent)

repro: setup ## Run the whole pipeline on the configured dataset (dvc repro)
	dvc repro

# One worker per core (pytest-xdist); a file's tests stay on one worker, so module fixtures
# (a repository with the pipeline run once) are built once; the longest files are handed out
# first (tests/conftest.py LONGEST_FIRST), not the files with the most tests (xdist's default).
PYTEST_WORKERS ?= auto
test: setup ## Run the whole test suite, end-to-end tests included (PYTEST_WORKERS=1: serial)
	pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: setup ## Run the tests that take seconds (not end-to-end, no external service)
	pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not slow and not integration"

mutants: setup ## Apply one-line mutations of the code in a temp copy (its tests must pass unmutated); print which the fast tests miss
	python tools/mutants.py

params: setup ## Recompose params.yaml from conf/ (ARGS="model=rf data=tiny" for overrides)
	python -m commands.compose $(ARGS)

exp: setup ## dvc exp run -S each of S="model=rf model.n_estimators=300" (a misspelt name: one line naming the allowed ones; ARGS=--queue)
	python -m commands.compose --names $(S)
	dvc exp run $(foreach o,$(S),-S '$(o)') $(ARGS)

check-params: setup ## Fail if params.yaml differs from what conf/ composes to
	python -m commands.compose --check

deps: setup ## Regenerate the code deps of dvc.yaml's stages from their imports (ARGS=--check: only compare)
	python -m commands.deps $(ARGS)

suite: setup ## Profile DATA=<name> into a starter conf/validation/<name>.yaml (FORCE=1 replaces); TARGET=<col> also drafts conf/data, conf/register
	python -m commands.suite $(DATA) $(if $(FORCE),--force) $(if $(TARGET),--target "$(TARGET)")

BASE ?= main
report: setup ## Markdown report of the workspace (or REV=...) vs BASE=main in pr-report/; exit 1 on regression
	python -m commands.report --base $(BASE) $(if $(REV),--rev $(REV)) --output pr-report

reproduce: setup ## Re-run the commit behind MODEL=models:/<name>/<version>; say if metrics match
	python -m commands.reproduce "$(MODEL)"

PORT ?= 5001
serve: setup ## Serve the champion on 127.0.0.1:5001 (PORT=...; MLflow scoring app, readable 4xx: ml_pipeline/serving/app.py)
	python -m commands.mlflow_cli serve --port $(PORT)

predict: setup ## Score INPUT=rows.csv|parquet into OUTPUT=... with the champion (MODEL_URI=... optional)
	python -m commands.predict --input "$(INPUT)" --output "$(OUTPUT)" $(if $(MODEL_URI),--model-uri "$(MODEL_URI)")

monitor: setup ## Score and monitor the incoming batches (dvc repro monitor); one line per batch, then the decision
	dvc repro monitor && python -m commands.monitor summary

profile: setup ## Data profile (offline HTML) of DATA=<name>'s training data → reports/profile/<name>.html
	python -m commands.monitor profile "$(DATA)"
score: setup ## Score the batches of data/incoming/<dataset>/ with the champion (dvc repro score; docs/monitoring.md)
	dvc repro score

VEGA := $(TOOLS)/vega/vega.min.js $(TOOLS)/vega/vega-lite.min.js $(TOOLS)/vega/vega-embed.min.js
$(VEGA): commands/vendor.py | $(VENV)/.synced
	python -m commands.vendor vega

vega: $(VEGA) ## Fetch the pinned Vega scripts from npm into .tools/vega/ (for offline plots)

$(TOOLS)/mermaid/mermaid.min.js: commands/vendor.py | $(VENV)/.synced
	python -m commands.vendor mermaid

mermaid: $(TOOLS)/mermaid/mermaid.min.js ## Fetch the pinned mermaid from npm (the browser test renders the report's charts)

plots: setup $(VEGA) ## dvc plots page in dvc_plots/ that draws offline (REVS="main HEAD" compares)
	python -m commands.plots $(if $(REVS),diff $(REVS),show)

TAG ?= ml-pipeline-model:latest
image: setup ## Docker image serving the champion (MODEL_URI=..., TAG=...); context in build/image/
	python -m commands.image --tag "$(TAG)" $(if $(MODEL_URI),--model-uri "$(MODEL_URI)")

# `dvc exp show` columns that are bookkeeping, not results: costs, timings, counts, drift, code and
# data hashes, the config's plumbing (column lists, the validation contract, file names).
EXP_SHOW_DROP := (ml_pipeline|stages|data|models|reports)/.*|metrics\.json|(rows|test_file|train_file|splits|drift|validation|data|features|evaluate|report|tracking|orchestrate|search)\..*|fit_seconds|predict_ms_per_row|success|search
exp-show: setup ## dvc exp show without bookkeeping columns: ~70 of ~300 (ARGS=--only-changed, -A, ...)
	dvc exp show --drop '$(EXP_SHOW_DROP)' --keep '^data\.name$$' $(ARGS)

exps: setup ## Experiments with the columns people compare, best first, at 80 columns (ARGS=-A)
	python -m commands.exps $(ARGS)

# Dask workers unpickle the project's functions: PYTHONPATH puts the repository on their path.
DASK_WORKERS ?= 2
DASK_MEMORY ?= 2GB
dask-cluster: setup ## Dask scheduler + DASK_WORKERS workers × DASK_MEMORY here (prints its address and dashboard)
	PYTHONPATH=$(CURDIR) python -m commands.dask_cluster --workers $(DASK_WORKERS) --memory-limit $(DASK_MEMORY)

dask-worker: setup ## A Dask worker for SCHEDULER=tcp://host:8786 that can run this project's tasks
	PYTHONPATH=$(CURDIR) dask worker "$(SCHEDULER)" --nthreads 1 --memory-limit $(DASK_MEMORY)

mlflow-ui: setup ## Browse runs and models of this repository's store on 127.0.0.1:5000
	python -m commands.mlflow_cli ui

lint: setup ## Ruff lint and format check, mypy type check (pydantic plugin)
	ruff check . && ruff format --check . && mypy

hooks: setup ## Install the git hooks of .pre-commit-config.yaml (ruff, check-params, check-deps, secrets)
	pre-commit install
SIZES ?= tiny,adult,1m
RUNS ?= 1
bench: setup ## Pipeline cost vs the same ML work in one process (SIZES=tiny,adult,1m[,10m,10m-dask] RUNS=1) → reports/bench.json, docs/performance.md
	python -m benchmarks.bench --sizes $(SIZES) --runs $(RUNS) && python -m benchmarks.table

.PHONY: docs
docs: setup ## Build the documentation site (mkdocs.yml, docs/) into site/ in strict mode: broken links fail
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict -d site

format: setup ## Ruff fix and format
	ruff check --fix . && ruff format .

# ARGS holds Hydra overrides as for `make params` (ARGS="data=tiny cv=fast"); PUBLISH=1 keeps the
# results on a retrain/<date> branch (the scheduled runs always do).
orchestrate: setup ## Run the pipeline once as a Prefect flow, no server (ARGS=overrides, PUBLISH=1)
	python -m orchestration.prefect_flow run $(foreach o,$(ARGS),-S $(o)) $(if $(PUBLISH),--publish)

schedule: setup ## Serve the Prefect flow on orchestrate.cron; each run publishes a retrain branch
	python -m orchestration.prefect_flow serve $(foreach o,$(ARGS),-S $(o))

prefect-server: setup ## A Prefect server (API + UI) on 127.0.0.1:4200 for `make schedule`
	prefect server start --host 127.0.0.1 --port 4200

airflow-setup: $(AIRFLOW_VENV)/.synced ## Create .venv-airflow (Airflow 3) from uv.lock

airflow-test: airflow-setup ## Run the Airflow DAG once now on params.yaml, publishing nothing (`airflow dags test`)
	$(AIRFLOW_ENV) $(AIRFLOW_VENV)/bin/airflow db migrate >/dev/null
	$(AIRFLOW_ENV) ML_PIPELINE_PUBLISH=0 $(AIRFLOW_VENV)/bin/airflow dags test ml_pipeline -f $(CURDIR)/orchestration/airflow_dag.py

airflow-schedule: airflow-setup ## Airflow standalone (API server, scheduler) on 127.0.0.1:8080
	$(AIRFLOW_ENV) AIRFLOW__API__HOST=127.0.0.1 $(AIRFLOW_VENV)/bin/airflow standalone

clean: ## Remove pipeline outputs (not the DVC cache, not .venv)
	rm -rf data/prepared models/model reports/figures
