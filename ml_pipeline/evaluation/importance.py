"""Permutation importance of the raw feature columns on a sample of the test split.

Shuffling a raw column and then preprocessing gives the same rows as preprocessing once and then
shuffling that column's output, when the fitted preprocessing maps each raw column to one output
column of its own (imputation, ordinal encoding, scaling: the tree families). Then the
preprocessing runs once, not once per shuffle; the estimator sees the same values, so the
importances are the same numbers. One-hot encoding (the linear family) shuffles raw rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import get_scorer
from sklearn.pipeline import Pipeline

from ml_pipeline.core import parallel, progress
from ml_pipeline.core.config import EvaluateConfig, Task
from ml_pipeline.evaluation.plots import importance_table
from ml_pipeline.modeling.cv import CV_METRIC


def permutable(model: Pipeline, rows: pd.DataFrame) -> tuple[Any, Any]:
    """The estimator and the rows to shuffle: the final step on the preprocessed rows when every
    raw column maps to one output column of the same name, else the pipeline on the raw rows."""
    if len(model) < 2:
        return model, rows
    head = model[:-1]
    try:
        names = list(head.get_feature_names_out())
    except (AttributeError, ValueError):  # a step that cannot name its outputs
        return model, rows
    if names != list(rows.columns):
        return model, rows
    return model[-1], head.transform(rows)


def importance(
    model: Pipeline,
    features: pd.DataFrame,
    target: pd.Series,
    settings: EvaluateConfig,
    seed: int,
    task: Task,
) -> pd.DataFrame:
    """Mean and std of the score's drop per raw column over `evaluate.importance_repeats` shuffles.

    Columns run on `evaluate.n_jobs` threads (core/parallel.py). Each column draws its shuffles
    from a generator of its own, seeded from `seed` (scikit-learn's scheme): any `n_jobs` gives
    the same numbers.
    """
    sample = features.iloc[sample_positions(len(features), settings.importance_max_rows, seed)]
    return importance_on(model, sample, target.loc[sample.index], settings, seed, task)


def sample_positions(rows: int, most: int, seed: int) -> np.ndarray:
    """The positions of the rows `DataFrame.sample(n=min(rows, most), random_state=seed)` draws,
    in its order: a Dask path gathers the same rows from its partitions."""
    return np.random.RandomState(seed).choice(rows, size=min(rows, most), replace=False)


def importance_on(
    model: Pipeline,
    sample: pd.DataFrame,
    target: pd.Series,
    settings: EvaluateConfig,
    seed: int,
    task: Task,
) -> pd.DataFrame:
    """`importance` on the already drawn `sample` and its `target`."""
    estimator, rows = permutable(model, sample)
    columns = len(sample.columns)
    calls = columns * settings.importance_repeats + 1
    with (
        progress.bar(calls, "evaluate: permutation importance") as ticks,
        parallel.threads(settings.n_jobs, columns) as count,
    ):
        result = permutation_importance(
            estimator,
            rows,
            target,
            n_repeats=settings.importance_repeats,
            random_state=seed,
            scoring=progress.ticking(get_scorer(CV_METRIC[task][1]), ticks),
            n_jobs=count,
        )
    return importance_table(list(sample.columns), result.importances_mean, result.importances_std)
