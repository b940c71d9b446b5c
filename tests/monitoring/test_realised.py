"""Realised metrics and shadow evidence (monitoring/realised.py) from scored batches as the
contract stores them: `prediction`, `score`, `challenger_prediction`, `challenger_score`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from ml_pipeline.monitoring.realised import (
    disagreement,
    labelled,
    paired_difference,
    realised,
    scored_batch,
)

RNG = np.random.default_rng(1)
CLASSES, POSITIVE = ["<=50K", ">50K"], ">50K"


def binary_batch(rows: int = 600) -> pd.DataFrame:
    truth = RNG.random(rows) < 0.3
    score = np.clip(truth * 0.4 + RNG.random(rows) * 0.6, 0, 1)
    other = np.clip(truth * 0.1 + RNG.random(rows) * 0.9, 0, 1)
    label = np.where(truth, ">50K", "<=50K")
    return pd.DataFrame(
        {
            "income": label,
            "score": score,
            "prediction": np.where(score > 0.5, ">50K", "<=50K"),
            "challenger_score": other,
            "challenger_prediction": np.where(other > 0.5, ">50K", "<=50K"),
        }
    )


def test_realised_metrics_are_scikit_learns_with_an_interval_around_them() -> None:
    batch = binary_batch()
    scored = scored_batch(batch, "income", CLASSES, POSITIVE)
    assert scored is not None
    found = realised(scored, seed=42)
    truth = batch["income"] == POSITIVE
    assert found["roc_auc"] == round(skm.roc_auc_score(truth, batch["score"]), 6)
    assert found["accuracy"] == round(skm.accuracy_score(batch["income"], batch["prediction"]), 6)
    assert found["roc_auc.ci_lower"] < found["roc_auc"] < found["roc_auc.ci_upper"]


def test_the_positive_class_may_sort_first() -> None:
    batch = binary_batch().replace({">50K": "a-high", "<=50K": "b-low"})
    scored = scored_batch(batch, "income", ["a-high", "b-low"], "a-high")
    assert scored is not None and scored.proba is not None
    assert np.array_equal(scored.proba[:, 0], batch["score"].to_numpy())


def test_a_label_the_model_never_saw_or_no_score_gives_no_metrics() -> None:
    batch = binary_batch()
    batch.loc[0, "income"] = "unknown"
    assert scored_batch(batch, "income", CLASSES, POSITIVE) is None
    assert scored_batch(binary_batch().drop(columns="score"), "income", CLASSES, POSITIVE) is None


def test_regression_realised_metrics() -> None:
    batch = pd.DataFrame({"price": [1.0, 2.0, 3.0, 4.0], "prediction": [1.0, 2.0, 3.0, 6.0]})
    scored = scored_batch(batch, "price", [], None)
    assert scored is not None and scored.metrics["rmse"] == 1.0 and scored.metrics["mae"] == 0.5


def test_labelled_keeps_the_rows_whose_label_arrived() -> None:
    batch = pd.DataFrame({"y": [1.0, None, 3.0], "prediction": [1.0, 2.0, 3.0]})
    assert list(labelled(batch, "y").index) == [0, 2]
    assert labelled(batch.drop(columns="y"), "y").empty


def test_disagreement_is_a_share_or_a_mean_absolute_difference() -> None:
    batch = pd.DataFrame(
        {"prediction": ["a", "b", "a", "a"], "challenger_prediction": list("abba")}
    )
    assert disagreement(batch, "classification") == 0.25
    numbers = pd.DataFrame({"prediction": [1.0, 2.0], "challenger_prediction": [2.0, 4.0]})
    assert disagreement(numbers, "regression") == 1.5
    assert disagreement(batch.drop(columns="challenger_prediction"), "classification") is None


def test_the_paired_difference_of_a_model_with_itself_is_exactly_zero() -> None:
    scored = scored_batch(binary_batch(), "income", CLASSES, POSITIVE)
    assert scored is not None
    same = paired_difference(scored, scored, "roc_auc", seed=42, replicates=200)
    assert same == {"difference": 0.0, "difference.ci_lower": 0.0, "difference.ci_upper": 0.0}


def test_a_better_champion_has_a_positive_paired_difference() -> None:
    batch = binary_batch()
    ours = scored_batch(batch, "income", CLASSES, POSITIVE)
    theirs = scored_batch(batch, "income", CLASSES, POSITIVE, prefix="challenger_")
    assert ours is not None and theirs is not None
    found = paired_difference(ours, theirs, "roc_auc", seed=42, replicates=200)
    expected = ours.metrics["roc_auc"] - theirs.metrics["roc_auc"]  # type: ignore[operator]
    assert found["difference"] == pytest.approx(expected, abs=1e-6)
    assert 0 < found["difference.ci_lower"] < found["difference"] < found["difference.ci_upper"]
