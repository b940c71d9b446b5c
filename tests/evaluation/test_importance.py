"""Permutation importance (evaluation/importance.py): same numbers as scikit-learn's on the whole
pipeline, whichever rows it shuffles and however many threads it uses."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer

from ml_pipeline.core.config import EvaluateConfig
from ml_pipeline.evaluation.importance import importance, permutable
from ml_pipeline.evaluation.plots import importance_table
from ml_pipeline.modeling.pipeline import build_pipeline
from tests.configs import model_config
from tests.modeling.test_modeling import toy

SETTINGS = EvaluateConfig(
    importance_repeats=3,
    importance_max_rows=100,
    n_jobs=1,
    plot_max_points=10,
    curve_max_points=10,
)
FAMILIES = {
    "hgb": model_config("hgb", max_iter=20),
    "rf": model_config("rf", n_estimators=10, n_jobs=1),
    "linear": model_config("linear"),  # one-hot: several columns per raw column
}


def fitted(family: str, task: str) -> tuple:
    cfg, frame = toy(task)
    model = build_pipeline(cfg, FAMILIES[family], seed=0)
    return model.fit(frame[cfg.features], frame["target"]), frame[cfg.features], frame["target"]


def on_the_whole_pipeline(model, features: pd.DataFrame, target: pd.Series, task: str):
    """scikit-learn's permutation importance shuffling raw rows through the whole pipeline."""
    sample = features.sample(n=SETTINGS.importance_max_rows, random_state=0)
    scorer = "accuracy" if task == "classification" else "neg_root_mean_squared_error"
    result = permutation_importance(
        model,
        sample,
        target.loc[sample.index],
        n_repeats=SETTINGS.importance_repeats,
        random_state=0,
        scoring=get_scorer(scorer),
    )
    return importance_table(list(features.columns), result.importances_mean, result.importances_std)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("family", FAMILIES)
def test_same_importances_as_shuffling_raw_rows(family: str, task: str) -> None:
    model, features, target = fitted(family, task)
    found = importance(model, features, target, SETTINGS, 0, task)
    pd.testing.assert_frame_equal(found, on_the_whole_pipeline(model, features, target, task))
    assert found["importance"].abs().sum() > 0  # something to compare


def test_preprocessing_runs_once_only_where_each_column_maps_to_one() -> None:
    for family, once in (("hgb", True), ("rf", True), ("linear", False)):
        model, features, _ = fitted(family, "classification")
        estimator, rows = permutable(model, features)
        assert (estimator is model[-1]) == once, family
        assert rows.shape == features.shape if once else rows is features


def test_threads_give_the_same_importances() -> None:
    model, features, target = fitted("rf", "classification")
    serial = importance(model, features, target, SETTINGS, 0, "classification")
    threaded = SETTINGS.model_copy(update={"n_jobs": 2})
    pd.testing.assert_frame_equal(
        importance(model, features, target, threaded, 0, "classification"), serial
    )
