"""Naive baselines scored beside every model, and skill scores (the gate's `beat_baseline`
check is in ml_pipeline/registry/promotion.py).

- Time-ordered regression (`data.time_column` set, with or without a `features` recipe): the
  STRONGEST naive forecast, metric by metric (directions from the metric catalog): persistence
  (the last known target: `baseline_persistence` from `prepare`, or without a recipe the previous
  row in time order), the seasonal naive one when `features.season` is set, the train split's
  mean, and zero (no change: for a target that is a change or a return, the persistence of the
  level). The config cannot pick a weaker one for the gate to beat.
- Other regression: the mean of the train split's target. Classification: the majority class
  with the train split's class shares as probabilities.

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
        scored = [regression_metrics(truth, p) for p in naive_forecasts(params, train, test)]
        return {f"baseline.{k}": _strongest(k, [m[k] for m in scored]) for k in scored[0]}
    shares = train[target].astype(str).value_counts(normalize=True)
    classes = sorted(shares.index)
    proba = np.tile([float(shares[c]) for c in classes], (len(test), 1))
    majority = max(classes, key=lambda c: (shares[c], c))
    predicted = np.full(len(test), majority, dtype=object)
    metrics = classification_metrics(
        truth.astype(str), predicted, proba, classes, params.data.positive_label
    )
    return {f"baseline.{k}": v for k, v in metrics.items()}


def naive_forecasts(params: Params, train: pd.DataFrame, test: pd.DataFrame) -> list[np.ndarray]:
    """The naive forecasts of a regression target on the test rows (the train mean first)."""
    data, features = params.data, params.features
    mean = float(train[data.target].mean())
    forecasts = [np.full(len(test), mean)]
    if not data.time_column:
        return forecasts
    if features.active:
        columns = [PERSISTENCE, SEASONAL] if features.season else [PERSISTENCE]
        forecasts += [test[c].to_numpy(dtype=float) for c in columns]
    else:  # no recipe: the previous row's target in time order (a train row for the first)
        both = pd.concat([train, test], ignore_index=True)[[data.time_column, data.target]]
        ordered = both.sort_values(data.time_column, kind="stable")
        previous = ordered[data.target].shift(1).sort_index().iloc[len(train) :]
        forecasts.append(previous.fillna(mean).to_numpy(dtype=float))
    return [*forecasts, np.zeros(len(test))]


def _strongest(metric: str, values: list[float | None]) -> float | None:
    """The best of the baselines' values of `metric` (None when none has one)."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    return max(known) if direction(metric) == "higher" else min(known)


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
