"""Test-set scoring pinned on toys whose metrics are known by hand (evaluation/metrics.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import TASK_METRICS, DataConfig
from ml_pipeline.evaluation.catalog import METRICS
from ml_pipeline.evaluation.metrics import (
    classification_metrics,
    positive_class,
    regression_metrics,
    score,
)

# 6 rows; the positive class "yes" is predicted for rows 0, 1, 2, 3; actually yes: 0, 1, 4.
ACTUAL = pd.Series(["yes", "yes", "no", "no", "yes", "no"])
PREDICTED = np.array(["yes", "yes", "yes", "yes", "no", "no"])
PROBA_YES = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.1])
PROBA = np.column_stack([1 - PROBA_YES, PROBA_YES])  # classes in sorted order: no, yes


def test_positive_class_rule() -> None:
    assert positive_class(["no", "yes"], None) == "yes"  # the second of two sorted classes
    assert positive_class(["no", "yes"], "no") == "no"
    assert positive_class(["a", "b", "c"], None) == "c"


def test_precision_recall_f1_of_the_positive_class() -> None:
    metrics = classification_metrics(ACTUAL, PREDICTED, PROBA, ["no", "yes"], None)
    # yes: TP 2 (rows 0, 1), FP 2 (rows 2, 3), FN 1 (row 4).
    assert metrics["precision"] == 0.5
    assert metrics["recall"] == round(2 / 3, 6)
    assert metrics["f1"] == round(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), 6)
    assert metrics["accuracy"] == 0.5
    assert metrics["balanced_accuracy"] == 0.5  # (2/3 + 1/3) / 2
    # ROC AUC of P(yes): of the 9 (yes, no) pairs, yes ranks higher in 7.
    assert metrics["roc_auc"] == round(7 / 9, 6)


def test_an_explicit_positive_label_scores_that_class() -> None:
    metrics = classification_metrics(ACTUAL, PREDICTED, PROBA, ["no", "yes"], "no")
    # no: TP 1 (row 5), FP 1 (row 4), FN 2 (rows 2, 3).
    assert metrics["precision"] == 0.5
    assert metrics["recall"] == round(1 / 3, 6)
    assert metrics["roc_auc"] == round(7 / 9, 6)


def test_multiclass_uses_macro_averages() -> None:
    actual = pd.Series(["a", "b", "c", "a"])
    predicted = np.array(["a", "b", "b", "a"])
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.6, 0.3], [0.7, 0.2, 0.1]])
    metrics = classification_metrics(actual, predicted, proba, ["a", "b", "c"], None)
    assert metrics["recall"] == round((1 + 1 + 0) / 3, 6)
    assert metrics["precision"] == round((1 + 0.5 + 0) / 3, 6)


def test_regression_metrics_by_hand() -> None:
    actual = pd.Series([0.0, 2.0, 4.0])
    metrics = regression_metrics(actual, np.array([1.0, 2.0, 2.0]))
    assert metrics["mae"] == 1.0
    assert metrics["rmse"] == round(np.sqrt(5 / 3), 6)
    assert metrics["mape"] is None  # a target at zero: MAPE means nothing, reported as null
    assert metrics["r2"] == round(1 - 5 / 8, 6)
    away = regression_metrics(pd.Series([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0]))
    assert away["mape"] == round((0 + 0.5 + 0.5) / 3, 6)


def test_task_metrics_are_what_evaluate_writes() -> None:
    y = pd.Series(["a", "b", "a", "b"])
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.4, 0.6]])
    written = classification_metrics(y, y.to_numpy(), proba, ["a", "b"], None)
    assert tuple(written) == TASK_METRICS["classification"]
    values = pd.Series([1.0, 2.0, 3.0])
    pointwise = tuple(m for m in TASK_METRICS["regression"] if not METRICS[m].interval)
    assert tuple(regression_metrics(values, values.to_numpy())) == pointwise


class Fixed:
    """A fitted 'model' that returns the toy's predictions."""

    classes_ = np.array(["no", "yes"])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return PREDICTED[: len(features)]

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        return PROBA[: len(features)]


@pytest.mark.parametrize("positive_label", [None, "yes", "no"])
def test_score_predicts_and_uses_the_same_positive_rule(positive_label: str | None) -> None:
    data = DataConfig(
        name="toy",
        task="classification",
        dir=".",
        train_file="x",
        target="y",
        positive_label=positive_label,
        numeric=["x"],
    )
    frame = pd.DataFrame({"x": range(6), "y": ACTUAL})
    scored = score(Fixed(), frame, data)
    expected = classification_metrics(ACTUAL, PREDICTED, PROBA, ["no", "yes"], positive_label)
    assert scored.metrics == expected
    assert scored.positive == (positive_label or "yes")
    assert list(scored.features.columns) == ["x"] and scored.target.equals(ACTUAL)
