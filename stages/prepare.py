"""Stage `prepare`: raw source → typed, deduplicated train/test Parquet files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ml_pipeline.core import paths
from ml_pipeline.core.config import DataConfig, Params, load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.outputs import json_writer, publish
from ml_pipeline.data import prepared
from ml_pipeline.data.changes import changes_note
from ml_pipeline.data.chunked import read_clean
from ml_pipeline.data.compact import restore
from ml_pipeline.data.dask_prepare import Reader, raw_reader
from ml_pipeline.data.dataset import check_target, split
from ml_pipeline.features.recipe import Dropped, build, check_config, purge_boundary

SOURCE = "__train_file__"  # which file a row came from, while both are one series


def run(params: Params, read: Reader = read_clean) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Load, clean and split the configured dataset; return train, test and a report. The
    splits are compact (data/compact.py: categoricals, float32 where exact) unless a feature
    recipe ran; `prepared.write` writes them in the files' dtypes. `read` reads a raw file (here,
    or on Dask's workers: data/dask_prepare.py)."""
    data = params.data
    check_config(data, params.split, params.features)
    train_path = Path(data.dir) / data.train_file
    table, report = read(train_path, data, "data.train_file")  # compact, chunk by chunk
    if params.features.active:  # the recipes compute on the files' own dtypes
        table = restore(table)
    reports = {"train_file": asdict(report)}
    if params.split.method == "predefined" and data.split_column:
        check_target(table, data, "whole")
        table, dropped = build(table, data, params.features)
        is_train = table[data.split_column]
        train, test = (table[mask].reset_index(drop=True) for mask in (is_train, ~is_train))
    elif params.split.method == "predefined":
        test_path = Path(data.dir) / str(data.test_file)
        test, test_report = read(test_path, data, "data.test_file")
        train = table
        if params.features.active:
            test = restore(test)
        reports["test_file"] = asdict(test_report)
        train, test, dropped = _build_across(train, test, data, params)
    else:
        check_target(table, data, "whole")
        table, dropped = build(table, data, params.features)
        train, test = split(table, params.split, data, params.seed)
    if params.features.active:
        train, dropped = purge_boundary(train, data, params.features, dropped)
        reports["features_dropped"] = asdict(dropped) | {"total": dropped.total}
    check_target(train, data, "train")
    check_target(test, data, "test")
    reports["rows"] = {"train": len(train), "test": len(test)}
    return train, test, reports


def _build_across(
    train: pd.DataFrame, test: pd.DataFrame, data: DataConfig, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame, Dropped]:
    """Features over the two files as one series (test rows' lags reach into the train file)."""
    if not params.features.active:
        return train, test, Dropped(0, 0, 0)
    whole = pd.concat([train.assign(**{SOURCE: True}), test.assign(**{SOURCE: False})])
    table, dropped = build(whole.reset_index(drop=True), data, params.features)
    is_train = table.pop(SOURCE)
    return table[is_train].reset_index(drop=True), table[~is_train].reset_index(drop=True), dropped


@entry_point("prepare")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    with raw_reader(params.compute) as read:
        train, test, report = run(params, read)
    publish(
        {
            paths.PREPARED_TRAIN: lambda p: prepared.write(train, p),
            paths.PREPARED_TEST: lambda p: prepared.write(test, p),
            paths.PREPARE_REPORT: json_writer(report),
            **cost_output("prepare"),
        }
    )
    rows, dropped = report["rows"], report.get("features_dropped")
    note = f"; features: {dropped['total']} rows dropped (features.*)" if dropped else ""
    note += changes_note(report)
    print(
        f"prepare: {params.data.name}: {rows['train']} train rows, {rows['test']} test rows{note}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
