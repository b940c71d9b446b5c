"""A starter `conf/data/<name>.yaml` and gate `conf/register/<name>.yaml` drafted from the file.

Used by `make suite DATA=<name> TARGET=<column>` when conf/data/<name>.yaml does not exist yet:
column types from the values, the task guessed from the target, a time column recognised,
ID-like and high-cardinality columns left out with a comment saying why.
"""

from __future__ import annotations

import gzip
import json
import re
import warnings
from pathlib import Path

import pandas as pd

from ml_pipeline.core.errors import StageError
from ml_pipeline.data.headerless import DELIMITERS

SUFFIXES = (".csv", ".csv.gz", ".parquet")
NUMERIC_SHARE = 0.95  # of non-missing values that parse as numbers: a numeric column
DATE_SHARE = 0.9
MAX_LEVELS = 255  # hgb's limit on a categorical column
ID_MIN_ROWS = 50
REGRESSION_MIN_VALUES = 20  # a numeric target with more distinct values: regression
ID_NAME = re.compile(r"(^|_)(id|key|uuid|number|no)$|^id", re.IGNORECASE)
NUMBER_WITH_UNIT = r"[-+]?\d[\d,]*(\.\d+)?\s*[A-Za-z%][A-Za-z%. ]*"  # '67 months'
MISSING_WORDS = {"unknown", "n/a", "na", "none", "null", "missing", "-", "?", "nan"}
THOUSANDS = r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?"  # '1,022.95'
TIME_NAME = re.compile(r"(^|_)(date|time|timestamp|datetime|day)($|_)", re.IGNORECASE)


def find_file(data_dir: Path) -> Path:
    """The one CSV/Parquet file of data/raw/<name>/."""
    found = sorted(p for p in data_dir.glob("*") if p.name.endswith(SUFFIXES))
    if len(found) != 1:
        shown = ", ".join(p.name for p in found) or "none"
        raise StageError(
            f"{data_dir}: expected one .csv, .csv.gz or .parquet file to draft "
            f"conf/data from, found {shown}; put the file there (or write the config by hand)"
        )
    return found[0]


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce")


def _is_numeric(values: pd.Series) -> bool:
    """Numbers on NUMERIC_SHARE of the present values, dirt aside (`_dirt`): a number with a
    unit, a word for "missing", thousands separators. Prepare, predict and score read such dirt
    as missing (data/dataset.py `to_numbers`): it must not make the column categorical."""
    present = values.dropna()
    dirt = _dirt(present)
    numbers = _numbers(present.str.replace(",", "", regex=False) if len(present) else present)
    clean = numbers.notna() & ~dirt
    return bool(clean.any()) and (clean | dirt).mean() >= NUMERIC_SHARE


def _dirt(values: pd.Series) -> pd.Series:
    """Values of a numeric column that are no plain number: `'67 months'`, `'unknown'`."""
    text = values.astype(str).str.strip()
    return text.str.fullmatch(NUMBER_WITH_UNIT) | text.str.lower().isin(MISSING_WORDS)


def _has_thousands(values: pd.Series) -> bool:
    """Whether a numeric column's values use `,` between thousands (`'1,022.95'`)."""
    return bool(values.dropna().astype(str).str.strip().str.fullmatch(THOUSANDS).any())


def _is_date(values: pd.Series, name: str) -> bool:
    present = values.dropna().head(500)
    if len(present) == 0 or (_is_numeric(present) and not TIME_NAME.search(name)):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(present, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= DATE_SHARE)


def _numeric_id(values: pd.Series, name: str) -> bool:
    """Distinct whole numbers on every row, in a run (1..n) or in a column named like an ID."""
    numbers = _numbers(values)
    if len(values) < ID_MIN_ROWS or numbers.isna().any() or numbers.nunique() < len(values):
        return False
    if not (numbers % 1 == 0).all():
        return False
    contiguous = numbers.max() - numbers.min() + 1 == len(values)
    return bool(contiguous or ID_NAME.search(name))


