"""Stage `prepare`: raw source → typed, deduplicated train/test Parquet files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from stages import paths
from stages.config import Params, load_params
from stages.dataset import check_columns, check_target, clean, read_table, split
from stages.errors import entry_point
from stages.outputs import json_writer, publish


def run(params: Params) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Load, clean and split the configured dataset; return train, test and a report."""
    data = params.data
    train_path = Path(data.dir) / data.train_file
    raw = read_table(train_path, data, "data.train_file")
    check_columns(raw, data, train_path)
    table, report = clean(raw, data)
    reports = {"train_file": asdict(report)}
    if params.split.method == "predefined":
        test_path = Path(data.dir) / str(data.test_file)
        raw_test = read_table(test_path, data, "data.test_file")
        check_columns(raw_test, data, test_path)
        train, (test, test_report) = table, clean(raw_test, data)
        reports["test_file"] = asdict(test_report)
    else:
        check_target(table, data, "whole")
        train, test = split(table, params.split, data, params.seed)
    check_target(train, data, "train")
    check_target(test, data, "test")
    reports["rows"] = {"train": len(train), "test": len(test)}
    return train, test, reports


@entry_point("prepare")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    train, test, report = run(params)
    publish(
        {
            paths.PREPARED_TRAIN: lambda p: train.to_parquet(p, index=False),
            paths.PREPARED_TEST: lambda p: test.to_parquet(p, index=False),
            paths.PREPARE_REPORT: json_writer(report),
        }
    )
    rows = report["rows"]
    print(f"prepare: {params.data.name}: {rows['train']} train rows, {rows['test']} test rows")


if __name__ == "__main__":
    raise SystemExit(main())
