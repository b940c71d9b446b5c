"""The optional calibration step of a classifier (`model.calibration`).

`sigmoid` or `isotonic` wraps the pipeline's estimator in scikit-learn's `CalibratedClassifierCV`
(its default 5 stratified folds of the train split; the preprocessing before it learns no
target). `auto` chooses among none, sigmoid and isotonic on the train split only, never on test:
the uncalibrated model's out-of-fold probabilities on train's CV folds are calibrated by each
method, fold by fold again, and the method with the lowest out-of-fold Brier score wins (ties:
the simpler, in the order none, sigmoid, isotonic).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from ml_pipeline.core.config import Params
from ml_pipeline.features.recipe import model_data

METHODS = ("none", "sigmoid", "isotonic")


def calibrated(estimator: BaseEstimator, method: str) -> BaseEstimator:
    """`estimator`, wrapped in `CalibratedClassifierCV` (5 stratified folds) unless `method`
    is none (or auto, which train resolves first with `resolve`)."""
    if method not in ("sigmoid", "isotonic"):
        return estimator
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(estimator, method=method)


class _Probabilities(ClassifierMixin, BaseEstimator):
    """A classifier whose input columns already are its class probabilities (to calibrate
    out-of-fold probabilities with CalibratedClassifierCV)."""

    def fit(self, X: Any, y: Any) -> _Probabilities:
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(X, float)

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.asarray(X).argmax(1)]


def choose(
    pipeline: Any, features: pd.DataFrame, target: pd.Series, folds: list
) -> tuple[str, dict[str, float]]:
    """The method with the lowest out-of-fold Brier score on the train split, and each score."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import cross_val_predict

    from ml_pipeline.evaluation.calibration import calibration_metrics

    oof = cross_val_predict(pipeline, features, target, cv=folds, method="predict_proba")
    codes = np.unique(target.to_numpy(), return_inverse=True)[1]  # class i: column i of oof
    classes = [str(i) for i in range(oof.shape[1])]
    frozen = FrozenEstimator(_Probabilities().fit(oof, codes))
    scores = {}
    for method in METHODS:
        proba = oof
        if method != "none":
            calibrator = CalibratedClassifierCV(frozen, method=method)
            proba = cross_val_predict(calibrator, oof, codes, cv=folds, method="predict_proba")
        brier = calibration_metrics(codes.astype(str), proba, classes, classes[-1])["brier"]
        scores[method] = round(brier, 6)
    return min(METHODS, key=lambda m: scores[m]), scores


def resolve(
    params: Params, pipeline: Any, features: pd.DataFrame, target: pd.Series, folds: list
) -> tuple[Any, dict[str, Any]]:
    """The pipeline to train and what train.json records: with `model.calibration: auto`, the
    pipeline with the method `choose` picks on train's folds (else `pipeline` itself, nothing)."""
    if params.model.calibration != "auto":
        return pipeline, {}
    from ml_pipeline.modeling.pipeline import build_pipeline

    method, scores = choose(pipeline, features, target, folds)
    model = params.model.model_copy(update={"calibration": method})
    chosen = build_pipeline(model_data(params), model, params.seed)
    return chosen, {"calibration": {"method": method, "cv_brier": scores}}