def sniffed_delimiter(path: Path) -> str:
    """The common delimiter (data/headerless.py DELIMITERS) the file's first line holds most
    often; ',' when it holds none."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", errors="replace") as handle:
        first = handle.readline()
    best = max(DELIMITERS, key=first.count)
    return best if first.count(best) else ","


def draft(name: str, path: Path, target: str) -> tuple[str, str, str]:
    """(conf/data YAML text, conf/register YAML text, one-line summary) for the file."""
    delimiter = "," if path.suffix == ".parquet" else sniffed_delimiter(path)
    frame = (
        pd.read_parquet(path).astype("string").astype(object)
        if path.suffix == ".parquet"
        else pd.read_csv(path, dtype=str, skipinitialspace=True, sep=delimiter)
    )
    if target not in frame.columns:
        raise StageError(
            f"{path}: TARGET={target!r} is not a column; columns are: {', '.join(frame.columns)}"
        )
    labels = frame[target].dropna()
    regression = _is_numeric(labels) and labels.nunique() > REGRESSION_MIN_VALUES
    task = "regression" if regression else "classification"
    numeric, categorical, left_out = [], [], []
    time_column = None
    for column in frame.columns:
        if column == target:
            continue
        values = frame[column]
        distinct = values.dropna().nunique()
        if time_column is None and _is_date(values, column):
            time_column = column
        elif _is_numeric(values):
            if _numeric_id(values, column):
                left_out.append(f"{column}: a distinct whole number on every row, like an ID")
            else:
                numeric.append(column)
        elif len(values) >= ID_MIN_ROWS and distinct == len(values):
            left_out.append(f"{column}: a distinct value on every row, like an ID")
        elif distinct > MAX_LEVELS:
            left_out.append(f"{column}: {distinct} distinct values (more than {MAX_LEVELS})")
        else:
            categorical.append(column)
    positive = None
    if task == "classification":
        counts = labels.value_counts()
        if len(counts) < 2:
            raise StageError(f"{path}: TARGET={target!r} has a single value; nothing to learn")
        positive = str(counts.index[-1]) if len(counts) == 2 else None
    split = "time" if time_column else ("stratified" if task == "classification" else "random")
    gate = f"starter_{task}"
    columns = (numeric, categorical, time_column)
    text = _data_yaml(name, path, delimiter, task, target, positive, *columns)
    text = text.replace("defaults:\n", f"defaults:\n  - override /split: {split}\n", 1)
    if any(_has_thousands(frame[column]) for column in numeric):  # '1,022.95' is a number
        text = text.replace("    thousands: null\n", '    thousands: ","\n', 1)
    if left_out:
        text += "# Left out (add them to numeric/categorical if they are real features):\n"
        text += "".join(f"#   {line}\n" for line in left_out)
    register = (Path(__file__).resolve().parents[2] / "conf/register" / f"{gate}.yaml").read_text()
    summary = (
        f"task {task} (guessed from {target!r}; set data.task to change it), "
        f"{len(numeric)} numeric, {len(categorical)} categorical"
        f"{f', time column {time_column!r}' if time_column else ''}, {len(left_out)} left out"
    )
    return text, register, summary


def _data_yaml(
    name: str,
    path: Path,
    delimiter: str,
    task: str,
    target: str,
    positive: str | None,
    numeric: list[str],
    categorical: list[str],
    time_column: str | None,
) -> str:
    def flow(items: list[str]) -> str:
        return "[" + ", ".join(_quoted(item) for item in items) + "]"

    return (
        "# @package _global_\n"
        f"# Drafted by `make suite DATA={name}` from {path.name}: review the column types.\n"
        "defaults:\n"
        f"  - override /validation: {name}\n"
        f"  - override /register: {name}\n\n"
        "data:\n"
        f"  name: {name}\n"
        f"  task: {task}\n"
        f"  dir: {path.parent.as_posix()}\n"
        f"  train_file: {_quoted(path.name)}\n"
        "  test_file: null\n"
        "  read:\n"
        "    header: true\n"
        "    columns: []\n"
        "    na_values: []\n"
        "    comment: null\n"
        "    thousands: null\n"
        f"    delimiter: {json.dumps(delimiter)}\n"  # a YAML double-quoted scalar ("\\t")
        f"  target: {_quoted(target)}\n"
        "  target_map: []\n"
        f"  positive_label: {_quoted(positive) if positive is not None else 'null'}\n"
        f"  numeric: {flow(numeric)}\n"
        f"  categorical: {flow(categorical)}\n"
        "  ordinal: {}\n"
        f"  time_column: {_quoted(time_column) if time_column else 'null'}\n"
    )


def _quoted(value: str) -> str:
    """A YAML scalar that stays a string: quoted unless plainly a word."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value) and value.lower() not in {
        "null",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
    }:
        return value
    return "'" + value.replace("'", "''") + "'"
