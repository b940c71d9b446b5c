"""Split a prepared table into the feature frame and the target the model sees."""

from __future__ import annotations

import pandas as pd

from ml_pipeline.core.config import DataConfig


def features_and_target(frame: pd.DataFrame, data: DataConfig) -> tuple[pd.DataFrame, pd.Series]:
    """The configured feature columns (in config order) and the target column."""
    return frame[data.features], frame[data.target]
