"""The pipeline as an Apache Airflow 3 DAG, built from dvc.yaml when Airflow parses this file.

One task per stage running `dvc repro --single-item <stage>`, the edges of `dvc dag`;
`retries`, `retry_delay` and the schedule come from the `orchestrate` section of conf/.
A stage's own error (exit 2) fails its task at once (AirflowFailException: no retries).
Scheduled, `start` refuses a dirty workspace, records it and composes params.yaml from conf/;
after the stages, `nightly` acts on the monitor's decision (`retrain`: append the labelled
batches, run the stages again; `ok`: nothing to publish), `publish` keeps the results on a
`retrain/<date>` branch, the monitoring evidence first in its report; if a stage failed,
`restore` puts the workspace back as `start` found it (orchestration/airflow_tasks.py). With
ML_PIPELINE_PUBLISH=0 (`make airflow-test`, run once) the stages run on params.yaml as it is
and nothing is published. The repository is $ML_PIPELINE_REPO, else the one holding this file.
Tasks pass only each stage's summary line through XCom.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException

from ml_pipeline.core.errors import StageError
from orchestration import airflow_tasks  # `start` below is the task, not the function
from orchestration.config import load_run_config
from orchestration.graph import read_graph
from orchestration.lock import RepositoryBusy, pipeline_lock
from orchestration.publish import PublishError
from orchestration.stage import StageFailed, run_stage

REPO = Path(os.environ.get("ML_PIPELINE_REPO") or Path(__file__).resolve().parents[1])
PUBLISH = os.environ.get("ML_PIPELINE_PUBLISH", "1") != "0"
SETTINGS = load_run_config(REPO, [], from_conf=PUBLISH).orchestrate
GRAPH = read_graph(REPO)


def _start() -> str:
    """A refused workspace or a busy repository stops the run with its one line, no retry."""
    try:
        return airflow_tasks.start(REPO, PUBLISH, SETTINGS.lock_timeout_seconds)
    except (PublishError, RepositoryBusy, StageError) as exc:
        raise AirflowFailException(f"orchestrate: error: {exc}") from None


def _stage(stage: str) -> str:
    """Run one stage under the repository lock; its summary line is the task's XCom."""
    with pipeline_lock(REPO, SETTINGS.lock_timeout_seconds):
        try:
            return run_stage(REPO, stage)
        except StageFailed as exc:
            if exc.retryable:
                raise RuntimeError(exc.line) from None
            raise AirflowFailException(exc.line) from None


def _nightly() -> list[str]:
    """The monitor's decision; a stage that fails on the appended data fails the run, no retry."""
    try:
        return airflow_tasks.nightly(REPO, GRAPH.stages, PUBLISH, SETTINGS.lock_timeout_seconds)
    except StageFailed as exc:
        raise AirflowFailException(exc.line) from None
    except StageError as exc:
        raise AirflowFailException(f"orchestrate: error: {exc}") from None


def _publish() -> list[str]:
    return airflow_tasks.publish_results(REPO, SETTINGS, PUBLISH)


def _restore() -> str:
    return airflow_tasks.restore_workspace(REPO, SETTINGS.lock_timeout_seconds)


def _task_id(stage: str) -> str:
    return stage.replace("/", "__").replace(":", "__").replace(".", "_")


with DAG(
    dag_id="ml_pipeline",
    description="dvc.yaml's stages through `dvc repro`, results to a retrain/<date> branch",
    schedule=SETTINGS.cron,
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": SETTINGS.retries,
        "retry_delay": dt.timedelta(seconds=SETTINGS.retry_delay_seconds),
    },
    tags=["ml-pipeline"],
) as dag:
    start = PythonOperator(task_id="start", python_callable=_start, retries=0)
    tasks = {
        stage: PythonOperator(task_id=_task_id(stage), python_callable=_stage, op_args=[stage])
        for stage in GRAPH.stages
    }
    for upstream, downstream in GRAPH.edges:
        tasks[upstream] >> tasks[downstream]
    for stage in GRAPH.stages:
        if not GRAPH.upstream(stage):
            start >> tasks[stage]
    sinks = [tasks[s] for s in GRAPH.stages if not any(a == s for a, _ in GRAPH.edges)]
    nightly = PythonOperator(task_id="nightly", python_callable=_nightly, retries=0)
    sinks >> nightly >> PythonOperator(task_id="publish", python_callable=_publish, retries=0)
    [*tasks.values(), nightly] >> PythonOperator(
        task_id="restore", python_callable=_restore, trigger_rule="one_failed", retries=0
    )
