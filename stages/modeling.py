"""Build the scikit-learn Pipeline (preprocessing + estimator) and cross-validate it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from stages.config import (
    CvConfig,
    DataConfig,
    HgbConfig,
    LgbmConfig,
    LinearConfig,
    ModelConfig,
    RfConfig,
)

MISSING = "__missing__"

# The metric cross-validation reports per task: (name in metrics.json, scikit-learn scorer).
CV_METRIC = {
    "classification": ("accuracy", "accuracy"),
    "regression": ("rmse", "neg_root_mean_squared_error"),
}


def build_pipeline(data: DataConfig, model: ModelConfig, seed: int) -> Pipeline:
    """Preprocessing suited to the model family, then the estimator; takes raw feature rows."""
    return Pipeline(
        [("preprocess", _preprocessor(data, model)), ("model", _estimator(data, model, seed))]
    )


def _preprocessor(data: DataConfig, model: ModelConfig) -> ColumnTransformer:
    categorical_fill = SimpleImputer(strategy="constant", fill_value=MISSING)
    ordinal_fill = SimpleImputer(strategy="most_frequent")
    ordered = OrdinalEncoder(
        categories=list(data.ordinal.values()) or "auto",
        handle_unknown="use_encoded_value",
        unknown_value=-1,
    )
    if isinstance(model, LinearConfig):
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        categorical = make_pipeline(
            categorical_fill, OneHotEncoder(handle_unknown="ignore", min_frequency=10)
        )
        ordinal = make_pipeline(ordinal_fill, ordered, StandardScaler())
    else:
        numeric = SimpleImputer(strategy="median") if isinstance(model, RfConfig) else "passthrough"
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


def _estimator(data: DataConfig, model: ModelConfig, seed: int) -> BaseEstimator:
    classify = data.task == "classification"
    if isinstance(model, LgbmConfig):
        from stages.families import lgbm_estimator

        return lgbm_estimator(data, model, seed)
    if isinstance(model, HgbConfig):
        n_numeric, n_categorical = len(data.numeric), len(data.categorical)
        is_categorical = [False] * n_numeric + [True] * n_categorical + [False] * len(data.ordinal)
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return cls(
            learning_rate=model.learning_rate,
            max_iter=model.max_iter,
            max_leaf_nodes=model.max_leaf_nodes,
            max_depth=model.max_depth,
            min_samples_leaf=model.min_samples_leaf,
            l2_regularization=model.l2_regularization,
            categorical_features=is_categorical if n_categorical else None,
            early_stopping=False,
            random_state=seed,
        )
    if isinstance(model, RfConfig):
        cls = RandomForestClassifier if classify else RandomForestRegressor
        return cls(
            n_estimators=model.n_estimators,
            max_depth=model.max_depth,
            min_samples_leaf=model.min_samples_leaf,
            max_features=model.max_features,
            n_jobs=model.n_jobs,
            random_state=seed,
        )
    if classify:
        return LogisticRegression(C=1.0 / model.alpha, max_iter=model.max_iter, random_state=seed)
    return Ridge(alpha=model.alpha, random_state=seed)


def cv_splitter(
    data: DataConfig, cv: CvConfig, seed: int
) -> KFold | StratifiedKFold | TimeSeriesSplit:
    """Time-ordered folds when there is a time column, stratified ones for classification."""
    if data.time_column:
        return TimeSeriesSplit(n_splits=cv.n_splits)
    if data.task == "classification":
        return StratifiedKFold(n_splits=cv.n_splits, shuffle=True, random_state=seed)
    return KFold(n_splits=cv.n_splits, shuffle=True, random_state=seed)


def cross_validate(
    pipeline: Pipeline,
    features: pd.DataFrame,
    target: pd.Series,
    data: DataConfig,
    cv: CvConfig,
    seed: int,
) -> list[float]:
    """Per-fold scores of the task's CV metric (see CV_METRIC), in its natural sign."""
    scorer_name = CV_METRIC[data.task][1]
    scorer, sign = get_scorer(scorer_name), -1.0 if scorer_name.startswith("neg_") else 1.0
    scores = []
    for train_index, test_index in cv_splitter(data, cv, seed).split(features, target):
        fold = clone(pipeline).fit(features.iloc[train_index], target.iloc[train_index])
        scores.append(
            sign * float(scorer(fold, features.iloc[test_index], target.iloc[test_index]))
        )
    return scores
