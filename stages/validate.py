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
    class_balance,
    consistency,
    failure_lines,
    summarize,
)
from ml_pipeline.validation.html import render_html


def read_split(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise StageError(f"{path}: not found; run the `prepare` stage first (dvc repro prepare)")
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise StageError(f"{path}: cannot be read as Parquet: {exc}") from None


def run(params: Params, train: pd.DataFrame, test: pd.DataFrame) -> list[Outcome]:
    """Every expectation of the suite on each split (via GX), then the train/test comparison."""
    from ml_pipeline.validation.expectations import run_suite

    suite, target = params.validation, params.data.target
    frames = {"train": train, "test": test}
    outcomes = run_suite(frames, suite)
    for split, frame in frames.items():
        outcomes += class_balance(frame, target, suite, split)
    return outcomes + consistency(train, test, suite)


@entry_point("validate")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    train, test = read_split(paths.PREPARED_TRAIN), read_split(paths.PREPARED_TEST)
    outcomes = run(params, train, test)
    summary = summarize(outcomes, {"train": len(train), "test": len(test)})
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
