"""What `evaluate` needs of the test split, whichever engine scored it: the model's scores on
every row, the rows permutation importance shuffles, the first rows the learning curve scores,
and the columns the baselines read. `local_rows` computes them in this process; on
`compute: dask`, ml_pipeline/evaluation/on_dask.py computes the same values over partitions.

`evaluate` reads only the columns it uses (`needed_test_columns`, `train_columns`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ml_pipeline.core.config import DataConfig, EvaluateConfig, Params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.columns import features_and_target
from ml_pipeline.evaluation.curves import CURVE_MAX_ROWS
from ml_pipeline.evaluation.importance import sample_positions
from ml_pipeline.evaluation.metrics import Scored, score
from ml_pipeline.features.recipe import PERSISTENCE, SEASONAL


@dataclass(frozen=True)
class ScoredRows:
    """The test split as `evaluate` uses it (features of `scored`: at least the slice columns)."""

    scored: Scored
    sample: pd.DataFrame  # the importance sample's features (index: row positions)
    sample_target: pd.Series
    head: pd.DataFrame  # the first CURVE_MAX_ROWS rows' features
    head_target: pd.Series
    frame: pd.DataFrame  # the columns the baselines read (baselines.py)
    rows: int


def local_rows(
    model: object, test: pd.DataFrame, data: DataConfig, settings: EvaluateConfig, seed: int
) -> ScoredRows:
    """`ScoredRows` of a test frame held in this process."""
    scored = score(model, test, data)
    features, target = features_and_target(test, data)
    sample = features.iloc[sample_positions(len(features), settings.importance_max_rows, seed)]
    return ScoredRows(
        scored=scored,
        sample=sample,
        sample_target=target.loc[sample.index],
        head=features.iloc[:CURVE_MAX_ROWS],
        head_target=target.iloc[:CURVE_MAX_ROWS],
        frame=test,
        rows=len(test),
    )


def baseline_columns(params: Params, data: DataConfig) -> list[str]:
    """The test columns the naive baselines read (baselines.py): the target, the time column,
    and the persistence (and seasonal) forecasts a `features.*` recipe built."""
    extra = [data.time_column] if data.time_column else []
    if data.time_column and params.features.active:
        extra += [PERSISTENCE, SEASONAL] if params.features.season else [PERSISTENCE]
    return list(dict.fromkeys([data.target, *extra]))


def needed_test_columns(params: Params, data: DataConfig) -> list[str]:
    """The test split's columns `evaluate` reads: the model's features and the baselines'."""
    return list(dict.fromkeys([*data.features, *baseline_columns(params, data)]))


def train_columns(params: Params) -> list[str]:
    """The train split's columns the baselines read: the target (and the time column)."""
    data = params.data
    return [data.target, *([data.time_column] if data.time_column else [])]


def read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    """`columns` of the Parquet file at `path` (a missing one: one line naming it)."""
    import pyarrow.parquet as pq

    present = set(pq.read_schema(path).names)
    if missing := [c for c in columns if c not in present]:
        raise StageError(
            f"{path}: no column(s) {', '.join(map(repr, missing))}; re-run `dvc repro prepare`"
        )
    return pd.read_parquet(path, columns=columns)
