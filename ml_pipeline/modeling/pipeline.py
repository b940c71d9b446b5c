"""Build the scikit-learn Pipeline (preprocessing + estimator); modeling/cv.py scores it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from ml_pipeline.core.config import DataConfig, ModelConfig
from ml_pipeline.core.model_config import NOT_ESTIMATOR_KEYS
from ml_pipeline.modeling.calibration import calibrated
from ml_pipeline.modeling.families import lgbm_estimator

MISSING = "__missing__"


@dataclass(frozen=True)
class Family:
    """How a model family is built: its estimators and the preprocessing it needs.

    Every field of the family's config class except `name` is passed to the estimator by name;
    `translate` renames or converts them when scikit-learn spells them differently.
    """

    classifier: type[BaseEstimator] | None  # None: `build` makes the estimator
    regressor: type[BaseEstimator] | None
    preprocessing: Literal["native", "imputed", "scaled"]
    fixed: dict[str, Any] = field(default_factory=dict)  # also passed, whatever the config
    seeded: bool = True  # takes random_state (the params' seed)
    translate: Callable[[dict[str, Any], bool], dict[str, Any]] = lambda kwargs, _: kwargs
    build: Callable[[DataConfig, Any, int], BaseEstimator] | None = None


def _linear(kwargs: dict[str, Any], classify: bool) -> dict[str, Any]:
    """alpha is the regularisation strength: C = 1 / alpha for logistic regression; ridge has no
    iteration limit with its default solver."""
    if classify:
        return {"C": 1.0 / kwargs["alpha"], "max_iter": kwargs["max_iter"]}
    return {"alpha": kwargs["alpha"]}


# One entry per family of ml_pipeline/core/config.py MODEL_FAMILIES (a test checks they match).
FAMILIES: dict[str, Family] = {
    "hgb": Family(
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        "native",
        fixed={"early_stopping": False},
    ),
    "rf": Family(RandomForestClassifier, RandomForestRegressor, "imputed"),
    "linear": Family(LogisticRegression, Ridge, "scaled", translate=_linear),
    # LightGBM on the native preprocessing; modeling/families.py imports lightgbm when used.
    "lgbm": Family(None, None, "native", build=lgbm_estimator),
}


def build_pipeline(data: DataConfig, model: ModelConfig, seed: int) -> Pipeline:
    """Preprocessing suited to the model family, then the estimator; takes raw feature rows."""
    family = FAMILIES[model.name]
    return Pipeline(
        [
            ("preprocess", _preprocessor(data, family)),
            ("model", calibrated(_estimator(data, model, family, seed), model.calibration)),
        ]
    )


def _preprocessor(data: DataConfig, family: Family) -> ColumnTransformer:
    categorical_fill = SimpleImputer(strategy="constant", fill_value=MISSING)
    ordinal_fill = SimpleImputer(strategy="most_frequent")
    ordered = OrdinalEncoder(
        categories=list(data.ordinal.values()) or "auto",
        handle_unknown="use_encoded_value",
        unknown_value=-1,
    )
    numeric: Any
    if family.preprocessing == "scaled":
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        categorical = make_pipeline(
            categorical_fill, OneHotEncoder(handle_unknown="ignore", min_frequency=10)
        )
        ordinal = make_pipeline(ordinal_fill, ordered, StandardScaler())
    else:
        imputed = family.preprocessing == "imputed"
        numeric = SimpleImputer(strategy="median") if imputed else "passthrough"
        categorical = make_pipeline(
            categorical_fill,
            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64),
        )
        ordinal = make_pipeline(ordinal_fill, ordered)
    return ColumnTransformer(
        [
            ("numeric", numeric, list(data.numeric)),
            ("categorical", categorical, list(data.categorical)),
            ("ordinal", ordinal, list(data.ordinal)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def _estimator(data: DataConfig, model: ModelConfig, family: Family, seed: int) -> BaseEstimator:
    """The family's estimator with the config's fields as keyword arguments, seeded."""
    if family.build is not None:  # a family whose library is imported only when it is used
        return family.build(data, model, seed)
    classify = data.task == "classification"
    cls = family.classifier if classify else family.regressor
    assert cls is not None, f"model family {model.name!r} has no estimator"
    kwargs = family.translate(model.model_dump(exclude=NOT_ESTIMATOR_KEYS), classify)
    kwargs |= family.fixed | ({"random_state": seed} if family.seeded else {})
    if family.preprocessing == "native" and data.categorical:  # columns ordered as _preprocessor
        n_numeric, n_categorical = len(data.numeric), len(data.categorical)
        is_categorical = [False] * n_numeric + [True] * n_categorical + [False] * len(data.ordinal)
        kwargs["categorical_features"] = is_categorical
    elif family.preprocessing == "native":
        kwargs["categorical_features"] = None
    return cls(**kwargs)
