"""Load a raw dataset, give its columns their configured types, clean it and split it."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core.config import DataConfig, ReadOptions, SplitConfig
from ml_pipeline.core.errors import StageError, shown
from ml_pipeline.data.changes import check_class_spelling
from ml_pipeline.data.headerless import check_headerless, check_short_lines, delimiter_hint
from ml_pipeline.data.numbers import to_numbers
from ml_pipeline.data.raw_errors import check_file, reading


@dataclass(frozen=True)
class CleanReport:
    """What `clean` removed, for reports/prepare.json."""

    rows_in: int
    duplicates_dropped: int
    missing_target_dropped: int
    values_coerced_to_missing: dict[str, int]


def read_table(path: Path, cfg: DataConfig, key: str) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or Parquet file as the data config describes it; `key`
    names the config key that points at the file, for error messages."""
    check_file(path, key, cfg.dir)
    with reading(path, key):
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            if not cfg.read.header and cfg.read.columns:
                check_headerless(path, cfg, key)
            frame = read_csv(path, cfg.read, cfg.read.header, cfg.read.columns or None, str)
            check_short_lines(path, frame, cfg, key)
    if frame.empty:
        raise StageError(f"{path}: the file is empty: no data rows (config key {key})")
    return frame


def read_csv(
    path: Path, read: ReadOptions, header: bool, names: list[str] | None, dtype: Any
) -> pd.DataFrame:
    """A CSV (gzipped or not) read with the dataset's `data.read` options, as `prepare` reads the
    dataset's files and `predict` its input: `na_values` and empty cells are missing, a space
    after a delimiter (`delimiter`) is skipped (a blank `' '` is missing), `comment` starts a
    comment. A header line naming a column twice is refused (pandas would rename the second
    `<name>.1`), and so is one read as one column holding another delimiter."""
    if header:
        check_header_line(path, read)
    return pd.read_csv(path, **csv_options(read, header, names, dtype))


def read_csv_chunks(
    path: Path, read: ReadOptions, header: bool, names: list[str] | None, rows: int
) -> Iterator[pd.DataFrame]:
    """`read_csv` as text, `rows` rows at a time (a file larger than memory: `score`)."""
    if header:
        check_header_line(path, read)
    with pd.read_csv(path, chunksize=rows, **csv_options(read, header, names, str)) as reader:
        yield from reader


def csv_options(read: ReadOptions, header: bool, names: list[str] | None, dtype: Any) -> dict:
    """pandas' `read_csv` options for the dataset's `data.read` settings."""
    return {
        "sep": read.delimiter,
        "header": 0 if header else None,
        "names": names,
        "na_values": read.na_values or None,
        "comment": read.comment,
        "skipinitialspace": True,
        "dtype": dtype,
        "keep_default_na": True,
    }


def repeated_name(names: Iterable[object]) -> str | None:
    """The first column name given twice (blank ones aside: pandas numbers them), else None."""
    seen: set[str] = set()
    for name in map(str, names):
        if name in seen and name.strip():
            return name
        seen.add(name)
    return None


def check_header_line(path: Path, read: ReadOptions) -> None:
    """Fail, naming the file, when the header line names a column twice, or is one column that
    holds another delimiter (`data.read.delimiter` is not the file's)."""
    first = pd.read_csv(
        path,
        header=None,
        nrows=1,
        sep=read.delimiter,
        comment=read.comment,
        skipinitialspace=True,
        dtype=str,
        keep_default_na=False,
    )
    if first.empty:
        return
    names = [str(name) for name in first.iloc[0]]
    if len(names) == 1 and (hint := delimiter_hint(names[0], read.delimiter)):
        raise StageError(f"{path}: one column found, named {shown(names[0])}{hint}")
    if (name := repeated_name(names)) is not None:
        raise StageError(
            f"{path}: column {shown(name)} appears twice in the header line; rename one of them"
        )


def check_columns(frame: pd.DataFrame, cfg: DataConfig, path: Path) -> None:
    """Fail when the target or a configured feature column is not in the file."""
    if cfg.target not in frame.columns:
        raise StageError(
            f"{path}: target column {cfg.target!r} (data.target) is not in the file; "
            f"columns are: {', '.join(map(str, frame.columns))}"
        )
    configured = (*cfg.features, cfg.time_column, cfg.split_column)
    missing = [column for column in configured if column and column not in frame]
    if missing:
        raise StageError(
            f"{path}: configured column(s) {', '.join(map(repr, missing))} "
            f"(data.numeric/categorical/ordinal/time_column/split_column) are not in the file"
        )


