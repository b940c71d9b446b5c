"""The optional calibration step of a classifier (modeling/calibration.py, `model.calibration`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import GaussianNB

from ml_pipeline.core.config import parse_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.modeling.calibration import choose, resolve
from ml_pipeline.modeling.pipeline import build_pipeline
from tests.configs import model_config, shipped_params, shipped_params_dict


def logistic_rows(rows: int = 3000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, list]:
    """Ten correlated copies of one signal: naive Bayes counts it ten times (overconfident);
    logistic regression is calibrated on it by construction."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=rows)
    features = pd.DataFrame({f"x{i}": signal + rng.normal(0, 0.3, rows) for i in range(10)})
    target = pd.Series(np.where(rng.random(rows) < 1 / (1 + np.exp(-signal)), "yes", "no"))
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(features, target))
    return features, target, folds


def test_auto_calibrates_an_overconfident_model_on_out_of_fold_probabilities() -> None:
    features, target, folds = logistic_rows()
    method, scores = choose(GaussianNB(), features, target, folds)
    assert set(scores) == {"none", "sigmoid", "isotonic"}
    assert method != "none" and scores[method] < scores["none"] - 0.005
    assert scores[method] == min(scores.values())


def test_auto_keeps_a_calibrated_model_close_to_as_it_is() -> None:
    features, target, folds = logistic_rows(seed=1)
    method, scores = choose(LogisticRegression(), features, target, folds)
    assert scores[method] == min(scores.values())
    assert scores["none"] - scores[method] < 0.002  # little to gain, whichever wins


def test_sigmoid_and_isotonic_wrap_the_estimator_and_none_leaves_it() -> None:
    data = shipped_params().data
    for method in ("sigmoid", "isotonic"):
        step = build_pipeline(data, model_config("hgb", calibration=method), 0)[-1]
        assert isinstance(step, CalibratedClassifierCV) and step.method == method
    plain = build_pipeline(data, model_config("hgb", calibration="none"), 0)[-1]
    assert type(plain).__name__ == "HistGradientBoostingClassifier"
    lgbm = build_pipeline(data, model_config("lgbm", calibration="sigmoid"), 0)[-1]
    assert type(lgbm.estimator).__name__ == "LGBMClassifier"  # `calibration` not passed on


def test_resolve_records_the_choice_only_for_auto() -> None:
    params = shipped_params()
    pipeline = build_pipeline(params.data, params.model, params.seed)
    features, target, folds = logistic_rows(600)
    assert resolve(params, pipeline, features, target, folds) == (pipeline, {})
    raw = shipped_params_dict()
    raw["model"] |= {"calibration": "auto", "max_iter": 5}  # hgb: seconds, not minutes
    raw["data"] |= {"numeric": list(features.columns), "categorical": [], "ordinal": {}}
    raw["data"]["slices"] = None  # adult's slice columns are not among these features
    auto = parse_params(raw)
    chosen, report = resolve(
        auto, build_pipeline(auto.data, auto.model, 0), features, target, folds
    )
    method = report["calibration"]["method"]
    assert method == min(
        report["calibration"]["cv_brier"], key=report["calibration"]["cv_brier"].get
    )
    assert isinstance(chosen[-1], CalibratedClassifierCV) == (method != "none")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": {"calibration": "platt"}}, "model.calibration: Input should be 'none'"),
        ({"data": {"task": "regression"}, "model": {"calibration": "sigmoid"}}, "for classifiers"),
        ({"data": {"time_column": "age"}, "model": {"calibration": "auto"}}, "data.time_column"),
    ],
)
def test_a_calibration_the_task_cannot_use_is_refused_in_one_line(
    changes: dict, message: str
) -> None:
    raw = shipped_params_dict()
    for section, values in changes.items():
        raw[section].update(values)
    with pytest.raises(StageError) as caught:
        parse_params(raw)
    assert message in str(caught.value) and "\n" not in str(caught.value)
