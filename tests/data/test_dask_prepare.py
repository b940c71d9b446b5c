"""`prepare` on `compute: dask` (data/dask_prepare.py): a raw file's partitions typed on the
workers of a real in-process LocalCluster give the rows, values, report and prepared bytes of
the local chunked read, for a gzipped CSV (one partition), an uncompressed CSV in many blocks
and a Parquet file in many row groups; a short line is the local path's one line."""

from __future__ import annotations

import gzip
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

from ml_pipeline.core.config import DataConfig, load_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data import dask_prepare, prepared
from ml_pipeline.data.chunked import read_clean
from stages import prepare

TINY_TRAIN = Path("data/raw/tiny/tiny.data.gz")


@pytest.fixture
def tiny(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> DataConfig:
    monkeypatch.chdir(tiny_dir)
    return load_params("params.yaml").data


def same_as_local(dask_client: object, path: Path, cfg: DataConfig) -> None:
    expected, expected_report = read_clean(path, cfg, "data.train_file")
    table, report = dask_prepare.read_clean_on_dask(dask_client, path, cfg, "data.train_file")
    assert asdict(report) == asdict(expected_report)
    pd.testing.assert_frame_equal(table, expected)


def test_a_gzipped_csv_is_typed_on_a_worker_as_here(dask_client: object, tiny: DataConfig) -> None:
    same_as_local(dask_client, TINY_TRAIN, tiny)


def test_an_uncompressed_csv_in_many_blocks_gives_the_same_rows(
    dask_client: object, tiny: DataConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = Path("tiny.data")
    plain.write_bytes(gzip.decompress(TINY_TRAIN.read_bytes()))
    monkeypatch.setattr(dask_prepare, "BLOCK_BYTES", 4_096)
    assert dask_prepare.raw_partitions(plain, tiny, "data.train_file").npartitions > 5
    same_as_local(dask_client, plain, tiny)


def test_a_parquet_file_in_many_row_groups_gives_the_same_rows(
    dask_client: object, tiny: DataConfig
) -> None:
    raw = pd.read_csv(TINY_TRAIN, header=None, names=tiny.read.columns, dtype=str)
    raw.to_parquet("tiny.parquet", row_group_size=50, index=False)
    assert dask_prepare.raw_partitions(Path("tiny.parquet"), tiny, "k").npartitions == 8
    same_as_local(dask_client, Path("tiny.parquet"), tiny)


def test_the_stage_on_dask_writes_the_local_bytes(
    dask_client: object, tiny: DataConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = load_params("params.yaml")
    local_train, local_test, local_report = prepare.run(params)
    read = lambda path, cfg, key: dask_prepare.read_clean_on_dask(dask_client, path, cfg, key)  # noqa: E731
    train, test, report = prepare.run(params, read)
    assert report == local_report
    for ours, theirs, name in ((train, local_train, "train"), (test, local_test, "test")):
        prepared.write(ours, Path(f"{name}.dask.parquet"))
        prepared.write(theirs, Path(f"{name}.local.parquet"))
        assert (
            Path(f"{name}.dask.parquet").read_bytes() == Path(f"{name}.local.parquet").read_bytes()
        )


def test_a_short_line_is_named_as_on_the_local_path(dask_client: object, tiny: DataConfig) -> None:
    lines = gzip.decompress(TINY_TRAIN.read_bytes()).decode().splitlines()
    lines[5] = ",".join(lines[5].split(",")[:-3])
    Path("short.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(StageError) as local:
        read_clean(Path("short.csv"), tiny, "data.train_file")
    with pytest.raises(StageError) as on_dask:
        dask_prepare.read_clean_on_dask(dask_client, Path("short.csv"), tiny, "data.train_file")
    assert str(on_dask.value) == str(local.value) and "short.csv" in str(local.value)
