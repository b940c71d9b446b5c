"""Pure functions of ml_pipeline/data/dataset.py on small hand-made frames."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import DataConfig, SplitConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.dataset import check_target, clean, coerce_types, read_table, split


def data_config(**overrides: object) -> DataConfig:
    values: dict = {
        "name": "toy",
        "task": "classification",
        "dir": "data/raw/toy",
        "train_file": "toy.csv",
        "target": "label",
        "numeric": ["x"],
        "categorical": ["colour"],
    }
    return DataConfig.model_validate(values | overrides)


def toy_frame(n: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [str(i) for i in range(n)],
            "colour": ["red", "blue"] * (n // 2),
            "label": ["yes", "no", "no", "no"] * (n // 4),
            "ignored": ["zzz"] * n,
        }
    )


def test_read_table_reads_headerless_gzipped_csv_with_comment_and_na(tmp_path: Path) -> None:
    path = tmp_path / "toy.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("|a comment line\n1, red, yes\n?, blue, no.\n")
    cfg = data_config(
        read={
            "header": False,
            "columns": ["x", "colour", "label"],
            "na_values": ["?"],
            "comment": "|",
        }
    )
    frame = read_table(path, cfg, "data.train_file")
    assert list(frame.columns) == ["x", "colour", "label"]
    assert len(frame) == 2
    assert frame["x"].isna().tolist() == [False, True]
    assert frame["colour"].tolist() == ["red", "blue"]


def test_read_table_reads_parquet(tmp_path: Path) -> None:
    path = tmp_path / "toy.parquet"
    toy_frame().to_parquet(path)
    assert len(read_table(path, data_config(), "data.train_file")) == 20


def test_coerce_types_counts_values_that_are_not_numbers() -> None:
    frame = toy_frame(4)
    frame.loc[1, "x"] = "seven"
    typed, coerced = coerce_types(frame, data_config())
    assert typed["x"].dtype == "float64"
    assert coerced == {"x": 1}
    assert list(typed.columns) == ["x", "colour", "label"]  # undeclared columns are dropped


def test_coerce_types_applies_the_target_map() -> None:
    frame = pd.DataFrame({"x": ["1", "2"], "colour": ["a", "b"], "label": ["yes.", "no"]})
    cfg = data_config(target_map=[{"old": "yes.", "new": "yes"}])
    typed, _ = coerce_types(frame, cfg)
    assert typed["label"].tolist() == ["yes", "no"]


def test_clean_drops_exact_duplicates_and_rows_without_target() -> None:
    frame = pd.DataFrame(
        {"x": ["1", "1", "2", "3"], "colour": ["a", "a", "b", "c"], "label": ["y", "y", None, "n"]}
    )
    cleaned, report = clean(frame, data_config())
    assert len(cleaned) == 2
    assert (report.rows_in, report.duplicates_dropped, report.missing_target_dropped) == (4, 1, 1)


def test_single_class_target_is_refused() -> None:
    cleaned, _ = clean(toy_frame().assign(label="yes"), data_config())
    with pytest.raises(
        StageError, match="single class 'yes'.*data.target|data.target.*single class"
    ):
        check_target(cleaned, data_config(), "train")


def test_unknown_positive_label_is_refused() -> None:
    cleaned, _ = clean(toy_frame(), data_config(positive_label="maybe"))
    with pytest.raises(StageError, match="data.positive_label 'maybe'"):
        check_target(cleaned, data_config(positive_label="maybe"), "train")


@pytest.mark.parametrize("method", ["random", "stratified"])
def test_split_sizes_and_seed(method: str) -> None:
    frame, _ = clean(toy_frame(40), data_config())
    cfg = SplitConfig(method=method, test_size=0.25)
    train, test = split(frame, cfg, data_config(), seed=1)
    assert (len(train), len(test)) == (30, 10)
    assert set(train["x"]).isdisjoint(set(test["x"]))
    again_train, _ = split(frame, cfg, data_config(), seed=1)
    pd.testing.assert_frame_equal(train, again_train)


def test_stratified_split_keeps_class_shares() -> None:
    frame, _ = clean(toy_frame(40), data_config())  # 10 yes, 30 no
    _, test = split(frame, SplitConfig(method="stratified", test_size=0.2), data_config(), seed=3)
    assert test["label"].value_counts().to_dict() == {"no": 6, "yes": 2}


def test_time_split_puts_the_latest_rows_in_test() -> None:
    n = 10
    frame = pd.DataFrame(
        {
            "x": np.arange(n, dtype=float),
            "colour": ["a"] * n,
            "day": pd.date_range("2024-01-01", periods=n)[::-1],
            "label": ["y", "n"] * (n // 2),
        }
    )
    cfg = data_config(time_column="day")
    train, test = split(frame, SplitConfig(method="time", test_size=0.3), cfg, seed=0)
    assert train["day"].max() < test["day"].min()
    assert len(test) == 3


def test_split_refuses_an_empty_side() -> None:
    frame, _ = clean(toy_frame(4), data_config())
    with pytest.raises(StageError, match="split.test_size"):
        split(frame, SplitConfig(method="random", test_size=0.01), data_config(), seed=0)


def test_thousands_separator_is_parsed_when_configured() -> None:
    frame = pd.DataFrame(
        {"x": ["1,234.50", "12", "2,000"], "colour": ["a"] * 3, "label": ["y"] * 3}
    )
    read = {"header": True, "columns": [], "na_values": [], "comment": None}
    plain, coerced = coerce_types(frame, data_config(read=read | {"thousands": None}))
    assert coerced == {"x": 2}
    parsed, coerced = coerce_types(frame, data_config(read=read | {"thousands": ","}))
    assert parsed["x"].tolist() == [1234.5, 12.0, 2000.0] and coerced == {}


def test_cleaned_strings_are_what_parquet_gives_back(tmp_path: Path) -> None:
    """Categorical columns in pandas' `str` dtype: the later stages read the same table."""
    frame = toy_frame(8)
    frame.loc[3, "colour"] = None
    typed, _ = clean(frame, data_config())
    assert typed["colour"].dtype == "str" and typed["colour"].isna().sum() == 1
    typed.to_parquet(tmp_path / "t.parquet", index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), typed)


