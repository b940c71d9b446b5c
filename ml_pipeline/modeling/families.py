"""Estimators of the optional model families (LightGBM), imported only when configured."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from ml_pipeline.core.config import DataConfig, LgbmConfig
from ml_pipeline.core.model_config import NOT_ESTIMATOR_KEYS


def lgbm_estimator(data: DataConfig, model: LgbmConfig, seed: int) -> BaseEstimator:
    """LightGBM on the tree preprocessing (numeric as is, categories ordinal-encoded).

    The encoded categorical columns are split natively (`categorical_column`, LightGBM's alias
    of `categorical_feature` that its scikit-learn wrapper passes through without a warning).
    """
    import lightgbm

    first = len(data.numeric)
    categorical = list(range(first, first + len(data.categorical)))
    cls = lightgbm.LGBMClassifier if data.task == "classification" else lightgbm.LGBMRegressor
    kwargs: dict[str, Any] = model.model_dump(exclude=NOT_ESTIMATOR_KEYS)
    kwargs |= {"random_state": seed, "deterministic": True, "force_row_wise": True, "verbose": -1}
    if categorical:
        kwargs["categorical_column"] = categorical
    return cls(**kwargs)


def requirements(estimator: BaseEstimator) -> list[str]:
    """Pinned pip requirements an optional family adds to the logged model (none for sklearn)."""
    package = type(estimator).__module__.split(".")[0]
    if package != "lightgbm":
        return []
    import lightgbm

    return [f"lightgbm=={lightgbm.__version__}"]
