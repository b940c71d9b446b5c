"""Stage `validate`: check the prepared splits against the data contract (`validation:`).

Writes reports/validation.json and reports/validation.html even when an `error`-level
expectation fails (so the failure is described), then exits non-zero so `train` never runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import StageError, entry_point
from ml_pipeline.core.outputs import json_writer, publish
from ml_pipeline.validation.checks import (
    Outcome,
    balance_of,
    class_balance,
    consistency,
    consistency_of,
    failure_lines,
    summarize,
)
from ml_pipeline.validation.html import render_html
from ml_pipeline.validation.splits import exact_row_counts, file_rows, gx_frame, tallies


def run(params: Params, train: pd.DataFrame, test: pd.DataFrame) -> list[Outcome]:
    """Every expectation of the suite on each split (via GX), then the train/test comparison."""
    from ml_pipeline.validation.expectations import run_suite

    suite, target = params.validation, params.data.target
    frames = {"train": train, "test": test}
    outcomes = run_suite(frames, suite)
    for split, frame in frames.items():
        outcomes += class_balance(frame, target, suite, split)
    return outcomes + consistency(train, test, suite)


def run_files(params: Params, files: dict[str, Path]) -> tuple[list[Outcome], dict[str, int]]:
    """`run` on the split files at any size (validation/splits.py): the suite on each split or
    its sample, the own checks over every row; the outcomes and each split's rows."""
    from ml_pipeline.validation.expectations import run_suite

    suite, target = params.validation, params.data.target
    rows = {split: file_rows(path) for split, path in files.items()}
    frames = {split: gx_frame(path, params.seed) for split, path in files.items()}
    outcomes = exact_row_counts(run_suite(frames, suite), rows, params)
    del frames
    counted = tallies(params, files)
    for split in files:
        outcomes += balance_of(counted[split], target, suite, split)
    return outcomes + consistency_of(counted["train"], counted["test"], suite), rows


@entry_point("validate")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    files = {"train": paths.PREPARED_TRAIN, "test": paths.PREPARED_TEST}
    outcomes, rows = run_files(params, files)
    summary = summarize(outcomes, rows)
    page = render_html(outcomes, summary, params.data.name)
    publish(
        {
            paths.VALIDATION_REPORT: json_writer(summary),
            paths.VALIDATION_HTML: lambda p: p.write_text(page),
            **cost_output("validate"),
        }
    )
    time_split = params.split.method == "time" or params.features.active  # a recipe: time order
    for line in failure_lines(outcomes, time_split=time_split):
        print(f"validate: {line}", file=sys.stderr)
    errors = sum(1 for o in outcomes if not o.success and o.severity == "error")
    warnings = sum(1 for o in outcomes if not o.success and o.severity == "warning")
    if errors:
        raise StageError(
            f"{errors} error-level expectation(s) failed ({warnings} warning(s)); "
            f"details in {paths.VALIDATION_REPORT} and {paths.VALIDATION_HTML}"
        )
    print(
        f"validate: {params.data.name}: {len(outcomes)} expectations, "
        f"{warnings} warning(s), no errors"
    )


if __name__ == "__main__":
    raise SystemExit(main())