def test_a_header_naming_a_column_twice_is_refused_naming_it_and_the_file(tmp_path: Path) -> None:
    """pandas would rename the second `colour` to `colour.1` and read on (issue 23, item 7)."""
    path = tmp_path / "toy.csv"
    path.write_text("x, colour, label, colour\n1, red, yes, blue\n")
    with pytest.raises(StageError, match=r"toy.csv: column 'colour' appears twice in the header"):
        read_table(path, data_config(read={"header": True}), "data.train_file")
    path.write_text("x, colour, label, colour.1\n1, red, yes, blue\n")  # distinct names: read
    assert list(read_table(path, data_config(), "data.train_file").columns)[-1] == "colour.1"


def test_a_huge_value_is_echoed_capped(tmp_path: Path) -> None:
    """One 5 MB field must not become a 5 MB error line (issue 23, item 8)."""
    frame = toy_frame().assign(label=["1.5"] * 19 + ["z" * 5_000_000])
    with pytest.raises(StageError, match="non-numeric") as raised:
        coerce_types(frame, data_config(task="regression", positive_label=None))
    assert len(str(raised.value)) < 1_000 and "(5,000,000 characters)" in str(raised.value)


def test_a_semicolon_delimited_file_is_read_with_data_read_delimiter(tmp_path: Path) -> None:
    """Issue 23, item 10: `data.read.delimiter` for files that are not comma-separated."""
    path = tmp_path / "toy.csv"
    path.write_text("x;colour;label\n1,5;red;yes\n2;blue;no\n")
    frame = read_table(path, data_config(read={"delimiter": ";"}), "data.train_file")
    assert frame.to_dict("list") == {
        "x": ["1,5", "2"],
        "colour": ["red", "blue"],
        "label": ["yes", "no"],
    }
    with gzip.open(tmp_path / "toy.csv.gz", "wt") as handle:
        handle.write("1; red; yes\n2; blue; no\n")
    read = {"delimiter": ";", "header": False, "columns": ["x", "colour", "label"]}
    frame = read_table(tmp_path / "toy.csv.gz", data_config(read=read), "data.train_file")
    assert frame["colour"].tolist() == ["red", "blue"]


def test_a_file_read_as_one_column_holding_semicolons_names_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "toy.csv"
    path.write_text("x;colour;label\n1;red;yes\n2;blue;no\n")
    with pytest.raises(StageError) as raised:
        read_table(path, data_config(), "data.train_file")
    message = str(raised.value)
    assert message.startswith(f"{path}: one column found") and "data.read.delimiter: ';'" in message
    path.write_text("x;colour;label\n1;red;yes\n")
    with pytest.raises(StageError, match="delimiter ','"):
        read_table(path, data_config(read={"delimiter": ","}), "data.train_file")
