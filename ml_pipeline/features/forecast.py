"""Forecast from raw history rows: build the recipe's features (`features.*` in params.yaml)
and keep the latest row of each series, the forecast origin.

The model then predicts the target `features.horizon` rows after that row (with horizon 0: the
target of that row itself, which may be left empty). A prediction needs `history_rows(features)`
earlier rows of its series besides the origin row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ml_pipeline.core.config import Params
from ml_pipeline.core.errors import StageError
from ml_pipeline.core.scoring_config import Scoring
from ml_pipeline.data.dataset import check_columns, coerce_types
from ml_pipeline.features.recipe import build, history_rows


def origin_rows(history: pd.DataFrame, params: Params | Scoring, source: str) -> pd.DataFrame:
    """The latest row of each series, with its built features, from raw `history` rows."""
    data, features = params.data, params.features
    raw = history.astype(str).where(history.notna(), None)
    check_columns(raw, data, Path(source))
    typed, _ = coerce_types(raw, data)
    group = features.group_column
    keys = [group] if group else []
    table = typed.sort_values([*keys, data.time_column], kind="stable")
    latest = table.groupby(keys, sort=False).tail(1) if keys else table.tail(1)
    built, _ = build(table, data, features, forecast=True)
    origins = built.merge(latest[[*keys, data.time_column]], on=[*keys, data.time_column])
    if len(origins) < len(latest):
        need = history_rows(features)
        raise StageError(
            f"{source}: {len(latest) - len(origins)} series lack history: a forecast needs the "
            f"latest row plus {need} earlier row(s) per series (features.*), with no gaps"
        )
    return origins.reset_index(drop=True)
