"""Categories at predict time that the data contract (`validation.columns.*.categories`) does
not list: counted per column and reported, not silently scored."""

from __future__ import annotations

import pandas as pd

from ml_pipeline.core.config import Params
from ml_pipeline.core.scoring_config import Scoring


def unseen_counts(rows: pd.DataFrame, params: Params | Scoring) -> dict[str, int]:
    """Per categorical column of the contract: how many rows hold a value it does not list."""
    counts = {}
    for column, spec in params.validation.columns.items():
        if spec.categories is None or column not in rows.columns:
            continue
        values = rows[column].dropna().astype(str)
        unseen = int((~values.isin(spec.categories.values)).sum())
        if unseen:
            counts[column] = unseen
    return counts


def unseen_line(counts: dict[str, int], rows: int) -> str:
    """The line predict prints (stderr) when there are unseen categories."""
    shown = ", ".join(f"{column} {count}" for column, count in counts.items())
    return (
        f"predict: warning: categories not seen in training (per column, of {rows} rows): "
        f"{shown}; they are scored as unknown"
    )
