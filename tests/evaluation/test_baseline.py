"""Baselines, skill scores, the beat_baseline gate check and MAPE only where it means something."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import FeaturesConfig, Params, RegisterConfig
from ml_pipeline.evaluation.baselines import baseline_metrics, skill, skill_scores
from ml_pipeline.evaluation.metrics import regression_metrics
from ml_pipeline.features.recipe import PERSISTENCE, SEASONAL
from ml_pipeline.registry.promotion import check_thresholds
from tests.configs import shipped_params, toy_series
from tests.conftest import ROOT


def regression_params(time_column: str | None = "day", **features: object) -> Params:
    base = shipped_params()
    return base.model_copy(
        update={
            "data": toy_series(time_column=time_column),
            "features": FeaturesConfig.model_validate(features),
        }
    )


def test_regression_baseline_is_the_train_mean() -> None:
    train = pd.DataFrame({"y": [1.0, 2.0, 3.0]})
    test = pd.DataFrame({"y": [2.0, 4.0]})
    out = baseline_metrics(regression_params(time_column=None), train, test)
    assert out["baseline.mae"] == 1.0  # predicts 2.0 for both
    assert out["baseline.rmse"] == pytest.approx(np.sqrt(2.0))


def test_time_series_baseline_is_the_strongest_naive_forecast() -> None:
    test = pd.DataFrame({"y": [1.0, 2.0, 3.0], PERSISTENCE: [1.0, 1.0, 1.0], SEASONAL: [1, 2, 3.0]})
    train = pd.DataFrame({"y": [100.0]})
    persistence = baseline_metrics(regression_params(horizon=1), train, test)
    assert persistence["baseline.mae"] == 1.0
    seasonal = baseline_metrics(regression_params(horizon=1, season=7), train, test)
    assert seasonal["baseline.mae"] == 0.0
    # a series around zero (a return): no change (zero) beats persistence and the train mean
    moves = pd.DataFrame({"y": [0.1, -0.1, 0.1], PERSISTENCE: [-0.1, 0.1, -0.1]})
    zero = baseline_metrics(regression_params(horizon=1), train, moves)
    assert zero["baseline.mae"] == pytest.approx(0.1)


def test_a_config_cannot_pick_a_weaker_baseline() -> None:
    """A price level: zero (or the mean) would make any model look skilful; persistence is the
    bar, and a model that only repeats the last price has no skill."""
    with pytest.raises(ValueError, match="baseline"):
        FeaturesConfig.model_validate({"horizon": 1, "baseline": "zero"})
    prices = 100.0 + np.cumsum(np.random.default_rng(0).normal(size=60))
    test = pd.DataFrame({"y": prices[1:], PERSISTENCE: prices[:-1]})
    train = pd.DataFrame({"y": [90.0, 95.0]})
    out = baseline_metrics(regression_params(horizon=1), train, test)
    metrics = {**regression_metrics(test["y"], prices[:-1]), **out}  # the model = persistence
    assert skill_scores("regression", metrics)["skill.rmse"] == 0.0


def test_time_column_without_recipe_is_scored_against_persistence() -> None:
    """No recipe but rows in time order: the previous row's target (in time, across the split),
    not the train mean."""
    days = pd.date_range("2024-01-01", periods=6)
    train = pd.DataFrame({"day": days[[1, 0, 2]], "y": [11.0, 10.0, 12.0]})
    test = pd.DataFrame({"day": days[[4, 3, 5]], "y": [14.0, 13.0, 15.0]})
    out = baseline_metrics(regression_params(), train, test)
    assert out["baseline.mae"] == 1.0  # yesterday's value: 13, 12, 14


def test_classification_baseline_is_the_majority_with_priors() -> None:
    params = shipped_params()  # adult: positive label >50K
    train = pd.DataFrame({"income": ["<=50K"] * 3 + [">50K"]})
    test = pd.DataFrame({"income": ["<=50K", ">50K"]})
    out = baseline_metrics(params, train, test)
    assert out["baseline.accuracy"] == 0.5
    assert out["baseline.roc_auc"] == 0.5
    assert out["baseline.log_loss"] == pytest.approx(-(np.log(0.75) + np.log(0.25)) / 2, abs=1e-6)


def test_skill() -> None:
    assert skill("rmse", 1.0, 2.0) == 0.5
    assert skill("rmse", 3.0, 2.0) == -0.5
    assert skill("r2", 0.41, 0.18) == pytest.approx(1 - 0.59 / 0.82, abs=1e-6)
    assert skill("accuracy", 0.9, 0.8) == pytest.approx(0.5)
    assert skill("rmse", 1.0, 0.0) is None
    assert skill_scores("regression", {"rmse": 1.0, "baseline.rmse": 2.0, "mae": 1.0}) == {
        "skill.rmse": 0.5,
        "skill.mae": None,
    }


@pytest.mark.parametrize(
    ("model", "baseline", "margin", "passed"),
    [(0.41, 0.18, 0.05, True), (0.19, 0.18, 0.05, False), (0.10, 0.18, 0.0, False)],
)
def test_beat_baseline_gate(model: float, baseline: float, margin: float, passed: bool) -> None:
    config = RegisterConfig(
        primary_metric="r2",
        direction="higher",
        thresholds=[],
        compare_with_champion=True,
        beat_baseline=True,
        baseline_margin=margin,
    )
    checks = check_thresholds(config, {"r2": model, "baseline.r2": baseline})
    assert [c["passed"] for c in checks] == [passed]
    assert "register.beat_baseline" in checks[0]["rule"]
    off = config.model_copy(update={"beat_baseline": False})
    assert check_thresholds(off, {"r2": model, "baseline.r2": baseline}) == []


def test_mape_is_null_near_zero_and_never_gated_there() -> None:
    y = pd.Series([0.001, 1.0, -1.0, 2.0])
    assert regression_metrics(y, np.zeros(4))["mape"] is None
    far = pd.Series([100.0, 120.0, 90.0])
    assert regression_metrics(far, far.to_numpy() * 1.1)["mape"] == pytest.approx(0.1)
    config = RegisterConfig.model_validate(
        {
            "primary_metric": "rmse",
            "direction": "lower",
            "thresholds": [{"metric": "mape", "direction": "lower", "value": 0.15}],
            "compare_with_champion": True,
            "beat_baseline": False,
            "baseline_margin": 0.0,
        }
    )
    [check] = check_thresholds(config, {"mape": None, "rmse": 1.0})
    assert check["passed"] and "not gated" in check["rule"]
    [check] = check_thresholds(config, {"mape": 0.2, "rmse": 1.0})
    assert not check["passed"]


def test_the_none_recipe_states_the_feature_defaults() -> None:
    """conf/features/none.yaml documents every key: its values are FeaturesConfig's defaults."""
    import yaml

    documented = yaml.safe_load((ROOT / "conf" / "features" / "none.yaml").read_text())
    assert FeaturesConfig.model_validate(documented) == FeaturesConfig()
    assert set(documented) == set(FeaturesConfig.model_fields)
