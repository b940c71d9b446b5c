"""Stage `monitor`: compare each batch `score` scored with the champion's own training data,
measure its realised metrics where labels arrived, and decide `retrain` or `ok` by the policy
of conf/monitor/ (docs/monitoring.md)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ml_pipeline.core import paths, progress
from ml_pipeline.core.config import MonitorConfig, Params, load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import StageError, entry_point
from ml_pipeline.core.outputs import json_writer, publish, read_json
from ml_pipeline.features.recipe import model_data
from ml_pipeline.monitoring.card import since_release
from ml_pipeline.monitoring.evidence import batch_evidence, scored_batches
from ml_pipeline.monitoring.policy import BatchEvidence, Decision, decide
from ml_pipeline.monitoring.reference import load_reference
from ml_pipeline.monitoring.report import monitor_page
from ml_pipeline.monitoring.summary import batch_line, decision_record, history, monitor_metrics

DAY_MS = 86_400_000


@dataclass(frozen=True)
class Champion:
    """The version `score` pinned, as monitor needs it."""

    model: str
    version: str
    reference: pd.DataFrame
    test_metrics: Mapping[str, float]
    age_days: float | None = None


@dataclass(frozen=True)
class Monitoring:
    evidence: list[BatchEvidence]
    shadows: list[dict[str, float | None]]
    decision: Decision
    numbers: dict[str, float | int]
    page: str


def policy(params: Params) -> MonitorConfig:
    if params.monitor is None:
        raise StageError("params.yaml has no `monitor` section; run `make params` to compose it")
    return params.monitor


def run(params: Params, batches: dict[str, pd.DataFrame], champion: Champion | None) -> Monitoring:
    """Evidence per batch, the decision and what the outputs show (no batch: decision ok)."""
    cfg, data = policy(params), model_data(params)
    metric = params.registration.primary_metric
    evidence, shadows = [], []
    if champion is not None:
        for name, batch in batches.items():
            found, shadow = batch_evidence(
                name,
                batch,
                champion.reference,
                data,
                cfg,
                metric,
                champion.test_metrics.get(metric),
                params.seed,
            )
            evidence.append(found)
            shadows.append(shadow)
    version = champion.version if champion else None
    age = champion.age_days if champion else None
    decision = decide(evidence, cfg, version, age, params.split.method == "time")
    numbers = monitor_metrics(evidence, shadows, decision, cfg)
    title = f"Monitoring: {champion.model} v{version}" if champion else "Monitoring"
    reference = champion.reference if champion else None
    page = monitor_page(title, evidence, shadows, decision, reference, batches, cfg, data.task)
    return Monitoring(evidence, shadows, decision, numbers, page)


def load_champion(tracking: Any, report: dict[str, Any]) -> Champion:
    """The pinned champion's reference sample, test metrics and age, from its MLflow run."""
    pinned = report.get("champion") or {}
    model, version, run_id = report.get("model"), pinned.get("version"), pinned.get("run_id")
    if not (model and version and run_id):
        raise StageError(
            f"{paths.SCORE_REPORT}: scored batches but no champion model, version and run_id; "
            "run the score stage again (dvc repro -f score)"
        )
    from mlflow.exceptions import MlflowException

    client = tracking.client
    try:
        metrics = dict(client.get_run(run_id).data.metrics)
        created = client.get_model_version(model, str(version)).creation_timestamp
    except MlflowException:
        raise StageError(
            f"{paths.SCORE_REPORT}: {model} v{version} (run {run_id}) is not in "
            f"{tracking.store.shown_uri}; run the score stage again (dvc repro -f score)"
        ) from None
    reference = load_reference(client, run_id, str(version))
    age = (time.time() * 1000 - created) / DAY_MS if created else None
    return Champion(str(model), str(version), reference, metrics, age)


@entry_point("monitor")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    cfg = policy(params)
    report = read_json(paths.SCORE_REPORT)
    batches = scored_batches(report, paths.SCORED_DIR)
    tracking, champion = None, None
    if batches:
        from ml_pipeline.monitoring.tracking import log_monitoring
        from ml_pipeline.tracking.session import connect

        progress.quiet_mlflow()
        tracking = connect(params.tracking.experiment)
        champion = load_champion(tracking, report)
    result = run(params, batches, champion)
    decision = result.decision

    def log(staged: dict) -> None:  # before the files appear: all or nothing
        if tracking is not None and champion is not None:
            card = since_release(result.evidence, decision, cfg)
            model, version = champion.model, champion.version
            log_monitoring(
                tracking, model, version, decision.decision, result.numbers, staged, card
            )

    publish(
        {
            paths.MONITOR_REPORT: json_writer(result.numbers),
            paths.MONITOR_DECISION: json_writer(
                decision_record(decision, champion.version if champion else None)
            ),
            paths.MONITOR_HISTORY: lambda p: history(result.evidence, cfg).to_csv(p, index=False),
            paths.MONITOR_HTML: lambda p: p.write_text(result.page),
            **cost_output("monitor"),
        },
        before_moving=log,
    )
    for row in history(result.evidence, cfg).to_dict("records"):
        print(f"monitor: {batch_line(row)}")
    print(f"monitor: {decision.decision}: {'; '.join(decision.reasons)}")


if __name__ == "__main__":
    raise SystemExit(main())
