"""How long `validate` takes on adult and on a 1,000,000-row table, and how much is the import.

    python -m benchmarks.validate_scale          (after `make repro`: reads data/prepared/)

The large table is adult's prepared train split resampled with replacement, with a little
Gaussian noise on the numeric columns; the test split is adult's own. Prints one line per size.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params


def resample(frame: pd.DataFrame, rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    big = frame.sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)
    for column in big.select_dtypes("number").columns:
        noise = rng.normal(0, 0.01 * (big[column].std() or 1), rows)
        low, high = frame[column].min(), frame[column].max()
        big[column] = (big[column] + noise).clip(low, high).astype(frame[column].dtype)
    return big


def main() -> None:
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    imported = time.perf_counter() - started
    from stages.validate import run

    params = load_params(paths.PARAMS)
    train, test = pd.read_parquet(paths.PREPARED_TRAIN), pd.read_parquet(paths.PREPARED_TEST)
    print(f"import great_expectations: {imported:.2f} s")
    for name, frame in [("adult", train), ("1M rows", resample(train, 1_000_000))]:
        started = time.perf_counter()
        outcomes = run(params, frame, test)
        failed = sum(not o.success for o in outcomes)
        seconds = time.perf_counter() - started
        print(
            f"{name}: {len(frame):,} + {len(test):,} rows, {len(outcomes)} expectations "
            f"({failed} failed) in {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
