"""Walk-forward CV: time-ordered folds with a gap (default: the horizon) and a sliding window."""

from __future__ import annotations

import numpy as np

from ml_pipeline.core.config import CvConfig, FeaturesConfig
from ml_pipeline.features.recipe import cv_gap
from ml_pipeline.modeling.cv import splitter
from tests.configs import shipped_params, toy_series

DATA = toy_series()


def test_folds_keep_a_gap_and_a_window() -> None:
    walk = splitter(
        DATA, CvConfig(n_splits=3, n_jobs=1, gap=None, max_train_size=40), seed=0, gap=5
    )
    folds = list(walk.split(np.zeros((200, 1))))
    assert len(folds) == 3
    for train, valid in folds:
        assert valid.min() - train.max() == 6  # 5 rows left out between them
        assert len(train) <= 40


def test_gap_defaults_to_the_horizon() -> None:
    base = shipped_params()
    ahead = base.model_copy(update={"features": FeaturesConfig(horizon=3, lags={"x": [1]})})
    assert cv_gap(ahead) == 3
    assert cv_gap(base) == 0
    fixed = ahead.model_copy(
        update={"cv": CvConfig(n_splits=3, n_jobs=1, gap=7, max_train_size=None)}
    )
    assert cv_gap(fixed) == 7
