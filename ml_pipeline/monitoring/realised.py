"""What a batch's labels say: the champion's realised metrics with 95 % bootstrap intervals
(evaluation/intervals.py, the same resampling as the test metrics) and, with a challenger scored
in shadow, the disagreement rate and the paired metric difference with its interval.

A scored batch holds `prediction` and, for a binary classifier, `score` (the positive class's
probability); the shadow columns are `challenger_prediction` and `challenger_score`
(docs/monitoring.md). Multi-class batches get no realised metrics (no probabilities are stored).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES
from ml_pipeline.evaluation.intervals import LEVEL, REPLICATES, count_chunks, intervals, statistic
from ml_pipeline.evaluation.metrics import (
    Scored,
    classification_metrics,
    regression_metrics,
    rounded,
)

CHALLENGER = "challenger_"  # prefix of the shadow columns


def labelled(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows whose label has arrived (none without the target column)."""
    if target not in frame:
        return frame.iloc[:0]
    return frame[frame[target].notna()]


def scored_batch(
    frame: pd.DataFrame, target: str, classes: list[str], positive: str | None, prefix: str = ""
) -> Scored | None:
    """The batch's labelled rows as evaluation/metrics.py scores them, from the stored output
    of the model (`prefix`: "challenger_" for the shadow model); None when it cannot be."""
    predicted = frame[prefix + "prediction"].to_numpy()
    empty = frame.iloc[:, :0]
    if positive is None:  # regression
        truth = frame[target].astype(float)
        values = regression_metrics(truth, predicted.astype(float))
        return Scored(values, empty, truth, predicted.astype(float), None, [], None, 0.0)
    if len(classes) != 2 or prefix + "score" not in frame:
        return None
    truth, predicted = frame[target].astype(str), predicted.astype(str)
    if not set(truth) <= set(classes):  # a label the model never saw: no probability for it
        return None
    score = frame[prefix + "score"].to_numpy(float)
    proba = np.column_stack([1 - score, score] if classes[1] == positive else [score, 1 - score])
    values = classification_metrics(truth, predicted, proba, classes, positive)
    return Scored(values, empty, truth, predicted, proba, classes, positive, 0.0)


def realised(scored: Scored, seed: int) -> dict[str, float | None]:
    """Every metric of the task on the labelled rows, with `<metric>.ci_lower`/`.ci_upper`."""
    return dict(scored.metrics) | intervals(scored, seed)


def disagreement(frame: pd.DataFrame, task: str) -> float | None:
    """Share of rows where the challenger's label differs (classification), or the mean
    absolute difference of the two predictions (regression); None without a challenger."""
    if CHALLENGER + "prediction" not in frame or frame.empty:
        return None
    ours, theirs = frame["prediction"], frame[CHALLENGER + "prediction"]
    if task == "regression":
        return round(float((ours.astype(float) - theirs.astype(float)).abs().mean()), 6)
    return round(float((ours.astype(str) != theirs.astype(str)).mean()), 6)


def paired_difference(
    champion: Scored, challenger: Scored, metric: str, seed: int, replicates: int = REPLICATES
) -> dict[str, float | None]:
    """champion − challenger on `metric`, with a 95 % interval from the same resamples of the
    same rows (paired): `difference`, `difference.ci_lower`, `difference.ci_upper`."""
    point = (champion.metrics.get(metric), challenger.metrics.get(metric))
    lower, upper = (f"difference{suffix}" for suffix in INTERVAL_SUFFIXES)
    if point[0] is None or point[1] is None:
        return {"difference": None, lower: None, upper: None}
    ours, theirs = statistic(champion), statistic(challenger)
    chunks = count_chunks(len(champion.target), replicates, seed)
    values = np.concatenate([ours(w)[metric] - theirs(w)[metric] for w in chunks])
    tail = 100 * (1 - LEVEL) / 2
    low, high = np.nanpercentile(values, [tail, 100 - tail])
    return rounded({"difference": point[0] - point[1], lower: low, upper: high})
