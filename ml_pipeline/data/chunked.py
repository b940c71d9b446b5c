"""`prepare`'s reading of a raw file, a chunk of rows at a time, into a compact typed table.

Each chunk of CHUNK_ROWS rows is read as text, typed by the same rules as a whole file
(`dataset.coerce_types`) and made compact (`compact.compact`) before the next is read, so the
raw text of the whole file never is in memory at once; the class spellings, the duplicates and
the rows without a target are then judged over all rows, as on a whole file. The result has the
rows, values and report of `dataset.clean(dataset.read_table(...))`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ml_pipeline.core.config import DataConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.changes import check_class_spelling
from ml_pipeline.data.compact import compact, concat
from ml_pipeline.data.dataset import (
    CleanReport,
    check_columns,
    coerce_types,
    drop_rows,
    read_csv_chunks,
)
from ml_pipeline.data.headerless import check_headerless, check_short_lines
from ml_pipeline.data.raw_errors import check_file, reading

CHUNK_ROWS = 1_000_000  # rows read, typed and compacted at a time


def read_clean(
    path: Path, cfg: DataConfig, key: str, rows: int | None = None
) -> tuple[pd.DataFrame, CleanReport]:
    """The raw file at `path` typed, compact and cleaned, read `rows` (CHUNK_ROWS) at a time;
    `key` names the config key that points at the file, for error messages."""
    parts = []
    for chunk in raw_chunks(path, cfg, key, rows or CHUNK_ROWS):
        if not parts:
            check_columns(chunk, cfg, path)
        parts.append(typed_chunk(chunk, cfg))
    return cleaned(parts, cfg, path, key)


def typed_chunk(chunk: pd.DataFrame, cfg: DataConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    """One chunk of raw rows typed (`dataset.coerce_types`, spellings judged later over all
    rows) and compact, with the count of values made missing per column."""
    typed, counts = coerce_types(chunk, cfg, spelling=False)
    return compact(typed, cfg), counts


def cleaned(
    parts: list[tuple[pd.DataFrame, dict[str, int]]], cfg: DataConfig, path: Path, key: str
) -> tuple[pd.DataFrame, CleanReport]:
    """The typed chunks of a file, in order, as one table judged over all its rows: class
    spellings, then duplicates and rows without a target dropped (`dataset.drop_rows`)."""
    rows_in = sum(len(frame) for frame, _ in parts)
    if not rows_in:
        raise StageError(f"{path}: the file is empty: no data rows (config key {key})")
    coerced: Counter[str] = Counter()
    for _, counts in parts:
        coerced.update(counts)
    table = concat([frame for frame, _ in parts])
    if cfg.task == "classification":
        check_class_spelling(table[cfg.target], cfg.target)
    return drop_rows(table, cfg, rows_in, dict(coerced))


def raw_chunks(path: Path, cfg: DataConfig, key: str, rows: int) -> Iterator[pd.DataFrame]:
    """The file's rows, `rows` at a time, as `dataset.read_table` reads them (a CSV as text,
    Parquet in its own types), with its checks and its one-line errors."""
    check_file(path, key, cfg.dir)
    with reading(path, key):
        chunks = _chunks(path, cfg, key, rows)
    short_lines_checked = False
    while True:
        with reading(path, key):  # errors of the reading only, not of what the caller does
            chunk = next(chunks, None)
            if chunk is None:
                return
            # a short line reads as a row whose last value is missing: the first chunk with
            # one reads the whole file again for them, once
            csv = path.suffix != ".parquet"
            if csv and not short_lines_checked and chunk.iloc[:, -1].isna().any():
                check_short_lines(path, chunk, cfg, key)
                short_lines_checked = True
        yield chunk


def _chunks(path: Path, cfg: DataConfig, key: str, rows: int) -> Iterator[pd.DataFrame]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return (batch.to_pandas() for batch in pq.ParquetFile(path).iter_batches(rows))
    if not cfg.read.header and cfg.read.columns:
        check_headerless(path, cfg, key)
    names = cfg.read.columns or None
    return read_csv_chunks(path, cfg.read, cfg.read.header, names, rows)
