"""How strict a starter contract is: year-like and trending ranges and new nulls are warnings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_pipeline.validation.tolerance import null_check, range_severity


def test_year_like_and_trending_columns_get_a_warning_range() -> None:
    rng = np.random.default_rng(0)
    years = pd.Series(rng.integers(1995, 2024, 200).astype(float))
    assert range_severity(years, None) == "warning"
    trending = pd.Series(np.arange(200) * 1.5 + rng.normal(0, 5, 200))
    assert range_severity(trending, None) == "warning"
    dates = pd.Series(pd.date_range("2020-01-01", periods=200))
    assert range_severity(trending[::-1].reset_index(drop=True), dates) == "warning"
    noise = pd.Series(rng.normal(50, 10, 200))
    assert range_severity(noise, None) == "error"
    assert range_severity(noise, dates) == "error"


def test_a_column_without_nulls_tolerates_them_as_a_warning() -> None:
    assert null_check(0.0, 0.0) == {"max_fraction": 0.0, "severity": "warning"}
    assert null_check(0.05, 0.085) == {"max_fraction": 0.085}
