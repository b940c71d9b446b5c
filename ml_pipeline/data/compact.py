"""Compact in-memory dtypes for prepared tables, and back to the dtypes the files hold.

`prepare` keeps a large table compact while it reads, cleans and splits it: text feature columns
as categoricals, numbers as float32 where every value survives the round trip. The prepared
Parquet files keep the dtypes they always had (`str` text, float64 numbers: `restore`), so their
bytes, their md5s in dvc.lock and every reader stay the same. The categories are Python objects,
not Arrow strings: scikit-learn's imputer and encoders turn a column into a NumPy object array,
which then points at the few category values instead of making one Python string per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_pipeline.core.config import DataConfig


def categorical(values: pd.Series) -> pd.Series:
    """`values` as a categorical with sorted categories held as Python objects; missing stays
    missing."""
    codes, uniques = pd.factorize(values, sort=True)
    categories = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(codes, categories), index=values.index)


def object_categories(values: pd.Series) -> pd.Series:
    """A categorical read from Parquet (Arrow string categories) with object categories."""
    categories = values.cat.categories
    return values.cat.rename_categories(
        pd.Index(np.asarray(categories, dtype=object), dtype=object)
    )


def compact(frame: pd.DataFrame, cfg: DataConfig) -> pd.DataFrame:
    """Text feature columns (data.categorical, data.ordinal) as categoricals; data.numeric
    columns as float32 when that holds every value exactly. The same rows, the same values."""
    out = frame.copy(deep=False)
    for column in (*cfg.categorical, *cfg.ordinal):
        if column in out and column != cfg.target:
            out[column] = categorical(out[column])
    for column in cfg.numeric:
        if column == cfg.target or out[column].dtype != np.float64:
            continue
        small = out[column].to_numpy().astype(np.float32)
        if np.array_equal(small.astype(np.float64), out[column].to_numpy(), equal_nan=True):
            out[column] = small
    return out


def concat(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """Compact chunks as one table: each categorical column over the union of its chunks'
    categories (pandas would turn differing ones into text), float32 kept only when every chunk
    has it."""
    if len(chunks) == 1:
        return chunks[0]
    first = chunks[0]
    for column in first.columns:
        if isinstance(first[column].dtype, pd.CategoricalDtype):
            union = sorted(set().union(*(chunk[column].cat.categories for chunk in chunks)))
            categories = pd.Index(union, dtype=object)
            for chunk in chunks:
                chunk[column] = chunk[column].cat.set_categories(categories)
    return pd.concat(chunks, ignore_index=True)


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """The table in the dtypes the prepared files hold: categoricals as `str`, float32 as
    float64 (exact)."""
    out = frame.copy(deep=False)
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            values = out[column]
            out[column] = values.astype("str").where(values.notna(), None)
        elif dtype == np.float32:
            out[column] = out[column].astype(np.float64)
    return out
