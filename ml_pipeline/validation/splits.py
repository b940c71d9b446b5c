"""`validate` on splits of any size: its own checks count every row (tally.py: a row group at a
time here, or over partitions on `compute: dask`); the Great Expectations suite runs on the
whole split up to GX_MAX_ROWS rows, else on a seeded sample of GX_MAX_ROWS rows.

On a sample, the table-level expectations stay exact: the row count is the file's (its outcome
is replaced by the count of every row), the column set and types are the file's schema. The
row-wise ones (type, nulls, range, categories, uniqueness) see the sample only: a null fraction
is estimated (within about ±0.1 % of rows at 1,000,000 drawn), a value out of range or category
that fewer than about 1 in 300,000 rows hold may be missed, and a duplicate is found only when
both rows are drawn. docs/performance.md#data-larger-than-memory-on-dask.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ml_pipeline.core.config import Params
from ml_pipeline.core.errors import StageError
from ml_pipeline.validation.checks import Outcome, counted_columns
from ml_pipeline.validation.tally import Tally, dask_tally, empty_frame, parquet_tally

GX_MAX_ROWS = 1_000_000
ROW_COUNT_KEY = "validation.row_count"


def file_rows(path: Path) -> int:
    """Rows of a Parquet file, from its metadata (StageError when it is not one)."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise StageError(f"{path}: not found; run the `prepare` stage first (dvc repro prepare)")
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, ValueError) as exc:
        raise StageError(f"{path}: cannot be read as Parquet: {exc}") from None


def sample_rows(path: Path, size: int, seed: int) -> pd.DataFrame:
    """`size` rows drawn without replacement (seeded) from the file, read a row group at a time,
    in file order."""
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    total = source.metadata.num_rows
    drawn = np.sort(np.random.default_rng(seed).choice(total, size=size, replace=False))
    parts, start = [], 0
    for group in range(source.num_row_groups):
        stop = start + source.metadata.row_group(group).num_rows
        mine = drawn[(drawn >= start) & (drawn < stop)] - start
        if len(mine):
            parts.append(source.read_row_group(group).take(mine).to_pandas())
        start = stop
    return pd.concat(parts, ignore_index=True) if parts else empty_frame(path)


def gx_frame(path: Path, seed: int) -> pd.DataFrame:
    """What the Great Expectations suite runs on: the whole split, or a sample of a large one."""
    rows = file_rows(path)
    if rows <= GX_MAX_ROWS:
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise StageError(f"{path}: cannot be read as Parquet: {exc}") from None
    return sample_rows(path, GX_MAX_ROWS, seed)


def exact_row_counts(
    outcomes: list[Outcome], rows: dict[str, int], params: Params
) -> list[Outcome]:
    """The row-count outcomes of sampled splits with the split's own row count."""
    check = params.validation.row_count
    fixed = []
    for outcome in outcomes:
        count = rows.get(outcome.split)
        if outcome.key == ROW_COUNT_KEY and count is not None and outcome.observed != count:
            ok = count >= check.min and (check.max is None or count <= check.max)
            outcome = replace(outcome, success=ok, observed=count)
        fixed.append(outcome)
    return fixed


def tallies(params: Params, files: dict[str, Path]) -> dict[str, Tally]:
    """Each split's tally over every row: row group by row group, or on Dask's workers."""
    target, suite = params.data.target, params.validation
    counted = {
        split: counted_columns({c: k for c, k in _kinds(path).items()}, target, suite)
        for split, path in files.items()
    }
    if params.compute.engine != "dask":
        return {split: parquet_tally(path, counted[split]) for split, path in files.items()}
    from ml_pipeline.core import progress
    from ml_pipeline.core.cluster import compute_client, dask_failure

    with compute_client(params.compute) as client, dask_failure("validating the splits"):
        progress.note("validate: counting the splits on dask")
        return {split: dask_tally(path, counted[split], client) for split, path in files.items()}


def _kinds(path: Path) -> dict[str, str]:
    from ml_pipeline.validation.tally import kind

    frame = empty_frame(path)
    return {str(c): kind(frame[c]) for c in frame.columns}
