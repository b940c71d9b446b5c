"""How long `prepare`'s feature building (ml_pipeline/features/recipe.py) takes on 1,000,000 rows.

    python -m benchmarks.timefeatures_scale [ROWS] [GROUPS]

A synthetic daily table (random walks of `close` and `volume`, GROUPS series of ROWS / GROUPS
days each) with the recipe below: 3 lags of two columns, rolling mean/std/min/max over 3
windows, a difference, a percent change, a log return and two calendar parts, horizon 1.
Prints the time for one series and for GROUPS series (the per-group path).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from ml_pipeline.core.config import DataConfig, FeaturesConfig
from ml_pipeline.features.recipe import build, feature_columns

RECIPE = {
    "horizon": 1,
    "lags": {"close": [0, 1, 5], "volume": [0, 1, 5]},
    "rolling": {"close": {"windows": [5, 20, 60], "stats": ["mean", "std", "min", "max"]}},
    "diff": {"close": [1]},
    "pct_change": {"volume": [1]},
    "log_return": {"close": [1]},
    "calendar": ["day_of_week", "month"],
}


def table(rows: int, groups: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    per = rows // groups
    days = pd.date_range("1900-01-01", periods=per, freq="D")
    return pd.DataFrame(
        {
            "ticker": np.repeat([f"t{g}" for g in range(groups)], per),
            "day": np.tile(days, groups),
            "close": 100 + rng.normal(size=per * groups).cumsum(),
            "volume": np.exp(rng.normal(size=per * groups)) * 1e6,
        }
    ).sample(frac=1.0, random_state=seed)  # unordered, as a raw file may be


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    groups = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    for n_groups, group in ((1, None), (groups, "ticker")):
        frame = table(rows, n_groups)
        data = DataConfig(
            name="bench",
            task="regression",
            dir=".",
            train_file="-",
            target="close",
            numeric=["volume"],
            categorical=["ticker"],
            time_column="day",
        )
        cfg = FeaturesConfig.model_validate(RECIPE | {"group_column": group})
        started = time.perf_counter()
        out, dropped = build(frame, data, cfg)
        seconds = time.perf_counter() - started
        built = sum(map(len, feature_columns(cfg)))
        print(
            f"{len(frame):,} rows, {n_groups} series, {built} features: {seconds:.2f} s "
            f"({len(out):,} kept, {dropped.total:,} dropped)"
        )


if __name__ == "__main__":
    main()
