"""Test-set scoring: the one place that predicts on a split and computes its metrics.

Metrics are plain floats rounded so that metrics.json is stable byte for byte. scikit-learn is
imported where a metric is computed: `register` reads this module (via evaluation/baselines.py) and
never scores unless it re-evaluates a champion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core.config import DataConfig
from ml_pipeline.data.columns import features_and_target
from ml_pipeline.evaluation.calibration import calibration_metrics

DIGITS = 6
# MAPE is reported as null when some |target| is below this share of the mean |target|: there
# a percentage error means nothing (and a gate on it would pass or fail at random).
MAPE_NEAR_ZERO = 0.01


@dataclass(frozen=True)
class Scored:
    """A model's predictions on a split and their metrics (positive: binary tasks only)."""

    metrics: dict[str, float | None]
    features: pd.DataFrame
    target: pd.Series
    predicted: np.ndarray
    proba: np.ndarray | None
    classes: list[str]
    positive: str | None
    predict_seconds: float


def positive_class(classes: list[str], positive_label: str | None) -> str:
    """The class precision, recall, F1 and the curves score: data.positive_label, else the last
    (the second of two) in the model's sorted class order."""
    return positive_label if positive_label is not None else classes[-1]


def score(model: Any, frame: pd.DataFrame, data: DataConfig) -> Scored:
    """Predict on `frame` with a fitted pipeline and compute the task's test metrics."""
    features, target = features_and_target(frame, data)
    started = time.perf_counter()
    predicted = model.predict(features)
    seconds = time.perf_counter() - started
    if data.task == "regression":
        values = regression_metrics(target, predicted)
        return Scored(values, features, target, predicted, None, [], None, seconds)
    classes = [str(c) for c in model.classes_]
    proba = model.predict_proba(features)
    positive = positive_class(classes, data.positive_label)
    values = classification_metrics(target, predicted, proba, classes, positive)
    return Scored(values, features, target, predicted, proba, classes, positive, seconds)


def classification_metrics(
    y_true: pd.Series,
    y_pred: np.ndarray,
    proba: np.ndarray,
    classes: list[str],
    positive_label: str | None,
) -> dict[str, float | None]:
    """Accuracy, balanced accuracy, precision, recall, F1, ROC AUC, log loss, and the Brier
    score and ECE (evaluation/calibration.py).

    Binary tasks score the positive class (`positive_class`); multi-class tasks use macro
    averages and one-vs-rest ROC AUC.
    """
    from sklearn import metrics as skm

    binary = len(classes) == 2
    positive = positive_class(classes, positive_label)
    average = {"average": "binary", "pos_label": positive} if binary else {"average": "macro"}
    if binary:
        auc = skm.roc_auc_score(y_true == positive, proba[:, classes.index(positive)])
    else:
        auc = skm.roc_auc_score(y_true, proba, multi_class="ovr", labels=classes)
    values = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y_true, y_pred),
        "precision": skm.precision_score(y_true, y_pred, zero_division=0, **average),
        "recall": skm.recall_score(y_true, y_pred, zero_division=0, **average),
        "f1": skm.f1_score(y_true, y_pred, zero_division=0, **average),
        "roc_auc": auc,
        "log_loss": skm.log_loss(y_true, proba, labels=classes),
    }
    values |= calibration_metrics(np.asarray(y_true).astype(str), proba, classes, positive)
    return rounded(values)


def regression_metrics(y_true: pd.Series, y_pred: np.ndarray) -> dict[str, float | None]:
    """RMSE, MAE, R² and MAPE (a fraction; null when the target has values near zero, see
    `mape_defined`)."""
    from sklearn import metrics as skm

    values = {
        "rmse": skm.root_mean_squared_error(y_true, y_pred),
        "mae": skm.mean_absolute_error(y_true, y_pred),
        "r2": skm.r2_score(y_true, y_pred),
        "mape": skm.mean_absolute_percentage_error(y_true, y_pred)
        if mape_defined(y_true)
        else None,
    }
    return rounded(values)


def mape_defined(y_true: pd.Series) -> bool:
    """MAPE means something only when no |target| is near zero (MAPE_NEAR_ZERO of the mean)."""
    size = np.abs(y_true.to_numpy(dtype=float))
    return bool(size.size) and float(size.min()) >= MAPE_NEAR_ZERO * float(size.mean()) > 0


def rounded(values: dict[str, float | None]) -> dict[str, float | None]:
    return {
        name: None if value is None else round(float(value), DIGITS)
        for name, value in values.items()
    }
