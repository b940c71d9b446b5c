"""Feature guards run by `train` before any fitting: each problem is one line naming the column
and the config key.

Errors: a time column or an ID-like text column listed as a feature; a categorical feature with
more levels than `hgb` accepts; a raw feature that (almost) is the target on a same-row target.
Warnings: whole numbers distinct on every row (an ID, or a count that happens to be distinct).
Leakage rule: |Pearson correlation| with the target ≥ `features.leakage_threshold` (regression),
or a single-feature ROC AUC (the feature's values as scores) ≥ that threshold (binary
classification), on the train split. A raw column on a same-row target (`features.horizon` 0) is
an error unless `features.leakage: warning`; a feature built from past rows, or any feature when
the target is `horizon` ≥ 1 rows ahead, can only carry the past: there it is a warning (the
model is close to persistence; the `beat_baseline` gate decides).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_pipeline.core.config import DataConfig, HgbConfig, Params
from ml_pipeline.core.errors import StageError

HGB_MAX_LEVELS = 255
ID_MIN_ROWS = 50  # below this, all-distinct values are not evidence of an ID


def check(params: Params, data: DataConfig, train: pd.DataFrame) -> list[str]:
    """Raise StageError on the first error; return the warnings (one line each)."""
    raw = {*params.data.numeric, *params.data.categorical, *params.data.ordinal}
    time = params.data.time_column
    if time and time in data.features:
        raise StageError(
            f"column {time!r} is data.time_column and is listed as a feature "
            "(data.numeric/categorical/ordinal): remove it; use features.calendar for its parts"
        )
    warnings = []
    for column in data.features:
        values = train[column].dropna()
        if len(values) < ID_MIN_ROWS or values.nunique() < len(values):
            continue
        line = (
            f"column {column!r} (data.{_key(column, data)}) has a distinct value on every "
            "train row, like an ID"
        )
        if not pd.api.types.is_numeric_dtype(values):
            raise StageError(f"{line}: remove it from the features")
        if _whole(values):
            warnings.append(f"{line}: remove it from the features if it is one")
    if isinstance(params.model, HgbConfig):
        for column in data.categorical:
            levels = train[column].nunique() + int(train[column].isna().any())
            if levels > HGB_MAX_LEVELS:
                raise StageError(
                    f"column {column!r} (data.categorical) has {levels} levels on the train "
                    f"split; model hgb accepts at most {HGB_MAX_LEVELS}: group rare levels, "
                    "move it to data.numeric if it is a number, or use model=linear"
                )
    return warnings + _leakage(params, data, train, raw)


def _key(column: str, data: DataConfig) -> str:
    if column in data.numeric:
        return "numeric"
    return "categorical" if column in data.categorical else "ordinal"


def _whole(values: pd.Series) -> bool:
    """Whole numbers only (a measurement with all-distinct decimals is no ID)."""
    numbers = values.to_numpy(dtype=float)
    return bool(np.all(numbers == np.round(numbers)))


def _leakage(params: Params, data: DataConfig, train: pd.DataFrame, raw: set[str]) -> list[str]:
    features, target = params.features, train[data.target]
    strength = _association(train[data.numeric], target, data)
    warnings = []
    for column, value in strength.items():
        if not value >= features.leakage_threshold:
            continue
        same_row = features.horizon == 0 and column in raw
        what = "|correlation|" if data.task == "regression" else "single-feature ROC AUC"
        line = (
            f"column {column!r} (data.numeric) has {what} {value:.4f} >= "
            f"{features.leakage_threshold} (features.leakage_threshold) with target "
            f"{data.target!r} on the train split"
        )
        if same_row and features.leakage == "error":
            raise StageError(
                f"{line}: it almost is the target (leakage?); drop it, use its past values "
                "(features.lags), or set features.leakage: warning if it is known in advance"
            )
        reason = "leakage?" if same_row else "built from the past: the model may be persistence"
        warnings.append(f"{line} ({reason})")
    return warnings


def _association(numeric: pd.DataFrame, target: pd.Series, data: DataConfig) -> dict[str, float]:
    """|corr| (regression) or max(AUC, 1 − AUC) (binary classification) per numeric column."""
    if data.task == "regression":
        return {c: abs(float(numeric[c].corr(target))) for c in numeric.columns}
    classes = sorted(target.dropna().unique())
    if len(classes) != 2:
        return {}
    from sklearn.metrics import roc_auc_score

    positive = data.positive_label if data.positive_label is not None else classes[-1]
    out = {}
    for column in numeric.columns:
        known = numeric[column].notna()
        truth = target[known] == positive
        if truth.nunique() == 2:
            auc = float(roc_auc_score(truth, numeric.loc[known, column]))
            out[column] = max(auc, 1.0 - auc)
    return out
