"""Every model family, for both tasks, fits and predicts on raw rows with gaps and surprises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import DataConfig
from ml_pipeline.evaluation.metrics import classification_metrics, regression_metrics
from ml_pipeline.modeling.pipeline import build_pipeline
from tests.configs import model_config

FAMILIES = [
    model_config("hgb", max_iter=20),
    model_config("rf", n_estimators=10, n_jobs=1),
    model_config("linear"),
]


def toy(task: str, n: int = 120) -> tuple[DataConfig, pd.DataFrame]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    size = rng.choice(["S", "M", "L"], size=n).astype(object)
    target = x + (colour == "red") if task == "regression" else np.where(x > 0, "hi", "lo")
    x[::17] = np.nan
    colour[::13] = None
    frame = pd.DataFrame({"x": x, "colour": colour, "size": size, "target": target})
    cfg = DataConfig(
        name="toy",
        task=task,
        dir="d",
        train_file="f",
        target="target",
        numeric=["x"],
        categorical=["colour"],
        ordinal={"size": ["S", "M", "L"]},
        positive_label="hi" if task == "classification" else None,
    )
    return cfg, frame


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("model", FAMILIES, ids=lambda m: m.name)
def test_family_fits_and_predicts_raw_rows(task: str, model) -> None:
    cfg, frame = toy(task)
    pipeline = build_pipeline(cfg, model, seed=0).fit(frame[cfg.features], frame["target"])
    unseen = pd.DataFrame({"x": [np.nan, 0.5], "colour": ["purple", None], "size": ["XL", "M"]})
    predictions = pipeline.predict(unseen)
    assert len(predictions) == 2
    if task == "classification":
        assert set(predictions) <= {"hi", "lo"}
        assert pipeline.predict_proba(unseen).shape == (2, 2)


def test_same_seed_same_model() -> None:
    cfg, frame = toy("classification")
    model = model_config("rf", n_estimators=10, n_jobs=1)
    first = build_pipeline(cfg, model, 7).fit(frame[cfg.features], frame["target"])
    second = build_pipeline(cfg, model, 7).fit(frame[cfg.features], frame["target"])
    np.testing.assert_array_equal(
        first.predict_proba(frame[cfg.features]), second.predict_proba(frame[cfg.features])
    )


def test_classification_metrics_of_a_perfect_model() -> None:
    truth = pd.Series(["a", "b", "b", "a"])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.9], [0.7, 0.3]])
    metrics = classification_metrics(truth, truth.to_numpy(), proba, ["a", "b"], "b")
    assert metrics["accuracy"] == metrics["f1"] == metrics["roc_auc"] == 1.0
    assert 0 < metrics["log_loss"] < 0.4


def test_regression_metrics_are_rounded() -> None:
    truth = pd.Series([1.0, 2.0, 4.0])
    metrics = regression_metrics(truth, np.array([1.0, 2.5, 3.0]))
    assert metrics["mae"] == 0.5
    assert metrics["rmse"] == round(np.sqrt((0.25 + 1) / 3), 6)
    assert metrics["mape"] == round((0.25 + 0.25) / 3, 6)
