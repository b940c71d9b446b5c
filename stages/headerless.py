"""Checks for a file read without a header (`data.read.header: false`, names from
`data.read.columns`): the column count, and a header line where none should be.

Without them a dropped column, a wrong delimiter or a header line surface much later as an
"empty train split" or a "single class" target.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stages.config import DataConfig
from stages.errors import StageError

SAMPLE_ROWS = 50


def check_headerless(path: Path, cfg: DataConfig, key: str) -> None:
    """Raise StageError when the file's first rows do not fit `data.read.columns`."""
    expected = cfg.read.columns
    sample = pd.read_csv(
        path,
        header=None,
        nrows=SAMPLE_ROWS,
        comment=cfg.read.comment,
        skipinitialspace=True,
        dtype=str,
        keep_default_na=False,
        on_bad_lines="skip",
    )
    if sample.empty:
        return
    found = sample.shape[1]
    if found != len(expected):
        hint = " (is the delimiter a comma?)" if found == 1 else ""
        raise StageError(
            f"{path}: {found} column(s) found, data.read.columns lists {len(expected)}{hint}; "
            f"fix the file or data.read.columns (config key {key})"
        )
    first = [str(value).strip().lower() for value in sample.iloc[0]]
    names = [name.strip().lower() for name in expected]
    matches = sum(value == name for value, name in zip(first, names, strict=True))
    if matches * 2 >= len(names):
        raise StageError(
            f"{path}: the first line looks like a header ({', '.join(sample.iloc[0][:4])}, ...) "
            f"but data.read.header is false; set data.read.header: true (config key {key})"
        )
