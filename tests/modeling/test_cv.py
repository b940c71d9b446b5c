"""Cross-validation (ml_pipeline/modeling/cv.py): the folds and their scores, and that train's CV
and the search's trials fit on the same folds (walk-forward ones keep their gap)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import CvConfig, Params, parse_params
from ml_pipeline.modeling import cv
from ml_pipeline.modeling.best_params import with_best
from ml_pipeline.modeling.pipeline import build_pipeline
from ml_pipeline.modeling.tuning import run_search
from stages import train
from tests.configs import model_config
from tests.modeling.test_modeling import FAMILIES, toy
from tests.modeling.test_search import composed, load_tiny, with_search

GAP = 5
Folds = list[tuple[tuple[int, ...], tuple[int, ...]]]


def as_tuples(folds: list[cv.Fold]) -> Folds:
    return [(tuple(fit.tolist()), tuple(valid.tolist())) for fit, valid in folds]


def distinct(folds: Folds) -> Folds:
    """Each fold once, in time order of its validation rows."""
    return sorted(set(folds), key=lambda fold: fold[1])


def test_cross_validation_scores_each_fold() -> None:
    cfg, frame = toy("regression")
    config = CvConfig(n_splits=4, n_jobs=1, gap=None, max_train_size=None)
    folds = list(cv.splitter(cfg, config, 0, gap=0).split(frame, frame["target"]))
    pipeline = build_pipeline(cfg, model_config("linear"), 0)
    scores = cv.cross_validate(pipeline, frame[cfg.features], frame["target"], folds, cfg.task, 1)
    assert len(scores) == 4
    assert all(score > 0 for score in scores)  # RMSE, reported positive


def test_each_validation_row_gets_its_out_of_fold_residual() -> None:
    """The residuals the conformal interval is calibrated on: target − the prediction of the
    fold's model, written on threads at each validation row (train-only rows stay NaN)."""
    from sklearn.base import clone

    cfg, frame = toy("regression")
    timed = cfg.model_copy(update={"time_column": "day"})
    config = CvConfig(n_splits=3, n_jobs=1, gap=None, max_train_size=None)
    folds = list(cv.splitter(timed, config, 0, gap=0).split(frame, frame["target"]))
    pipeline = build_pipeline(cfg, model_config("linear"), 0)
    features, target = frame[cfg.features], frame["target"]
    residuals = np.full(len(frame), np.nan)
    scores = cv.cross_validate(pipeline, features, target, folds, cfg.task, 2, residuals)
    assert scores == cv.cross_validate(pipeline, features, target, folds, cfg.task, 1)
    for fit, valid in folds:
        model = clone(pipeline).fit(features.iloc[fit], target.iloc[fit])
        expected = target.iloc[valid] - model.predict(features.iloc[valid])
        np.testing.assert_allclose(residuals[valid], expected)
    assert np.isnan(residuals[: folds[0][1][0]]).all()  # before the first validation fold


def test_time_column_gives_time_ordered_folds() -> None:
    cfg, _ = toy("regression")
    timed = cfg.model_copy(update={"time_column": "day"})
    config = CvConfig(n_splits=3, n_jobs=1, gap=None, max_train_size=None)
    assert type(cv.splitter(timed, config, 0, gap=0)).__name__ == "TimeSeriesSplit"
    assert type(cv.splitter(cfg, config, 0, gap=0)).__name__ == "KFold"
    assert type(cv.splitter(toy("classification")[0], config, 0, 0)).__name__ == "StratifiedKFold"


@pytest.mark.parametrize("model", FAMILIES, ids=lambda m: m.name)
def test_folds_on_threads_score_as_in_series(model) -> None:
    """Same scores, fold by fold and in fold order, with n_jobs=2 as with n_jobs=1."""
    cfg, frame = toy("classification")
    pipeline = build_pipeline(cfg, model, 3)
    config = CvConfig(n_splits=4, n_jobs=1, gap=None, max_train_size=None)
    folds = list(cv.splitter(cfg, config, 3, gap=0).split(frame, frame["target"]))

    def scores(n_jobs: int) -> list[float]:
        features, target = frame[cfg.features], frame["target"]
        return cv.cross_validate(pipeline, features, target, folds, cfg.task, n_jobs)

    serial = scores(1)
    assert len(set(serial)) > 1  # folds differ, so an order change would show
    assert scores(2) == serial


