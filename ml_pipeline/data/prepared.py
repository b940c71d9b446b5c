"""Writing and reading the prepared splits (data/prepared/{train,test}.parquet).

`write` streams a compact table to Parquet a row group at a time in the files' own dtypes;
`read` gives a later stage only the columns it names, its text feature columns as compact
categoricals (`compact.object_categories`), never the whole table as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ml_pipeline.core.config import DataConfig
from ml_pipeline.data.compact import object_categories, restore

# Row groups of 100,000 rows: the partitions `compute: dask` streams (ml_pipeline/modeling/
# dask_train.py) and the batches a reader can take; smaller files than that are one group, as
# pyarrow's default writes them.
ROW_GROUP_ROWS = 100_000


def write(frame: pd.DataFrame, path: Path, rows: int = ROW_GROUP_ROWS) -> None:
    """`frame` in the files' dtypes (`compact.restore`), as Parquet in row groups of `rows`
    rows, restored and written one row group at a time: the bytes of
    `restore(frame).to_parquet(path, index=False, row_group_size=rows)` without a second copy
    of the whole table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for start in range(0, max(len(frame), 1), rows):
            part = restore(frame.iloc[start : start + rows])
            schema = writer.schema if writer is not None else None
            table = pa.Table.from_pandas(part, preserve_index=False, schema=schema)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="snappy")
            writer.write_table(table, row_group_size=rows)
    finally:
        if writer is not None:
            writer.close()


def model_columns(data: DataConfig) -> list[str]:
    """The columns training reads: the features, the target and the time column (row order)."""
    extra = [data.time_column] if data.time_column and data.time_column not in data.features else []
    return [*data.features, data.target, *extra]


def read(path: Path, columns: Iterable[str], text: Iterable[str] = ()) -> pd.DataFrame:
    """`columns` of a prepared split; those of them in `text` (the categorical and ordinal
    features) that the file holds as text, as categoricals with object categories."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(dict.fromkeys(columns))
    schema = pq.read_schema(path)
    strings = {
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    }
    wanted = [column for column in dict.fromkeys(text) if column in names and column in strings]
    frame = pd.read_parquet(path, columns=names, read_dictionary=wanted or None)
    for column in wanted:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = object_categories(frame[column])
    return frame
