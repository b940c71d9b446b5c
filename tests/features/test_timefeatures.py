"""Built time features only look back: a feature of row t never changes when later rows do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import DataConfig, FeaturesConfig, SplitConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.features.recipe import (
    PERSISTENCE,
    SEASONAL,
    build,
    check_config,
    feature_columns,
    history_rows,
    purge_boundary,
)
from tests.configs import toy_series

DATA = toy_series(categorical=["shop"])
RECIPE = {
    "lags": {"x": [0, 1, 3], "y": [1, 2]},
    "rolling": {
        "x": {"windows": [3], "stats": ["mean", "std", "min", "max"]},
        "y": {"windows": [2]},
    },
    "diff": {"x": [1], "y": [1]},
    "pct_change": {"x": [2], "y": [1]},
    "log_return": {"x": [1], "y": [2]},
    "calendar": ["day_of_week", "month", "day_of_year"],
    "season": 7,
}


def series(n: int = 40, shops: tuple[str, ...] = ("a",), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame(
            {
                "x": rng.uniform(1, 2, n),
                "shop": shop,
                "day": pd.date_range("2024-01-01", periods=n, freq="D"),
                "y": rng.uniform(1, 2, n),
            }
        )
        for shop in shops
    ]
    return pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=seed)  # unordered


def features(horizon: int, **extra: object) -> FeaturesConfig:
    """RECIPE at `horizon` (at horizon 0 without lag 0: row t is the present there)."""
    lags = {"x": [1, 3], "y": [1, 2]} if horizon == 0 else RECIPE["lags"]
    return FeaturesConfig.model_validate({**RECIPE, "lags": lags, "horizon": horizon, **extra})


def built(frame: pd.DataFrame, cfg: FeaturesConfig) -> pd.DataFrame:
    numeric, categorical = feature_columns(cfg)
    out, _ = build(frame, DATA, cfg)
    columns = [*numeric, *categorical, PERSISTENCE, SEASONAL]
    return out.set_index(["shop", "day"])[columns]


@pytest.mark.parametrize(
    ("horizon", "transform"), [(0, None), (1, None), (3, None), (1, "pct_change"), (3, "diff")]
)
def test_no_feature_uses_a_later_row(horizon: int, transform: str | None) -> None:
    # At horizon 0 row t itself is the present: no built feature of row t may use any column
    # of row t, only rows before it.
    cfg = features(horizon, group_column="shop", target={"transform": transform})
    frame = series(shops=("a", "b"))
    before = built(frame, cfg)
    for cut in pd.date_range("2024-01-12", periods=5, freq="4D"):
        changed = frame.copy()
        later = changed["day"] > cut
        changed.loc[later, ["x", "y"]] *= 1.5
        if horizon == 0:  # the present row: its target and its other columns
            changed.loc[changed["day"] == cut, ["x", "y"]] *= 1.5
        after = built(changed, cfg)
        known = before.index.get_level_values("day") <= cut
        assert known.sum() > 0
        pd.testing.assert_frame_equal(after[known], before[known])
        assert not after[~known].equals(before[~known])  # the change did reach later rows


@pytest.mark.parametrize("horizon", [0, 2])
def test_target_is_horizon_rows_ahead(horizon: int) -> None:
    frame = series()
    out, _ = build(frame, DATA, features(horizon))
    ordered = frame.sort_values("day").set_index("day")["y"]
    expected = ordered.shift(-horizon).loc[out["day"]].to_numpy()
    np.testing.assert_array_equal(out["y"].to_numpy(), expected)
    last_known = ordered.shift(1 if horizon == 0 else 0).loc[out["day"]].to_numpy()
    np.testing.assert_array_equal(out[PERSISTENCE].to_numpy(), last_known)
    seasonal = ordered.shift(7 - horizon).loc[out["day"]].to_numpy()
    np.testing.assert_array_equal(out[SEASONAL].to_numpy(), seasonal)


def test_lags_and_windows_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, 4.0, 8.0, 16.0],
            "shop": "a",
            "day": pd.date_range("2024-01-01", periods=5),
            "y": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )
    cfg = FeaturesConfig(
        lags={"x": [1]},
        rolling={"y": {"windows": [2]}},
        diff={"x": [1]},
        pct_change={"x": [1]},
        log_return={"y": [1]},
    )
    out, dropped = build(frame, DATA, cfg)
    # horizon 0: every window and change ends at t-1 (row t is the present); rows 0..1 lack
    # history
    assert out["x_lag1"].tolist() == [2.0, 4.0, 8.0]
    assert out["y_roll2_mean"].tolist() == [15.0, 25.0, 35.0]
    assert out["x_diff1"].tolist() == [1.0, 2.0, 4.0]
    assert out["x_pct1"].tolist() == [1.0, 1.0, 1.0]
    assert out["y_logret1"].tolist() == pytest.approx(np.log([20 / 10, 30 / 20, 40 / 30]))
    assert (dropped.no_time, dropped.history, dropped.horizon) == (0, 2, 0)


def test_groups_never_borrow_rows() -> None:
    cfg = features(1, group_column="shop")
    frame = series(shops=("a", "b"))
    before = built(frame, cfg)
    changed = frame.copy()
    changed.loc[changed["shop"] == "b", ["x", "y"]] += 10.0
    after = built(changed, cfg)
    pd.testing.assert_frame_equal(after.loc["a"], before.loc["a"])


def test_dropped_rows_are_counted_per_group() -> None:
    cfg = FeaturesConfig(horizon=2, lags={"x": [3]}, group_column="shop")
    frame = series(n=20, shops=("a", "b", "c"))
    frame.loc[frame.index[0], "day"] = pd.NaT
    out, dropped = build(frame, DATA, cfg)
    assert dropped.no_time == 1
    assert dropped.horizon == 3 * 2
    assert dropped.history == 3 * 3
    assert len(out) == 60 - dropped.total
    assert out["day"].is_monotonic_increasing


def test_no_recipe_leaves_the_table_alone() -> None:
    frame = series()
    out, dropped = build(frame, DATA, FeaturesConfig())
    assert out is frame and dropped.total == 0


def test_history_rows() -> None:
    assert history_rows(FeaturesConfig(horizon=1, lags={"x": [0, 5]})) == 5
    assert history_rows(FeaturesConfig(horizon=1, rolling={"x": {"windows": [20]}})) == 19
    assert history_rows(FeaturesConfig(rolling={"x": {"windows": [20]}})) == 20
    assert history_rows(FeaturesConfig(horizon=0, diff={"y": [1]})) == 2


@pytest.mark.parametrize(
    ("data", "split", "cfg", "needle"),
    [
        (DATA, "random", FeaturesConfig(lags={"x": [1]}), "split.method 'random'"),
        (
            DATA.model_copy(update={"time_column": None}),
            "time",
            FeaturesConfig(lags={"x": [1]}),
            "data.time_column",
        ),
        (DATA, "time", FeaturesConfig(lags={"z": [1]}), "features.lags: column 'z'"),
        (DATA, "time", FeaturesConfig(lags={"x": [1]}, group_column="q"), "features.group_column"),
    ],
)
def test_recipe_errors_name_the_key(
    data: DataConfig, split: str, cfg: FeaturesConfig, needle: str
) -> None:
    with pytest.raises(StageError, match=needle):
        check_config(data, SplitConfig(method=split, test_size=0.2), cfg)


def test_a_valid_recipe_passes_the_checks() -> None:
    check_config(DATA, SplitConfig(method="time", test_size=0.2), features(1, group_column="shop"))


def test_train_rows_whose_target_is_in_the_test_period_are_purged() -> None:
    cfg = FeaturesConfig(horizon=2, lags={"x": [0]}, group_column="shop")
    out, dropped = build(series(n=20, shops=("a", "b")), DATA, cfg)
    train = out[out["day"] < pd.Timestamp("2024-01-15")]
    kept, purged = purge_boundary(train, DATA, cfg, dropped)
    assert purged.boundary == 2 * 2 and purged.total == dropped.total + 4
    assert kept["day"].max() == pd.Timestamp("2024-01-12")  # its target: 01-14, still train
    same, unchanged = purge_boundary(train, DATA, FeaturesConfig(lags={"x": [1]}), dropped)
    assert len(same) == len(train) and unchanged == dropped


@pytest.mark.parametrize(
    ("transform", "change"),
    [
        ("diff", [10.0, 20.0, 20.0, 60.0]),
        ("pct_change", [1.0, 1.0, 0.5, 1.0]),
        ("log_return", list(np.log([2.0, 2.0, 1.5, 2.0]))),
    ],
)
def test_a_change_target_is_from_row_t_to_t_plus_h(transform: str, change: list[float]) -> None:
    """features.target.transform: row t's target is y[t+1] vs y[t]; its persistence baseline is
    the last known change, y[t] vs y[t-1] (zero would be the level's persistence)."""
    frame = pd.DataFrame({"x": 1.0, "shop": "a", "day": pd.date_range("2024-01-01", periods=5)})
    cfg = FeaturesConfig(horizon=1, lags={"x": [0]}, target={"transform": transform})
    out, dropped = build(frame.assign(y=[10.0, 20.0, 40.0, 60.0, 120.0]), DATA, cfg)
    assert out["y"].tolist() == pytest.approx(change[1:])  # rows 1..3
    assert out[PERSISTENCE].tolist() == pytest.approx(change[:-1])
    assert (dropped.history, dropped.horizon) == (1, 1)  # row 0: no change yet; row 4: no target


@pytest.mark.parametrize(
    ("cfg", "needle"),
    [
        ({"lags": {"y": [0]}}, "features.lags.y: lag 0"),
        (
            {"lags": {"y": [1], "x": [0, 1]}},
            "features.lags.x: lag 0 at features.horizon 0 is the row's own value, not the past",
        ),
        ({"target": {"transform": "log_return"}}, "set features.horizon >= 1"),
        ({"horizon": 1, "target": {"transform": "return"}}, "target.transform"),
        ({"horizon": 1, "baseline": "zero"}, "baseline"),
    ],
)
def test_features_config_errors(cfg: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        FeaturesConfig.model_validate(cfg)


def test_a_change_target_needs_a_regression_task() -> None:
    data = DATA.model_copy(update={"task": "classification"})
    cfg = FeaturesConfig(horizon=1, lags={"x": [1]}, target={"transform": "diff"})
    with pytest.raises(StageError, match="features.target.transform 'diff' needs a numeric"):
        check_config(data, SplitConfig(method="time", test_size=0.2), cfg)
