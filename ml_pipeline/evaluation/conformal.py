"""Split-conformal prediction intervals of regression models, from train's out-of-fold residuals.

`calibrate` (train): the half-width is the ⌈(n + 1)·level⌉-th smallest |target − prediction| of
the n validation rows of the CV that `train` runs anyway (no extra fit); on time-ordered data
only the latest folds' rows (`interval.walk_forward_share`), whose models saw the most history.
The final model's prediction ± half-width then holds a new target with probability ≥ level when
rows are exchangeable (split conformal; a time series only approximates that). The test split
is never used. `interval_metrics` (evaluate): the empirical coverage on the test rows, with an
exact (Clopper–Pearson) 95 % interval, and the mean width. `bounds`: `prediction_lower` and
`prediction_upper` (`make predict`; the server repeats the two lines: it imports no project
module).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES
from ml_pipeline.evaluation.intervals import LEVEL  # the other test metrics' intervals' level
from ml_pipeline.evaluation.metrics import rounded

KEY = "interval"  # in reports/train.json and in the MLflow model's metadata
COVERAGE, WIDTH = "interval_coverage", "interval_width"  # metrics.json (evaluation/catalog.py)
LOWER, UPPER = "prediction_lower", "prediction_upper"  # columns of make predict and the server
EPSILON = 1e-9  # 0.9 / 0.1 is 9.000000000000002 in floating point: no rank is one too high


def calibration_rows(folds: list[tuple[np.ndarray, np.ndarray]], share: float | None) -> np.ndarray:
    """Row positions whose residuals calibrate the interval: every fold's validation rows, or
    with `share` (time-ordered folds, in time order) those of the latest ⌈share · folds⌉."""
    used = folds[-math.ceil(share * len(folds)) :] if share is not None else folds
    return np.sort(np.concatenate([valid for _, valid in used]))


def calibrate(residuals: np.ndarray, level: float) -> dict[str, Any]:
    """The interval a model carries: `level`, `half_width` and how many `residuals` set it."""
    count = len(residuals)
    rank = math.ceil((count + 1) * level - EPSILON)  # the finite-sample conformal quantile's rank
    if rank > count:
        needed = math.ceil(level / (1 - level) - EPSILON)
        raise StageError(
            f"interval.level {level}: needs at least {needed} out-of-fold residuals, the CV gave "
            f"{count}; lower interval.level or give the CV more rows (cv.n_splits, data)"
        )
    half_width = float(np.partition(np.abs(residuals), rank - 1)[rank - 1])
    return {"level": level, "half_width": half_width, "residuals": count}


def bounds(predicted: Any, interval: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """`prediction_lower`, `prediction_upper`: each prediction ∓ the interval's half-width."""
    values = np.asarray(predicted, dtype=float)
    return values - interval["half_width"], values + interval["half_width"]


def interval_metrics(
    target: pd.Series, predicted: np.ndarray, interval: dict[str, Any]
) -> dict[str, float | None]:
    """Test coverage (share of targets inside their interval) with its exact 95 % interval
    (Clopper–Pearson), and the mean width (one width for every row: its bounds are the width)."""
    from scipy.stats import beta

    lower, upper = bounds(predicted, interval)
    actual = target.to_numpy(dtype=float)
    rows, inside = len(actual), int(((actual >= lower) & (actual <= upper)).sum())
    tail = (1 - LEVEL) / 2
    low = beta.ppf(tail, inside, rows - inside + 1) if inside > 0 else 0.0
    high = beta.ppf(1 - tail, inside + 1, rows - inside) if inside < rows else 1.0
    width = float(np.mean(upper - lower))
    low_suffix, high_suffix = INTERVAL_SUFFIXES
    return rounded(
        {
            COVERAGE: inside / rows,
            WIDTH: width,
            COVERAGE + low_suffix: low,
            COVERAGE + high_suffix: high,
            WIDTH + low_suffix: width,
            WIDTH + high_suffix: width,
        }
    )
