"""Checks for a file read without a header (`data.read.header: false`, names from
`data.read.columns`): the column count, and a header line where none should be; and for any
CSV, lines with fewer fields than the columns (garbage or cut lines in the middle of a file).

Without them a dropped column, a wrong delimiter or a header line surface much later as an
"empty train split" or a "single class" target, and a garbage line as a dozen failed
expectations of `validate` that name no line.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from ml_pipeline.core.config import DataConfig
from ml_pipeline.core.errors import StageError, capped

SAMPLE_ROWS = 50
DELIMITERS = (",", ";", "\t", "|")


def delimiter_hint(text: str, delimiter: str) -> str:
    """For the one column a line gave: ` (...; set data.read.delimiter: ';')` when it holds
    another common delimiter, else ''."""
    found = next((other for other in DELIMITERS if other != delimiter and other in text), None)
    if found is None:
        return ""
    return f" (the delimiter {delimiter!r} finds no other; set data.read.delimiter: {found!r})"


def _first_rows(path: Path, cfg: DataConfig) -> pd.DataFrame:
    return pd.read_csv(
        path,
        header=None,
        nrows=SAMPLE_ROWS,
        sep=cfg.read.delimiter,
        comment=cfg.read.comment,
        skipinitialspace=True,
        dtype=str,
        keep_default_na=False,
        on_bad_lines="skip",
    )


def _is_header(row: pd.Series, names: list[str]) -> bool:
    """At least half of the line's values are column names of data.read.columns."""
    known = {name.strip().lower() for name in names}
    return sum(str(value).strip().lower() in known for value in row) * 2 >= len(row)


def check_headerless(path: Path, cfg: DataConfig, key: str) -> None:
    """Raise StageError when the file's first rows do not fit `data.read.columns`."""
    expected = cfg.read.columns
    sample = _first_rows(path, cfg)
    if sample.empty:
        return
    found = sample.shape[1]
    if found != len(expected):
        hint = ""
        if found == 1:
            delimiter = cfg.read.delimiter
            hint = delimiter_hint(str(sample.iloc[0, 0]), delimiter) or (
                f" (is the delimiter {delimiter!r}? see data.read.delimiter)"
            )
        raise StageError(
            f"{path}: {found} column(s) found, data.read.columns lists {len(expected)}{hint}; "
            f"fix the file or data.read.columns (config key {key})"
        )
    if _is_header(sample.iloc[0], expected):
        names = ", ".join(map(capped, sample.iloc[0][:4]))
        raise StageError(
            f"{path}: the first line looks like a header ({names}, ...) "
            f"but data.read.header is false; set data.read.header: true (config key {key})"
        )


def input_names(path: Path, cfg: DataConfig, model_columns: list[str]) -> list[str] | None:
    """Column names for rows to score, of a dataset read without header line.

    None when the file's first line is a header (of data.read.columns or the model's columns:
    rows to score may have one); else data.read.columns, or those without the target, by the
    number of columns found.
    """
    sample = _first_rows(path, cfg)
    if sample.empty or _is_header(sample.iloc[0], [*cfg.read.columns, *model_columns]):
        return None
    features = [name for name in cfg.read.columns if name != cfg.target]
    for names in (cfg.read.columns, features):
        if sample.shape[1] == len(names):
            return names
    raise StageError(
        f"{path}: {sample.shape[1]} column(s) found and no header line; data.read.columns lists "
        f"{len(cfg.read.columns)} (the target {cfg.target!r} may be left out): fix the file or "
        "give it a header line"
    )


LINES_SHOWN = 10


def check_short_lines(path: Path, frame: pd.DataFrame, cfg: DataConfig, key: str) -> None:
    """Raise StageError naming the lines of `path` with fewer fields than `frame`'s columns
    (pandas fills them with missing values). Read again only when a row's last value is
    missing, as a short line's is."""
    if not frame.iloc[:, -1].isna().any():
        return
    from pandas.io.common import get_handle

    expected, short = frame.shape[1], []
    with get_handle(path, "r", compression="infer") as handle:
        rows = csv.reader(handle.handle, delimiter=cfg.read.delimiter, skipinitialspace=True)
        for fields in rows:
            comment = cfg.read.comment and fields and fields[0].startswith(cfg.read.comment)
            if fields and not comment and len(fields) < expected:
                short.append(rows.line_num)
    if short:
        shown = ", ".join(map(str, short[:LINES_SHOWN]))
        more = f" and {len(short) - LINES_SHOWN} more" if len(short) > LINES_SHOWN else ""
        raise StageError(
            f"{path}: line(s) {shown}{more} have fewer than the {expected} fields of a row "
            f"(garbage or cut lines?); remove or fix them (config key {key})"
        )