def coerce_types(
    frame: pd.DataFrame, cfg: DataConfig, spelling: bool = True
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Keep the configured columns and give them their types.

    Numeric columns become float64 (values that are not numbers become missing and are
    counted); categorical and ordinal columns become strings (`str` dtype); the target becomes
    a string for classification and float64 for regression. `spelling=False`: the caller checks
    the target's class spellings (a chunk holds only some of the classes)."""
    extra = [c for c in (cfg.time_column, cfg.split_column) if c and c not in cfg.features]
    keep = [*cfg.features, *extra, cfg.target]
    out = pd.DataFrame(index=frame.index)
    coerced: dict[str, int] = {}
    for column in keep:
        values = frame[column]
        if column in cfg.numeric or (column == cfg.target and cfg.task == "regression"):
            numbers = to_numbers(values, cfg.read)
            bad = int((numbers.isna() & values.notna()).sum())
            if column == cfg.target and bad:
                raise StageError(
                    f"target column {column!r} (data.target) has {bad} non-numeric value(s), "
                    f"e.g. {shown(values[numbers.isna() & values.notna()].iloc[0])}; "
                    "a regression target (data.task) must be numeric"
                )
            if bad:
                _refuse_dates(values[numbers.isna() & values.notna()], column, cfg)
                coerced[column] = bad
            out[column] = numbers
        elif column == cfg.time_column:
            out[column] = pd.to_datetime(values, errors="coerce")
            if unparsed := int((out[column].isna() & values.notna()).sum()):
                coerced[column] = unparsed
        elif column == cfg.split_column:
            out[column] = _train_flags(values, column)
        else:
            # pandas' `str` dtype (Arrow-backed): the dtype Parquet gives back, so in memory the
            # table is what later stages read; a Python object per value would take ~5× the RAM.
            out[column] = values.astype("str").where(values.notna(), None)
    if cfg.task == "classification" and cfg.target_map:
        out[cfg.target] = out[cfg.target].replace({m.old: m.new for m in cfg.target_map})
    if cfg.task == "classification" and spelling:
        check_class_spelling(out[cfg.target], cfg.target)
    return out.reset_index(drop=True), coerced


def _refuse_dates(bad: pd.Series, column: str, cfg: DataConfig) -> None:
    """A numeric column whose non-numbers are mostly dates is a time column, not a number."""
    sample = bad.head(200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": we only count successes
        dates = pd.to_datetime(sample, errors="coerce", format="mixed")
    if dates.notna().mean() >= 0.9:
        raise StageError(
            f"column {column!r} (data.numeric) holds dates, e.g. {shown(sample.iloc[0])}: make it "
            "data.time_column (features.calendar builds its parts), not a numeric feature"
        )


def _train_flags(values: pd.Series, column: str) -> pd.Series:
    """data.split_column as booleans (true/false, 1/0, any case); anything else fails."""
    flags = (
        values.astype(str)
        .str.strip()
        .str.lower()
        .map({"true": True, "1": True, "false": False, "0": False})
    )
    if flags.isna().any():
        bad = values[flags.isna()].iloc[0]
        raise StageError(
            f"data.split_column {column!r} holds {shown(bad)}; "
            "it must be true (train) or false (test)"
        )
    return flags.astype(bool)


def clean(frame: pd.DataFrame, cfg: DataConfig) -> tuple[pd.DataFrame, CleanReport]:
    """Coerce types, then drop exact duplicate rows and rows without a target."""
    typed, coerced = coerce_types(frame, cfg)
    return drop_rows(typed, cfg, len(frame), coerced)


def drop_rows(
    typed: pd.DataFrame, cfg: DataConfig, rows_in: int, coerced: dict[str, int]
) -> tuple[pd.DataFrame, CleanReport]:
    """Drop exact duplicate rows and rows without a target from a typed table."""
    duplicated = typed.duplicated()
    no_target = typed[cfg.target].isna() & ~duplicated
    typed = typed[~(duplicated | no_target)].reset_index(drop=True)  # one copy, not two
    report = CleanReport(
        rows_in=rows_in,
        duplicates_dropped=int(duplicated.sum()),
        missing_target_dropped=int(no_target.sum()),
        values_coerced_to_missing=coerced,
    )
    return typed, report


def check_target(frame: pd.DataFrame, cfg: DataConfig, split_name: str) -> None:
    """A classification target needs two classes, and the positive label must be one of them."""
    if frame.empty:
        raise StageError(
            f"the {split_name} split is empty after cleaning (data.target={cfg.target!r})"
        )
    if cfg.task != "classification":
        return
    classes = sorted(frame[cfg.target].unique())
    if len(classes) < 2:
        raise StageError(
            f"target column {cfg.target!r} (data.target) has a single class {shown(classes[0])} "
            f"in the {split_name} split; classification needs at least two"
        )
    if cfg.positive_label is not None and cfg.positive_label not in classes:
        raise StageError(
            f"data.positive_label {cfg.positive_label!r} is not a class of {cfg.target!r}; "
            f"classes are: {', '.join(map(shown, classes))}"
        )


def split(
    frame: pd.DataFrame, cfg: SplitConfig, data: DataConfig, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split one cleaned table into train and test (not for `predefined`, which has two files)."""
    n_test = int(round(len(frame) * (cfg.test_size or 0.0)))
    if not 0 < n_test < len(frame):
        raise StageError(
            f"split.test_size={cfg.test_size} leaves an empty split for {len(frame)} rows"
        )
    if cfg.method == "time":
        ordered = frame.sort_values(data.time_column, kind="stable").reset_index(drop=True)
        return ordered.iloc[:-n_test].reset_index(drop=True), ordered.iloc[-n_test:].reset_index(
            drop=True
        )
    rng = np.random.default_rng(seed)
    if cfg.method == "stratified":
        test_index = _stratified_sample(frame[data.target], n_test, rng)
    else:
        test_index = np.sort(rng.permutation(len(frame))[:n_test])
    is_test = np.zeros(len(frame), dtype=bool)
    is_test[test_index] = True
    return frame[~is_test].reset_index(drop=True), frame[is_test].reset_index(drop=True)


def _stratified_sample(labels: pd.Series, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """Row positions for a test split that keeps each class's share (largest remainder)."""
    positions = {
        label: np.flatnonzero(labels.to_numpy() == label) for label in sorted(labels.unique())
    }
    exact = {label: len(rows) * n_test / len(labels) for label, rows in positions.items()}
    counts = {label: int(share) for label, share in exact.items()}
    by_remainder = sorted(exact, key=lambda label: (counts[label] - exact[label], str(label)))
    for label in by_remainder[: n_test - sum(counts.values())]:
        counts[label] += 1
    picked = [rng.permutation(rows)[: counts[label]] for label, rows in positions.items()]
    return np.sort(np.concatenate(picked))
