"""`make suite` on a dataset with a time column writes a contract `validate` passes; IDs, too
many categories and dates held as text are flagged instead of listed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from commands import suite
from ml_pipeline.core.config import (
    DataConfig,
    FeaturesConfig,
    SplitConfig,
    ValidationConfig,
)
from ml_pipeline.data.dataset import clean, split
from ml_pipeline.features.recipe import build
from stages import validate
from tests.configs import shipped_params

N = 400


def daily() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "Date": pd.date_range("2021-01-01", periods=N).strftime("%Y-%m-%d"),
            "store": rng.choice(["north", "south"], N),
            "ticket": [f"T{i:06d}" for i in range(N)],
            "sku": [f"s{i % 300}" for i in range(N)],
            "opened": pd.date_range("2000-01-01", periods=N).strftime("%Y-%m-%d"),
            "sales": rng.uniform(10, 20, N).round(2).astype(str),
        }
    )


def config(**overrides: object) -> DataConfig:
    values = {
        "name": "shop",
        "task": "regression",
        "dir": ".",
        "train_file": "shop.csv",
        "target": "sales",
        "numeric": [],
        "categorical": ["store"],
        "time_column": "Date",
    }
    return DataConfig.model_validate(values | overrides)


def test_suite_then_validate_passes_with_a_time_column() -> None:
    cfg = config()
    table, _ = clean(daily(), cfg)
    contract = suite.profile(table, cfg, split_rows=N // 5)
    assert contract["columns"]["Date"] == {"type": "datetime", "nulls": {"max_fraction": 0.0}}
    validation = ValidationConfig.model_validate(contract)
    params = shipped_params().model_copy(update={"data": cfg, "validation": validation})
    train, test = split(table, SplitConfig(method="time", test_size=0.2), cfg, seed=0)
    outcomes = validate.run(params, train, test)
    errors = [o for o in outcomes if not o.success and o.severity == "error"]
    assert not errors, errors
    dated = [o for o in outcomes if o.column and "Date" in o.column]
    assert dated and all(o.success for o in dated)  # typed, and no unseen-category warning
    # a built feature recipe adds columns: the starter then allows extra columns
    built, _ = build(table, cfg, FeaturesConfig(horizon=1, lags={"sales": [0, 1]}))
    strict = [
        o for o in validate.run(params, built, built) if not o.success and o.severity == "error"
    ]
    assert [o.key for o in strict] == ["validation.extra_columns.allow"] * 2


def test_suite_flags_ids_levels_and_dates() -> None:
    cfg = config(categorical=["store", "ticket", "sku", "opened"])
    table, _ = clean(daily(), cfg)
    lines = suite.flags(table, cfg)
    assert any("'ticket'" in line and "like an ID" in line for line in lines)
    assert any("'sku'" in line and "300 levels" in line for line in lines)
    assert any("'opened'" in line and "data.time_column" in line for line in lines)
    assert not any("'store'" in line for line in lines)
    contract = suite.profile(table, cfg, split_rows=N // 5)
    assert "categories" not in contract["columns"]["sku"]
    assert contract["columns"]["store"]["categories"]["values"] == ["north", "south"]