@pytest.fixture
def fitted(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Folds]:
    """Records every fold a fit is scored on (train's CV and the search's trials both fit
    through cv.score_fold); calling the fixture returns and forgets what was recorded."""
    seen: Folds = []
    score_fold = cv.score_fold

    def recording(
        pipeline: Any,
        features: pd.DataFrame,
        target: pd.Series,
        train_index: np.ndarray,
        test_index: np.ndarray,
        *rest: Any,
    ) -> cv.FoldRun:
        seen.extend(as_tuples([(train_index, test_index)]))
        return score_fold(pipeline, features, target, train_index, test_index, *rest)

    monkeypatch.setattr(cv, "score_fold", recording)

    def taken() -> Folds:
        folds = sorted(seen, key=lambda fold: fold[1])  # in fold order (train's run on threads)
        seen.clear()
        return folds

    return taken


@pytest.fixture(scope="module")
def walk_forward(tmp_path_factory: pytest.TempPathFactory) -> tuple[Params, pd.DataFrame]:
    """`tiny` in file order as a time series (a `day` time column) with a gap of 5 rows and the
    quick LightGBM search on the CV metric, 2 trials, no pruning, in process."""
    raw = composed(tmp_path_factory.mktemp("walk"), "data=tiny", "cv=fast", "search=lgbm_quick")
    features, target = load_tiny(raw)
    raw["data"]["time_column"] = "day"  # not read: the rows are taken as they are
    raw["cv"] |= {"gap": GAP, "n_jobs": 2}
    search = {"trials": 2, "batch": 2, "prune": False, "n_jobs": 1, "metric": "accuracy"}
    params = parse_params(with_search(raw, **search))
    return params, pd.concat([features, target], axis=1)


def keep_the_gap(folds: Folds, rows: int) -> None:
    assert [len(valid) for _, valid in folds] == [rows // 4] * 3  # cv=fast: 3 folds
    for fit, valid in folds:
        assert list(valid) == list(range(valid[0], valid[-1] + 1))
        assert list(fit) == list(range(fit[-1] + 1))  # expanding window, in time order
        assert valid[0] - fit[-1] == GAP + 1  # 5 rows left out between them


def test_search_trials_fit_on_the_walk_forward_folds_with_their_gap(
    walk_forward: tuple[Params, pd.DataFrame], fitted: Callable[[], Folds]
) -> None:
    params, frame = walk_forward
    features, target = frame.drop(columns=params.data.target), frame[params.data.target]
    result = run_search(params, features, target)
    assert [t.state for t in result.trials] == ["COMPLETE", "COMPLETE"]
    used = fitted()
    assert len(used) == 2 * 3  # every fold of both trials went through cv.score_fold
    keep_the_gap(distinct(used), len(frame))
    assert distinct(used) == as_tuples(cv.folds(params, features, target))


def test_train_cross_validates_on_the_search_folds_with_its_numbers(
    walk_forward: tuple[Params, pd.DataFrame], fitted: Callable[[], Folds]
) -> None:
    """A trial's per-fold scores are train's CV scores of the same hyperparameters, exactly."""
    params, frame = walk_forward
    features, target = frame.drop(columns=params.data.target), frame[params.data.target]
    trial = run_search(params, features, target).trials[1]
    searched = fitted()
    _, report = train.run(with_best(params, trial.params), frame)
    trained = fitted()
    keep_the_gap(trained, len(frame))
    assert trained == distinct(searched)
    assert report["cv_metric"] == "accuracy" and report["cv_scores"] == trial.scores
    assert len(set(report["cv_scores"])) > 1  # folds differ, so a wrong fold would show
