"""The lean path of `prepare` (data/chunked.py, compact.py, prepared.py): a raw file read a chunk
at a time gives the rows, values, report and Parquet bytes of a whole read; compact dtypes; later
stages read only their columns."""

from __future__ import annotations

import gzip
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import DataConfig, load_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data import chunked, prepared
from ml_pipeline.data.compact import compact, concat, restore
from ml_pipeline.data.dataset import clean, read_table
from stages import prepare

TINY_TRAIN = Path("data/raw/tiny/tiny.data.gz")


@pytest.fixture
def tiny(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> DataConfig:
    monkeypatch.chdir(tiny_dir)
    return load_params("params.yaml").data


def whole(path: Path, cfg: DataConfig) -> tuple[pd.DataFrame, dict]:
    table, report = clean(read_table(path, cfg, "data.train_file"), cfg)
    return table, asdict(report)


@pytest.mark.parametrize("rows", [37, 1_000_000])
def test_chunks_give_the_rows_values_and_report_of_a_whole_read(tiny: DataConfig, rows: int):
    expected, expected_report = whole(TINY_TRAIN, tiny)
    table, report = chunked.read_clean(TINY_TRAIN, tiny, "data.train_file", rows)
    assert asdict(report) == expected_report
    pd.testing.assert_frame_equal(restore(table), expected)


def test_prepare_writes_the_same_bytes_in_chunks_as_whole(tiny: DataConfig, monkeypatch):
    params = load_params("params.yaml")
    train, test, report = prepare.run(params)
    prepared.write(train, Path("chunks.parquet"))
    monkeypatch.setattr(chunked, "CHUNK_ROWS", 13)  # many chunks, categories differing
    small_train, _, small_report = prepare.run(params)
    prepared.write(small_train, Path("small.parquet"))
    restore(train).to_parquet("whole.parquet", index=False, row_group_size=100_000)
    assert small_report == report
    assert Path("small.parquet").read_bytes() == Path("whole.parquet").read_bytes()
    assert Path("chunks.parquet").read_bytes() == Path("whole.parquet").read_bytes()


def test_row_groups_are_written_one_at_a_time_with_the_bytes_of_to_parquet(tmp_path: Path):
    frame = pd.DataFrame(
        {"x": np.arange(25, dtype=float), "c": pd.Series(list("ab") * 12 + [None], dtype="str")}
    )
    cfg = DataConfig.model_validate(
        {"name": "t", "task": "classification", "dir": ".", "train_file": "t.csv",
         "target": "y", "numeric": ["x"], "categorical": ["c"]}
    )  # fmt: skip
    prepared.write(compact(frame, cfg), tmp_path / "a.parquet", rows=10)
    frame.to_parquet(tmp_path / "b.parquet", index=False, row_group_size=10)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "a.parquet").metadata.num_row_groups == 3


def test_compact_dtypes(tiny: DataConfig) -> None:
    table, _ = chunked.read_clean(TINY_TRAIN, tiny, "data.train_file", 50)
    for column in tiny.categorical:
        assert isinstance(table[column].dtype, pd.CategoricalDtype), column
        assert table[column].cat.categories.dtype == object  # no Arrow string per row
    assert all(table[column].dtype == np.float32 for column in tiny.numeric)  # adult: whole
    assert table[tiny.target].dtype == "str"  # the target as the files hold it
    exact = compact(pd.DataFrame({"x": [0.1, 2.0]}), tiny.model_copy(update={"numeric": ["x"]}))
    assert exact["x"].dtype == np.float64  # 0.1 is not a float32: kept as it was


def test_chunks_with_different_categories_become_one_categorical() -> None:
    cfg = DataConfig.model_validate(
        {"name": "t", "task": "classification", "dir": ".", "train_file": "t.csv",
         "target": "y", "numeric": [], "categorical": ["c"]}
    )  # fmt: skip
    parts = [pd.DataFrame({"c": pd.Series(list(v), dtype="str")}) for v in ("ba", "ca")]
    one = concat([compact(p, cfg) for p in parts])
    assert isinstance(one["c"].dtype, pd.CategoricalDtype)
    assert list(one["c"].cat.categories) == ["a", "b", "c"]
    assert one["c"].tolist() == ["b", "a", "c", "a"]


def test_duplicates_and_class_spellings_are_judged_across_chunks(tmp_path: Path) -> None:
    cfg = DataConfig.model_validate(
        {"name": "t", "task": "classification", "dir": str(tmp_path), "train_file": "t.csv",
         "target": "y", "numeric": ["x"], "categorical": ["c"]}
    )  # fmt: skip
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("x,c,y\n1,a,yes\n2,b,no\n1,a,yes\n3,,\n")
    table, report = chunked.read_clean(path, cfg, "data.train_file", 1)
    assert (report.duplicates_dropped, report.missing_target_dropped) == (1, 1)
    assert restore(table)["x"].tolist() == [1.0, 2.0]
    with gzip.open(path, "wt") as handle:
        handle.write("x,c,y\n1,a,yes\n2,b,no\n3,a,Yes\n")
    with pytest.raises(StageError, match="differ only in case"):
        chunked.read_clean(path, cfg, "data.train_file", 2)  # 'yes' and 'Yes' in two chunks


def test_a_raw_parquet_file_is_read_in_batches(tiny: DataConfig, tmp_path: Path) -> None:
    raw = read_table(TINY_TRAIN, tiny, "data.train_file")
    raw.to_parquet(tmp_path / "raw.parquet", index=False)
    expected, report = clean(read_table(tmp_path / "raw.parquet", tiny, "k"), tiny)
    table, chunks_report = chunked.read_clean(tmp_path / "raw.parquet", tiny, "k", 33)
    assert asdict(chunks_report) == asdict(report)
    pd.testing.assert_frame_equal(restore(table), expected)


def test_later_stages_read_only_their_columns(tiny: DataConfig) -> None:
    params = load_params("params.yaml")
    train, _, _ = prepare.run(params)
    prepared.write(train, Path("train.parquet"))
    text = [*tiny.categorical, *tiny.ordinal]
    columns = prepared.model_columns(tiny)
    frame = prepared.read(Path("train.parquet"), [*columns[:3], tiny.categorical[0]], text)
    assert list(frame.columns) == [*columns[:3], tiny.categorical[0]]
    assert isinstance(frame[tiny.categorical[0]].dtype, pd.CategoricalDtype)
    assert frame[tiny.categorical[0]].cat.categories.dtype == object
    full = prepared.read(Path("train.parquet"), columns, text)
    pd.testing.assert_frame_equal(restore(full), restore(train)[columns])
