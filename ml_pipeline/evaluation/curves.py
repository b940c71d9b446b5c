"""Learning curves: the loss after each boosting iteration of a fitted model, as `train` and
`evaluate` log them (`train_<loss>`, `test_<loss>` per step in MLflow)."""

from __future__ import annotations

from typing import Any

import numpy as np

CURVE_MAX_ROWS = 10_000


def iteration_losses(model: Any, features: Any, target: Any) -> list[float]:
    """Loss after each boosting iteration of an already-fitted pipeline, without refitting.

    Log loss for classifiers, RMSE for regressors; empty for estimators without stages. Uses at
    most the first CURVE_MAX_ROWS rows.
    """
    estimator = model[-1]
    staged = getattr(estimator, "staged_predict_proba", None) or getattr(
        estimator, "staged_predict", None
    )
    if staged is None:
        return []
    rows = features.iloc[:CURVE_MAX_ROWS]
    truth = np.asarray(target)[:CURVE_MAX_ROWS]
    transformed = model[:-1].transform(rows) if len(model) > 1 else rows
    if hasattr(estimator, "staged_predict_proba"):
        return staged_log_losses(truth, staged(transformed), list(estimator.classes_))
    return [float(np.sqrt(np.mean((truth - pred) ** 2))) for pred in staged(transformed)]


def staged_log_losses(truth: Any, probas: Any, classes: list[Any]) -> list[float]:
    """scikit-learn's `log_loss(truth, proba, labels=classes)` for each array of `probas`, to
    the last bit (same clipping, same mean), with the labels matched once instead of validated
    per iteration (200 calls cost ~0.3 s). Every label of `truth` is one of `classes`."""
    position = {label: column for column, label in enumerate(classes)}
    picked = (np.arange(len(truth)), np.array([position[label] for label in truth]))
    losses = []
    for proba in probas:
        eps = np.finfo(proba.dtype).eps
        losses.append(float(np.average(-np.log(np.clip(proba, eps, 1 - eps)[picked]))))
    return losses


def loss_name(task: str) -> str:
    """The loss a curve of `task` holds: metrics `train_<it>` and `test_<it>` per iteration."""
    return "log_loss" if task == "classification" else "rmse"
