"""The metric catalog: one direction per metric, derived names, and the views built from it."""

from __future__ import annotations

import pytest

from ml_pipeline.evaluation.baselines import skill, skill_scores
from ml_pipeline.evaluation.catalog import (
    CV_METRICS,
    METRICS,
    SEARCH_METRICS,
    TASK_METRICS,
    describe,
    direction,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("accuracy", "higher"),
        ("roc_auc", "higher"),
        ("r2", "higher"),
        ("log_loss", "lower"),
        ("rmse", "lower"),
        ("mae", "lower"),
        ("mape", "lower"),
        ("cv_accuracy_mean", "higher"),
        ("cv_rmse_mean", "lower"),
        ("cv_fold_log_loss", "lower"),
        ("test_log_loss", "lower"),  # the learning curve's loss per iteration
        ("baseline.rmse", "lower"),
        ("baseline.accuracy", "higher"),
        ("skill.rmse", "higher"),  # 1 − error / baseline error: higher is better for any metric
        ("skill.log_loss", "higher"),
        ("skill.accuracy", "higher"),
        ("cv_accuracy_std", None),  # a spread
        ("cv_rmse_std", None),
        ("fit_seconds", None),  # timings
        ("predict_ms_per_row", None),
        ("accuracy.ci_lower", None),  # an interval's bound: the gate reads it via `bound`
        ("log_loss.ci_upper", None),
        ("mse_of_something_else", None),  # unknown: never guessed from its spelling
    ],
)
def test_every_name_has_the_catalogs_direction(name: str, expected: str | None) -> None:
    assert direction(name) == expected


def test_the_task_lists_are_derived_from_the_catalog() -> None:
    assert TASK_METRICS["regression"] == (
        *("rmse", "mae", "r2", "mape"),
        *("interval_coverage", "interval_width"),  # evaluation/conformal.py
    )
    assert set(TASK_METRICS["classification"]) | set(TASK_METRICS["regression"]) == set(METRICS)
    assert SEARCH_METRICS["regression"]["rmse"] == "neg_root_mean_squared_error"
    assert "mape" not in SEARCH_METRICS["regression"]  # null by design: not a search target
    assert METRICS["mape"].nullable and not METRICS["rmse"].nullable
    assert METRICS["log_loss"].needs_proba and not METRICS["accuracy"].needs_proba


def test_a_neg_scorer_is_exactly_a_lower_is_better_metric() -> None:
    for metric in METRICS.values():
        if metric.scorer is not None:
            assert metric.scorer.startswith("neg_") == (metric.direction == "lower"), metric.name


def test_the_cv_metric_is_the_one_cross_validation_scores() -> None:
    from ml_pipeline.modeling.cv import CV_METRIC

    for task, (name, scorer) in CV_METRIC.items():
        assert CV_METRICS[task] == name and METRICS[name].scorer == scorer


def test_skill_uses_the_catalog_direction() -> None:
    assert skill("rmse", 5.0, 10.0) == 0.5  # lower is better: 1 − 5 / 10
    assert skill("accuracy", 0.9, 0.8) == 0.5  # higher: 1 − (1 − 0.9) / (1 − 0.8)
    metrics = {"rmse": 5.0, "baseline.rmse": 10.0, "mae": 2.0, "baseline.mae": 4.0}
    assert skill_scores("regression", metrics) == {"skill.rmse": 0.5, "skill.mae": 0.5}


def test_descriptions_name_the_metric() -> None:
    assert describe("rmse").startswith("RMSE: root mean squared error")
    assert describe("cv_rmse_mean").startswith("cv_rmse_mean: root mean squared error")
    assert describe("unknown") == "unknown"
