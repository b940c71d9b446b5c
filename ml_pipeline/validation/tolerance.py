"""How strict a starter data contract is (`make suite`): what the next batch may do.

- A column that had no nulls: nulls in a later batch are a warning (tolerated, recorded).
- A year-like column (whole numbers between 1800 and 2200) or a trending one (rank correlation
  with the time column, or the row order, of at least 0.5): its range is a warning, since the
  next batch is expected to go past the values seen so far. Other ranges stay errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

YEARS = (1800, 2200)
TREND = 0.5


def null_check(fraction: float, limit: float) -> dict[str, Any]:
    """The nulls check of a column that had `fraction` nulls (`limit`: the widened fraction)."""
    if fraction:
        return {"max_fraction": limit}
    return {"max_fraction": 0.0, "severity": "warning"}


def range_severity(values: pd.Series, order: pd.Series | None) -> str:
    """`warning` for a year-like or trending numeric column, else `error`."""
    present = values.dropna()
    if present.empty:
        return "error"
    whole = bool(np.all(present == np.round(present)))
    if whole and present.min() >= YEARS[0] and present.max() <= YEARS[1]:
        return "warning"
    if present.nunique() < 3:
        return "error"
    position = order if order is not None else pd.Series(np.arange(len(values)), values.index)
    trend = values.rank().corr(position.rank())
    return "warning" if pd.notna(trend) and abs(trend) >= TREND else "error"
