"""`compute: dask` for `prepare`: a raw file's partitions read, typed and made compact on the
workers (`chunked.typed_chunk`, what a local chunk gets), gathered in order and judged over all
rows by `chunked.cleaned`, so the prepared files are the local path's, byte for byte.

Partitions: a Parquet file's row groups; an uncompressed CSV's blocks of BLOCK_BYTES; a gzipped
CSV is one partition (gzip cannot be read from the middle), so give large files uncompressed or
as Parquet. The compact tables come back to this process, which de-duplicates, splits and writes
the two prepared files (docs/performance.md: what limits 100M rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ml_pipeline.core import progress
from ml_pipeline.core.compute_config import ComputeConfig
from ml_pipeline.core.config import DataConfig
from ml_pipeline.data.chunked import cleaned, read_clean, typed_chunk
from ml_pipeline.data.dataset import CleanReport, check_columns, check_header_line, csv_options
from ml_pipeline.data.headerless import check_headerless, check_short_lines
from ml_pipeline.data.raw_errors import check_file, reading

BLOCK_BYTES = "64MiB"  # an uncompressed CSV's partitions
Reader = Callable[[Path, DataConfig, str], tuple[pd.DataFrame, CleanReport]]


@contextmanager
def raw_reader(compute: ComputeConfig) -> Iterator[Reader]:
    """How `prepare` reads a raw file: chunk by chunk here (`local`), or partition by partition
    on the cluster's workers (`dask`: compute.address or a LocalCluster)."""
    if compute.engine != "dask":
        yield read_clean
        return
    from ml_pipeline.core.cluster import compute_client

    with compute_client(compute) as client:
        yield partial(read_clean_on_dask, client)


def read_clean_on_dask(
    client: Any, path: Path, cfg: DataConfig, key: str
) -> tuple[pd.DataFrame, CleanReport]:
    """`chunked.read_clean` with the chunks typed on the workers, one task per partition."""
    import dask
    from distributed import as_completed

    from ml_pipeline.core.cluster import dask_failure

    frame = raw_partitions(path, cfg, key)
    check_columns(frame._meta, cfg, path)
    tasks = [dask.delayed(flagged_chunk)(part, cfg) for part in frame.to_delayed()]
    with dask_failure(f"reading {path}"), reading(path, key):
        futures = client.compute(tasks)
        done = as_completed(futures)
        for _ in progress.each(done, len(futures), f"prepare: {path.name} on dask"):
            pass
        results = client.gather(futures)
    if any(missing_last for _, missing_last in results):
        check_short_csv_lines(path, frame, cfg, key)
    return cleaned([part for part, _ in results], cfg, path, key)


def raw_partitions(path: Path, cfg: DataConfig, key: str) -> Any:
    """The raw file as a dask DataFrame: text columns of a CSV, a Parquet file's own types; the
    workers open it by its absolute path (a shared filesystem for remote workers)."""
    import dask.dataframe as dd

    check_file(path, key, cfg.dir)
    with reading(path, key):
        if path.suffix == ".parquet":
            return dd.read_parquet(path.resolve(), split_row_groups=True)
        read, names = cfg.read, cfg.read.columns or None
        if read.header:
            check_header_line(path, read)
        elif names:
            check_headerless(path, cfg, key)
        zipped = path.suffix == ".gz"
        return dd.read_csv(
            path.resolve(),
            blocksize=None if zipped else BLOCK_BYTES,
            compression="gzip" if zipped else None,
            **csv_options(read, read.header, names, str),
        )


def flagged_chunk(
    chunk: pd.DataFrame, cfg: DataConfig
) -> tuple[tuple[pd.DataFrame, dict[str, int]], bool]:
    """`typed_chunk`, and whether a row's last value is missing (maybe a short CSV line)."""
    return typed_chunk(chunk, cfg), bool(len(chunk.columns) and chunk.iloc[:, -1].isna().any())


def check_short_csv_lines(path: Path, frame: Any, cfg: DataConfig, key: str) -> None:
    """A local chunk's check, once for the whole file: its lines with fewer fields than the
    columns (`headerless.check_short_lines`, given one row whose last value is missing)."""
    if path.suffix != ".parquet":
        probe = pd.DataFrame([[None] * len(frame.columns)], columns=frame.columns)
        check_short_lines(path, probe, cfg, key)
