"""Naive baselines scored beside every model, and skill scores (the gate's `beat_baseline`
check is in ml_pipeline/registry/promotion.py).

- Time series (a `features` recipe is active): the persistence forecast, the last known value of
  the target (`baseline_persistence`, built by `prepare`), or the seasonal naive one when
  `features.season` is set, or zero with `features.baseline: zero` (no change: for a target that
  is a return, persistence of the level). Classification uses the train split's class priors.
- Otherwise: the mean of the train split's target (regression), the majority class with the
  train split's class shares as probabilities (classification).

Skill = 1 − model error / baseline error, where the error of a higher-is-better metric (all of
them are at most 1: accuracy, R², ROC AUC, ...) is 1 − value: for R² it is 1 − MSE / MSE_baseline.
Which metrics are lower-is-better, and which get a skill score, is the metric catalog's
(evaluation/catalog.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core.config import Params
from ml_pipeline.evaluation.catalog import SKILL_METRICS, direction
from ml_pipeline.evaluation.metrics import classification_metrics, regression_metrics
from ml_pipeline.features.recipe import PERSISTENCE, SEASONAL


def baseline_metrics(params: Params, train: pd.DataFrame, test: pd.DataFrame) -> dict[str, Any]:
    """The baseline's test metrics (`baseline.<metric>`) and skill scores (`skill.<metric>`)."""
    target, truth = params.data.target, test[params.data.target]
    if params.data.task == "regression":
        if params.features.active and params.features.baseline == "zero":
            predicted = np.zeros(len(test))
        elif params.features.active:
            column = SEASONAL if params.features.season else PERSISTENCE
            predicted = test[column].to_numpy(dtype=float)
        else:
            predicted = np.full(len(test), float(train[target].mean()))
        return {f"baseline.{k}": v for k, v in regression_metrics(truth, predicted).items()}
    shares = train[target].astype(str).value_counts(normalize=True)
    classes = sorted(shares.index)
    proba = np.tile([float(shares[c]) for c in classes], (len(test), 1))
    majority = max(classes, key=lambda c: (shares[c], c))
    predicted = np.full(len(test), majority, dtype=object)
    metrics = classification_metrics(
        truth.astype(str), predicted, proba, classes, params.data.positive_label
    )
    return {f"baseline.{k}": v for k, v in metrics.items()}


def skill(metric: str, value: float | None, baseline: float | None) -> float | None:
    """1 − model error / baseline error; None when undefined (no value, or a perfect baseline)."""
    if value is None or baseline is None:
        return None
    lower = direction(metric) == "lower"
    model_error, baseline_error = (value, baseline) if lower else (1 - value, 1 - baseline)
    if baseline_error <= 0:
        return None
    return round(1.0 - model_error / baseline_error, 6)


def skill_scores(task: str, metrics: dict[str, Any]) -> dict[str, float | None]:
    """`skill.<metric>` for the task's skill metrics (the gate computes any other it needs),
    from the model's and the baseline's."""
    return {
        f"skill.{m}": skill(m, metrics.get(m), metrics.get(f"baseline.{m}"))
        for m in SKILL_METRICS[task]
    }
