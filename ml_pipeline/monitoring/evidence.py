"""Gather the evidence of each scored batch: drift per column and of the predictions, realised
metrics with intervals, shadow comparison. Reads the `score` stage's outputs (the contract in
docs/monitoring.md); the decision is monitoring/policy.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ml_pipeline.core.config import DataConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.core.monitor_config import MonitorConfig
from ml_pipeline.monitoring.drift import column_drifts, prediction_drift
from ml_pipeline.monitoring.policy import BatchEvidence
from ml_pipeline.monitoring.realised import (
    disagreement,
    labelled,
    paired_difference,
    realised,
    scored_batch,
)


def scored_batches(report: dict[str, Any], folder: Path) -> dict[str, pd.DataFrame]:
    """The batches `score` scored (status `scored`), in arrival (name) order; a refused batch is
    left out (score.json says why)."""
    batches = report.get("batches") or {}
    found = {}
    for name in sorted(batches):
        if batches[name].get("status") != "scored":
            continue
        path = folder / f"{name}.parquet"
        if not path.is_file():
            raise StageError(
                f"{path}: missing, though reports/score.json says batch {name!r} was scored; "
                "run the score stage again (dvc repro -f score)"
            )
        found[name] = pd.read_parquet(path)
    return found


def compared_columns(data: DataConfig) -> tuple[list[str], list[str]]:
    """Numbers and categories (ordinal ones too) the model reads, less the time column: a time
    stamp always lies past the training period (docs/monitoring.md)."""
    numeric = [c for c in data.numeric if c != data.time_column]
    categorical = [c for c in [*data.categorical, *data.ordinal] if c != data.time_column]
    return numeric, categorical


def classes_of(reference: pd.DataFrame, data: DataConfig) -> tuple[list[str], str | None]:
    """The model's classes (sorted, as scikit-learn orders them) and the positive one; no
    classes and None for regression."""
    if data.task == "regression":
        return [], None
    classes = sorted(reference[data.target].dropna().astype(str).unique())
    positive = data.positive_label if data.positive_label is not None else classes[-1]
    return classes, positive


def batch_evidence(
    name: str,
    batch: pd.DataFrame,
    reference: pd.DataFrame,
    data: DataConfig,
    cfg: MonitorConfig,
    metric: str,
    champion_value: float | None,
    seed: int,
) -> tuple[BatchEvidence, dict[str, float | None]]:
    """One batch's evidence for the policy, and its shadow numbers (empty without challenger)."""
    numeric, categorical = compared_columns(data)
    rows = labelled(batch, data.target)
    classes, positive = classes_of(reference, data)
    champion = judged = None
    if len(rows) >= cfg.min_rows and (positive is None or rows[data.target].nunique() > 1):
        champion = scored_batch(rows, data.target, classes, positive)
    if champion is not None:
        judged = realised(champion, seed)
    evidence = BatchEvidence(
        name=name,
        rows=len(batch),
        labelled=len(rows),
        metric=metric,
        columns=tuple(column_drifts(reference, batch, numeric, categorical, cfg.bins)),
        prediction=prediction_drift(reference, batch, cfg.bins),
        realised=judged or {},
        champion_value=champion_value,
    )
    shadow: dict[str, float | None] = {}
    rate = disagreement(batch, data.task)
    if rate is not None:
        shadow["disagreement"] = rate
        prefix = "challenger_"
        challenger = (
            scored_batch(rows, data.target, classes, positive, prefix) if champion else None
        )
        if champion is not None and challenger is not None:
            shadow |= paired_difference(champion, challenger, metric, seed)
    return evidence, shadow
