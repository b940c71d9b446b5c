"""Cross-validation: the one home of the folds and of scoring a fit on a fold.

`train` cross-validates on `folds(params, ...)` and every trial of the search is scored on the same
folds, fold by fold with `score_fold`, so a search's trial and train's CV of the same
hyperparameters give the same numbers.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit

from ml_pipeline.core import parallel, progress
from ml_pipeline.core.config import CvConfig, DataConfig, Params
from ml_pipeline.evaluation.catalog import CV_METRICS, SEARCH_METRICS
from ml_pipeline.features.recipe import cv_gap, model_data

# The metric cross-validation reports per task: (name in metrics.json, scikit-learn scorer),
# as the catalog (evaluation/catalog.py) names them.
CV_METRIC = {task: (name, SEARCH_METRICS[task][name]) for task, name in CV_METRICS.items()}

# Folds fit in parallel (cv.n_jobs) only up to this many feature cells (rows × columns): each
# fold holds its own copy of its rows and of their encoded matrix, so on larger data one fold at
# a time keeps the peak memory of one (the estimator's own threads still use every core).
PARALLEL_CELLS = 30_000_000

Fold = tuple[np.ndarray, np.ndarray]  # (train row positions, validation row positions)
FoldRun = tuple[float, float, float]  # (score, wall seconds, CPU seconds) of one fit


def splitter(
    data: DataConfig, cv: CvConfig, seed: int, gap: int
) -> KFold | StratifiedKFold | TimeSeriesSplit:
    """Time-ordered folds when there is a time column (walk-forward: `gap` rows between train
    and validation, at most cv.max_train_size train rows), stratified ones for classification."""
    if data.time_column:
        return TimeSeriesSplit(n_splits=cv.n_splits, gap=gap, max_train_size=cv.max_train_size)
    if data.task == "classification":
        return StratifiedKFold(n_splits=cv.n_splits, shuffle=True, random_state=seed)
    return KFold(n_splits=cv.n_splits, shuffle=True, random_state=seed)


def folds(params: Params, features: pd.DataFrame, target: pd.Series) -> list[Fold]:
    """The folds of train's CV and of every search trial: the configured splitter on the model's
    data, seeded with `seed`, with the gap of `cv_gap` (cv.gap, else features.horizon)."""
    cut = splitter(model_data(params), params.cv, params.seed, cv_gap(params))
    return list(cut.split(features, target))


def sign_of(scorer_name: str) -> float:
    """What turns a scikit-learn scorer into its metric: -1 for the negated `neg_*` ones."""
    return -1.0 if scorer_name.startswith("neg_") else 1.0


def score_fold(
    pipeline: Any,
    features: pd.DataFrame,
    target: pd.Series,
    train_index: np.ndarray,
    test_index: np.ndarray,
    scorer_name: str,
    sign: float,
    residuals: np.ndarray | None = None,
) -> FoldRun:
    """Fit a clone of `pipeline` on one fold's train rows and score it on its validation rows:
    (score in the metric's sign, wall seconds, CPU seconds). Runs on a thread or a worker.

    Given `residuals` (one float per row of `target`), the validation rows' target − prediction
    are written into it at their positions (regression; folds write disjoint rows)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fold = clone(pipeline).fit(features.iloc[train_index], target.iloc[train_index])
    scorer = get_scorer(scorer_name)
    valid, truth = features.iloc[test_index], target.iloc[test_index]
    if residuals is not None:  # predict once: the scorer reads the same predictions
        predicted = np.asarray(fold.predict(valid), dtype=float)
        residuals[test_index] = truth.to_numpy(dtype=float) - predicted
        fold = Predictions(predicted)
    score = sign * float(scorer(fold, valid, truth))
    return score, time.perf_counter() - wall, time.process_time() - cpu


class Predictions(RegressorMixin, BaseEstimator):
    """A fold's predictions on its validation rows as a fitted regressor, for a scorer: on hgb
    and diamonds a second `predict` of 8,607 rows cost 1.1 s of CPU per fold."""

    def __init__(self, values: np.ndarray | None = None) -> None:
        self.values = values

    def predict(self, features: Any) -> np.ndarray | None:
        return self.values


def cross_validate(
    pipeline: Any,
    features: pd.DataFrame,
    target: pd.Series,
    splits: list[Fold],
    task: str,
    n_jobs: int,
    residuals: np.ndarray | None = None,
) -> list[float]:
    """Per-fold scores of the task's CV metric (see CV_METRIC), in its natural sign, in fold order;
    given `residuals`, each validation row's out-of-fold residual is written into it.

    Folds run on `n_jobs` threads (ml_pipeline/core/parallel.py), one at a time above
    PARALLEL_CELLS; each fits its own clone of the pipeline, so any `n_jobs` gives the scores of
    a serial run.
    """
    scorer_name = CV_METRIC[task][1]
    sign = sign_of(scorer_name)
    n_jobs = n_jobs if features.size <= PARALLEL_CELLS else 1  # memory: see PARALLEL_CELLS
    with parallel.threads(n_jobs, len(splits)) as count:
        scores = Parallel(n_jobs=count, return_as="generator")(
            delayed(score_fold)(pipeline, features, target, *fold, scorer_name, sign, residuals)
            for fold in splits
        )
        return [score for score, _, _ in progress.each(scores, len(splits), "train: cv folds")]
