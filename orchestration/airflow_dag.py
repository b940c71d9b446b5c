"""The pipeline as an Apache Airflow 3 DAG, built from dvc.yaml when Airflow parses this file.

One task per stage running `dvc repro --single-item <stage>`, the edges of `dvc dag`;
`retries`, `retry_delay` and the schedule come from params.yaml's `orchestrate` section.
A stage's own error (exit 2) fails its task at once (AirflowFailException: no retries).
After the stages, `publish` keeps the results on a `retrain/<date>` branch; if a stage failed,
`restore` puts the workspace back as `start` found it. The repository is $ML_PIPELINE_REPO,
else the one holding this file. Tasks pass only each stage's summary line through XCom.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowFailException

from orchestration.config import load_run_config
from orchestration.graph import read_graph
from orchestration.lock import pipeline_lock
from orchestration.publish import Snapshot, check_clean, publish, restore, snapshot
from orchestration.stage import StageFailed, run_stage

REPO = Path(os.environ.get("ML_PIPELINE_REPO") or Path(__file__).resolve().parents[1])
SNAPSHOT = REPO / ".dvc/tmp/orchestrate-snapshot.json"
SETTINGS = load_run_config(REPO, []).orchestrate
GRAPH = read_graph(REPO)


def _start() -> None:
    """Refuse a workspace with foreign changes; record it so a failed run can be undone."""
    with pipeline_lock(REPO, SETTINGS.lock_timeout_seconds):
        check_clean(REPO)
        before = snapshot(REPO)
    recorded = {"commit": before.commit, "untracked": sorted(before.untracked)}
    SNAPSHOT.write_text(json.dumps(recorded))


def _stage(stage: str) -> str:
    """Run one stage under the repository lock; its summary line is the task's XCom."""
    with pipeline_lock(REPO, SETTINGS.lock_timeout_seconds):
        try:
            return run_stage(REPO, stage)
        except StageFailed as exc:
            if exc.retryable:
                raise RuntimeError(exc.line) from None
            raise AirflowFailException(exc.line) from None


def _publish() -> list[str]:
    with pipeline_lock(REPO, SETTINGS.lock_timeout_seconds):
        done = publish(
            REPO,
            SETTINGS.branch_prefix,
            SETTINGS.base_branch,
            SETTINGS.git_remote,
            SETTINGS.push_data,
        )
    return list(done.notes)


def _restore() -> None:
    recorded = json.loads(SNAPSHOT.read_text())
    with pipeline_lock(REPO, SETTINGS.lock_timeout_seconds):
        restore(REPO, Snapshot(recorded["commit"], frozenset(recorded["untracked"])))


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
    sinks >> PythonOperator(task_id="publish", python_callable=_publish, retries=0)
    list(tasks.values()) >> PythonOperator(
        task_id="restore", python_callable=_restore, trigger_rule="one_failed", retries=0
    )
