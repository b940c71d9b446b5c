"""`evaluate` on `compute: dask`: the fitted local pipeline scores the test split partition by
partition on the workers (`map_partitions`); this process collects only the target, the
predictions and probabilities, the slice columns, the importance sample and the first rows for
the learning curve (small next to the features), and computes the metrics from them exactly as
the local path does (ml_pipeline/evaluation/scored_rows.py): the same metrics.json.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core.config import DataConfig, EvaluateConfig
from ml_pipeline.evaluation.curves import CURVE_MAX_ROWS
from ml_pipeline.evaluation.importance import sample_positions
from ml_pipeline.evaluation.metrics import (
    Scored,
    classification_metrics,
    positive_class,
    regression_metrics,
)
from ml_pipeline.evaluation.scored_rows import ScoredRows

PREDICTED = "predicted."  # the collected columns' prefixes (apart from the dataset's own)
PROBA = "proba."


def scored_partition(
    part: pd.DataFrame, model: Any, data: DataConfig, keep: list[str]
) -> pd.DataFrame:
    """One partition's `keep` columns, target, prediction and class probabilities."""
    features = part[data.features]
    out = part[[*keep, data.target]].copy()
    if data.task == "regression":
        predicted = model.predict(features) if len(part) else np.empty(0)
        out[PREDICTED] = np.asarray(predicted, dtype="float64")
        return out
    proba = model.predict_proba(features) if len(part) else np.empty((0, len(model.classes_)))
    predicted = model.predict(features) if len(part) else np.empty(0, dtype=object)
    out[PREDICTED] = pd.Series(predicted, index=out.index, dtype=object)
    for index, name in enumerate(model.classes_):
        out[f"{PROBA}{name}"] = proba[:, index]
    return out


def predictions(frame: Any, model: Any, data: DataConfig, keep: list[str]) -> pd.DataFrame:
    """`scored_partition` over every partition of the dask frame, collected in file order."""
    meta = frame._meta[[*keep, data.target]].copy()
    if data.task == "regression":
        meta[PREDICTED] = pd.Series(dtype="float64")
    else:
        meta[PREDICTED] = pd.Series(dtype=object)
        for name in model.classes_:
            meta[f"{PROBA}{name}"] = pd.Series(dtype="float64")
    scored = frame.map_partitions(scored_partition, model, data, keep, meta=meta)
    return scored.compute().reset_index(drop=True)


def as_scored(
    collected: pd.DataFrame, model: Any, data: DataConfig, keep: list[str], seconds: float
) -> Scored:
    """The collected predictions as `metrics.score` gives them, with their metrics."""
    target, predicted = collected[data.target], collected[PREDICTED].to_numpy()
    features = collected[keep]
    if data.task == "regression":
        values = regression_metrics(target, predicted)
        return Scored(values, features, target, predicted, None, [], None, seconds)
    classes = [str(c) for c in model.classes_]
    proba = collected[[f"{PROBA}{c}" for c in model.classes_]].to_numpy(dtype="float64")
    positive = positive_class(classes, data.positive_label)
    values = classification_metrics(target, predicted, proba, classes, positive)
    return Scored(values, features, target, predicted, proba, classes, positive, seconds)


def rows_at(frame: Any, lengths: list[int], positions: np.ndarray) -> pd.DataFrame:
    """The rows at global `positions` of the dask frame, in that order (index: the positions)."""
    import dask

    starts = np.cumsum([0, *lengths])
    wanted = []
    for number, part in enumerate(frame.to_delayed()):
        mine = np.sort(positions[(positions >= starts[number]) & (positions < starts[number + 1])])
        if len(mine):
            wanted.append(dask.delayed(_take)(part, mine - starts[number], starts[number]))
    found = pd.concat(dask.compute(*wanted)) if wanted else frame._meta
    return found.loc[positions]


def _take(part: pd.DataFrame, local: np.ndarray, start: int) -> pd.DataFrame:
    return part.iloc[local].set_axis(local + start)


def rows_on_dask(
    model: Any, path: Path, data: DataConfig, settings: EvaluateConfig, seed: int, workers: int
) -> ScoredRows:
    """`ScoredRows` of the prepared test split at `path`, scored over its partitions."""
    from ml_pipeline.modeling.dask_train import read_train

    frame = read_train(path, data, workers)
    keep = [] if data.slices is None else [c for c in data.slices.columns if c in data.features]
    started = time.perf_counter()
    collected = predictions(frame, model, data, keep)
    scored = as_scored(collected, model, data, keep, time.perf_counter() - started)
    rows = len(collected)
    lengths = [int(n) for n in frame.map_partitions(len).compute()]
    drawn = sample_positions(rows, settings.importance_max_rows, seed)
    head = np.arange(min(rows, CURVE_MAX_ROWS))
    gathered = rows_at(frame, lengths, np.unique(np.concatenate([drawn, head])))
    sample, first = gathered.loc[drawn], gathered.loc[head]
    return ScoredRows(
        scored=scored,
        sample=sample[data.features],
        sample_target=sample[data.target],
        head=first[data.features],
        head_target=first[data.target],
        frame=collected[[data.target]],
        rows=rows,
    )
