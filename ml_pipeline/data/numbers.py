"""Numeric columns from text: the one rule for dirty numerics (prepare, predict, score; the model
server's copy is in serving/request_body.py, which imports no project module)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ml_pipeline.core.config import ReadOptions


def to_numbers(values: pd.Series, read: ReadOptions) -> pd.Series:
    """Text as float64, as numeric columns are read: `data.read.thousands` stripped first;
    a value that is no number becomes NaN.

    The one rule for dirty numerics, which prepare, predict, score and the model server
    (serving/request_body.py, its copy) apply alike: `'67 months'`, `'unknown'`, or
    `'1,022.95'` without `data.read.thousands: ","` are missing values (counted), never refused,
    never categories.
    """
    if read.thousands:
        values = values.str.replace(read.thousands, "", regex=False)
    return pd.to_numeric(values, errors="coerce").astype("float64")


def parse_numeric(rows: pd.DataFrame, columns: Iterable[str], read: ReadOptions) -> dict[str, int]:
    """Give `rows`' text `columns` (those present) numbers by `to_numbers`, in place; return how
    many values per column were no number and became missing."""
    coerced = {}
    for column in columns:
        if column not in rows or pd.api.types.is_numeric_dtype(rows[column]):
            continue
        text = rows[column]
        if not pd.api.types.is_string_dtype(text):  # e.g. a Parquet column of mixed objects
            text = text.astype("str").where(text.notna(), None)
        numbers = to_numbers(text, read)
        if bad := int((numbers.isna() & text.notna()).sum()):
            coerced[column] = bad
        rows[column] = numbers
    return coerced


def coerced_note(coerced: dict[str, int]) -> str:
    """One line on the values read as missing because they are no number (none: '')."""
    if not coerced:
        return ""
    shown_counts = ", ".join(f"{column} {count}" for column, count in coerced.items())
    return f"values that are no number read as missing (per column): {shown_counts}"
