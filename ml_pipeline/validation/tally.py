"""What `validate`'s own checks (checks.py) need of a split, counted over every row without
holding the split: its row count, each column's kind, and the value counts of the columns the
checks read. Counted chunk by chunk (a Parquet row group at a time) in this process, or
partition by partition on the workers on `compute: dask`; the counts of the chunks add up to
the counts of the whole, so the checks give the same outcomes as on the whole frame.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Tally:
    """A split's rows, column kinds (`kind`) and value counts (missing values left out)."""

    rows: int
    kinds: dict[str, str]
    counts: dict[str, pd.Series]


def kind(series: pd.Series) -> str:
    """numeric | string | datetime: how the checks treat a column."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"  # no categories, no drift: a later test period is expected
    return "numeric" if pd.api.types.is_numeric_dtype(series) else "string"


def chunk_tally(frame: pd.DataFrame, counted: Iterable[str]) -> Tally:
    """The tally of one chunk (or of a whole frame): value counts of the `counted` columns."""
    return Tally(
        rows=len(frame),
        kinds={str(c): kind(frame[c]) for c in frame.columns},
        counts={c: frame[c].value_counts(dropna=True) for c in counted if c in frame},
    )


def combined(parts: list[Tally]) -> Tally:
    """The tally of the chunks together (their kinds: the first chunk's, as the file's schema)."""
    counts = {}
    for column in parts[0].counts:
        each = [p.counts[column] for p in parts if len(p.counts[column])]
        total = (
            pd.concat(each).groupby(level=0, sort=False).sum() if each else parts[0].counts[column]
        )
        counts[column] = total.sort_values(ascending=False, kind="stable")
    return Tally(sum(p.rows for p in parts), parts[0].kinds, counts)


def empty_frame(path: Path) -> pd.DataFrame:
    """The Parquet file's columns with the types pandas reads them with, no rows."""
    import pyarrow.parquet as pq

    return pq.read_schema(path).empty_table().to_pandas()


def parquet_tally(path: Path, counted: list[str]) -> Tally:
    """The tally of a Parquet file, read a row group at a time, only the `counted` columns."""
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    columns = [c for c in counted if c in source.schema_arrow.names]
    head = chunk_tally(empty_frame(path), columns)
    parts = [head]
    for group in range(source.num_row_groups):
        frame = source.read_row_group(group, columns=columns).to_pandas()
        parts.append(chunk_tally(frame, columns))
    return combined(parts)


def dask_tally(path: Path, counted: list[str], client: Any) -> Tally:
    """The tally of a Parquet file counted over its partitions on the workers of `client`."""
    import dask
    import dask.dataframe as dd

    head = chunk_tally(empty_frame(path), [c for c in counted if c in empty_frame(path)])
    columns = list(head.counts)
    if not columns:  # nothing to count: the row count is in the file's metadata
        import pyarrow.parquet as pq

        return Tally(pq.ParquetFile(path).metadata.num_rows, head.kinds, {})
    frame = dd.read_parquet(path, columns=columns, split_row_groups=True)
    text = {
        name: "str" for name, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)
    }
    frame = frame.astype(text)
    tasks = [dask.delayed(chunk_tally)(part, columns) for part in frame.to_delayed()]
    parts = list(client.compute(tasks, sync=True))
    return combined([head, *parts])
