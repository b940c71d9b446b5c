"""95 % bootstrap intervals of the test metrics (evaluation/intervals.py)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from ml_pipeline.evaluation.intervals import count_chunks, intervals, statistic
from ml_pipeline.evaluation.metrics import Scored, classification_metrics, regression_metrics

ADULT_TEST_ROWS = 16_281


def binary(rows: int, seed: int = 0, ties: bool = False) -> Scored:
    """A binary task scored like evaluate does: about 87 % accuracy, as adult's."""
    rng = np.random.default_rng(seed)
    truth = np.where(rng.random(rows) < 0.24, "yes", "no")
    p_yes = np.clip(0.55 * (truth == "yes") + rng.normal(0.22, 0.2, rows), 0.001, 0.999)
    if ties:  # a tree model's few distinct scores
        p_yes = np.round(p_yes, 1).clip(0.05, 0.95)
    proba = np.column_stack([1 - p_yes, p_yes])
    predicted = np.where(p_yes >= 0.5, "yes", "no")
    target = pd.Series(truth)
    metrics = classification_metrics(target, predicted, proba, ["no", "yes"], None)
    return Scored(metrics, pd.DataFrame(), target, predicted, proba, ["no", "yes"], "yes", 0.0)


def regression(rows: int, seed: int = 0) -> Scored:
    rng = np.random.default_rng(seed)
    truth = rng.normal(10, 3, rows)
    predicted = truth + rng.normal(0, 1, rows)
    target = pd.Series(truth)
    metrics = regression_metrics(target, predicted)
    return Scored(metrics, pd.DataFrame(), target, predicted, None, [], None, 0.0)


def test_accuracys_interval_is_the_normal_approximations_on_adult_sized_data() -> None:
    scored = binary(ADULT_TEST_ROWS)
    started = time.perf_counter()
    bounds = intervals(scored, seed=42)
    seconds = time.perf_counter() - started
    p = scored.metrics["accuracy"]
    assert p is not None and 0.8 < p < 0.95
    normal = 2 * 1.96 * np.sqrt(p * (1 - p) / ADULT_TEST_ROWS)
    width = bounds["accuracy.ci_upper"] - bounds["accuracy.ci_lower"]  # type: ignore[operator]
    assert abs(width - normal) <= 0.1 * normal
    for name, value in scored.metrics.items():  # every metric's bounds bracket its point
        low, high = bounds[f"{name}.ci_lower"], bounds[f"{name}.ci_upper"]
        assert low is not None and high is not None and low <= value <= high, name  # type: ignore[operator]
    assert seconds < 10  # ~1 s on a free core (docs/performance.md); a loop over rows is minutes


def test_the_same_seed_gives_the_same_bounds_and_another_seed_others() -> None:
    scored = binary(2000)
    first = intervals(scored, seed=1, replicates=200)
    assert first == intervals(scored, seed=1, replicates=200)
    assert first != intervals(scored, seed=2, replicates=200)


@pytest.mark.parametrize("ties", [False, True])
def test_each_replicate_is_scikit_learns_metric_on_the_resampled_rows(ties: bool) -> None:
    """The weighted sums per replicate equal scikit-learn on the rows each resample drew."""
    scored = binary(300, seed=3, ties=ties)
    weights = next(count_chunks(300, 5, seed=0))
    replicates = statistic(scored)(weights)
    truth, proba = scored.target.to_numpy(), scored.proba
    assert proba is not None
    for i, counts in enumerate(weights.astype(int)):
        rows = np.repeat(np.arange(300), counts)
        expected = classification_metrics(
            pd.Series(truth[rows]), scored.predicted[rows], proba[rows], ["no", "yes"], None
        )
        for name, value in expected.items():
            assert replicates[name][i] == pytest.approx(value, abs=1e-6), name


def test_regression_replicates_are_scikit_learns() -> None:
    scored = regression(200)
    weights = next(count_chunks(200, 3, seed=0))
    replicates = statistic(scored)(weights)
    truth = scored.target.to_numpy()
    for i, counts in enumerate(weights.astype(int)):
        rows = np.repeat(np.arange(200), counts)
        expected = regression_metrics(pd.Series(truth[rows]), scored.predicted[rows])
        for name, value in expected.items():
            assert replicates[name][i] == pytest.approx(value, abs=1e-6), name


def test_multiclass_replicates_are_scikit_learns_macro_metrics() -> None:
    rng = np.random.default_rng(5)
    classes = ["a", "b", "c"]
    truth = rng.choice(classes, 400)
    raw = rng.random((400, 3)) + 1.5 * (truth[:, None] == np.array(classes))
    proba = raw / raw.sum(1, keepdims=True)
    predicted = np.array(classes)[proba.argmax(1)]
    metrics = classification_metrics(pd.Series(truth), predicted, proba, classes, None)
    scored = Scored(metrics, pd.DataFrame(), pd.Series(truth), predicted, proba, classes, None, 0)
    weights = next(count_chunks(400, 3, seed=0))
    replicates = statistic(scored)(weights)
    for i, counts in enumerate(weights.astype(int)):
        rows = np.repeat(np.arange(400), counts)
        expected = classification_metrics(
            pd.Series(truth[rows]), predicted[rows], proba[rows], classes, None
        )
        assert skm.accuracy_score(truth[rows], predicted[rows]) == pytest.approx(
            replicates["accuracy"][i]
        )
        for name, value in expected.items():
            assert replicates[name][i] == pytest.approx(value, abs=1e-6), name


def test_a_null_metric_has_null_bounds() -> None:
    scored = regression(500)
    scored = Scored({**scored.metrics, "mape": None}, *list(scored.__dict__.values())[1:])
    bounds = intervals(scored, seed=0, replicates=50)
    assert bounds["mape.ci_lower"] is None and bounds["mape.ci_upper"] is None
    low, high, point = bounds["rmse.ci_lower"], bounds["rmse.ci_upper"], scored.metrics["rmse"]
    assert low is not None and high is not None and point is not None and low < point < high
