"""What `monitor` writes: the flat numbers of monitor.json (what `dvc metrics diff` compares),
the per-batch history table (`dvc plots`), the decision record and one line per batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ml_pipeline.core.monitor_config import MonitorConfig
from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES
from ml_pipeline.monitoring.policy import RETRAIN, BatchEvidence, Decision, drift_score, drifted

Shadow = Mapping[str, float | None]


def batch_numbers(
    evidence: BatchEvidence, shadow: Shadow, cfg: MonitorConfig
) -> dict[str, float | int]:
    """A batch's numbers, flat: rows, drift score, drifted columns, prediction PSI, PSI and
    missing share per column, realised metrics with bounds, shadow numbers (nulls left out)."""
    numbers: dict[str, float | int | None] = {
        "rows": evidence.rows,
        "labelled": evidence.labelled,
        "drift_score": drift_score(evidence),
        "drifted_columns": sum(drifted(c, cfg) for c in evidence.columns),
        "prediction_psi": evidence.prediction.psi if evidence.prediction else None,
    }
    for column in evidence.columns:
        numbers[f"psi.{column.column}"] = column.psi
        numbers[f"missing.{column.column}"] = column.missing_batch
    numbers |= {f"realised.{k}": v for k, v in evidence.realised.items()}
    numbers |= {f"shadow.{k}": v for k, v in shadow.items()}
    return {k: v for k, v in numbers.items() if v is not None}


def monitor_metrics(
    evidence: list[BatchEvidence],
    shadows: Sequence[Shadow],
    decision: Decision,
    cfg: MonitorConfig,
) -> dict[str, float | int]:
    """monitor.json: `batches`, `retrain` (1 or 0), the champion's test value of the metric,
    `latest.*` (the newest batch: what a commit-to-commit diff compares) and `batch.<name>.*`."""
    flat: dict[str, float | int] = {
        "batches": len(evidence),
        "retrain": int(decision.decision == RETRAIN),
    }
    if evidence and evidence[-1].champion_value is not None:
        flat[f"champion.{evidence[-1].metric}"] = evidence[-1].champion_value
    for position, (e, shadow) in enumerate(zip(evidence, shadows, strict=True)):
        numbers = batch_numbers(e, shadow, cfg)
        flat |= {f"batch.{e.name}.{k}": v for k, v in numbers.items()}
        if position == len(evidence) - 1:
            flat |= {f"latest.{k}": v for k, v in numbers.items()}
    return flat


HISTORY_COLUMNS = [
    "step",
    "batch",
    "rows",
    "labelled",
    "columns",
    "drifted_columns",
    "drift_score",
    "prediction_psi",
    "metric",
    "realised",
    "realised_lower",
    "realised_upper",
    "champion_test",
]


def history(evidence: list[BatchEvidence], cfg: MonitorConfig) -> pd.DataFrame:
    """One row per batch in arrival order (`step` 1, 2, …): drift score and realised metric."""
    rows = []
    for step, e in enumerate(evidence, start=1):
        low, high = (e.realised.get(e.metric + s) for s in INTERVAL_SUFFIXES)
        rows.append(
            [
                step,
                e.name,
                e.rows,
                e.labelled,
                len(e.columns),
                sum(drifted(c, cfg) for c in e.columns),
                drift_score(e),
                e.prediction.psi if e.prediction else None,
                e.metric,
                e.realised.get(e.metric),
                low,
                high,
                e.champion_value,
            ]
        )
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def decision_record(decision: Decision, version: str | None) -> dict:
    """reports/monitor_decision.json, the one file the nightly flow reads."""
    return {
        "decision": decision.decision,
        "reasons": list(decision.reasons),
        "batches": list(decision.batches),
        "champion_version": version,
    }


def batch_line(row: Mapping[str, Any]) -> str:
    """`2026-12-01: 1,000 rows (800 labelled), 0/14 columns drifted (max PSI 0.030), prediction
    PSI 0.010, roc_auc 0.9210 [0.9000, 0.9400] vs test 0.9273`, from a row of `history` (as
    written or read back from the CSV): what `monitor` and `make monitor` print per batch."""

    def known(key: str) -> float | None:
        value = row.get(key)
        return None if value is None or pd.isna(value) else float(value)

    line = (
        f"{row['batch']}: {int(row['rows']):,} rows ({int(row['labelled']):,} labelled), "
        f"{row['drifted_columns']}/{row['columns']} columns drifted "
        f"(max PSI {known('drift_score') or 0:.3f})"
    )
    if known("prediction_psi") is not None:
        line += f", prediction PSI {known('prediction_psi'):.3f}"
    value, low, high = known("realised"), known("realised_lower"), known("realised_upper")
    if value is not None and low is not None and high is not None:
        line += f", {row['metric']} {value:.4f} [{low:.4f}, {high:.4f}]"
        if known("champion_test") is not None:
            line += f" vs test {known('champion_test'):.4f}"
    return line


def shadow_line(shadow: Shadow, metric: str, task: str) -> str:
    """`challenger disagrees on 4.8 % of rows; champion − challenger roc_auc +0.0149 (95 %:
    +0.0090 to +0.0217)` (regression: the mean absolute difference of the predictions)."""
    rate = shadow.get("disagreement")
    if rate is None:
        return ""
    line = (
        f"challenger disagrees on {rate:.1%} of rows"
        if task == "classification"
        else f"challenger's predictions differ by {rate:.4g} on average"
    )
    diff, low, high = (shadow.get("difference" + s) for s in ("", *INTERVAL_SUFFIXES))
    if diff is not None and low is not None and high is not None:
        line += f"; champion − challenger {metric} {diff:+.4f} (95 %: {low:+.4f} to {high:+.4f})"
    return line
