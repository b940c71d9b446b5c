"""Feature guards (features/guards.py) and the date-as-number check: one line naming the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import FeaturesConfig, LinearConfig, Params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.dataset import coerce_types
from ml_pipeline.features.guards import check
from ml_pipeline.features.recipe import model_data
from tests.configs import shipped_params, toy_series

N = 300


def toy(**columns: object) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    base = {
        "day": pd.date_range("2020-01-01", periods=N),
        "noise": rng.normal(size=N),
        "y": rng.normal(size=N),
    }
    return pd.DataFrame(base | columns)


def params(numeric: list[str], categorical: list[str] = (), **features: object) -> Params:
    base = shipped_params()
    data = toy_series(numeric=numeric, categorical=list(categorical))
    return base.model_copy(
        update={"data": data, "features": FeaturesConfig.model_validate(features)}
    )


def run_check(p: Params, frame: pd.DataFrame) -> list[str]:
    return check(p, model_data(p), frame)


def test_a_same_row_copy_of_the_target_is_stopped() -> None:
    frame = toy()
    frame["close_again"] = frame["y"] * 2 + 0.001 * frame["noise"]
    with pytest.raises(StageError, match=r"'close_again'.*features.leakage_threshold.*'y'"):
        run_check(params(["noise", "close_again"]), frame)


def test_leakage_can_be_a_warning_by_config() -> None:
    frame = toy()
    frame["close_again"] = frame["y"] * 2
    lines = run_check(params(["noise", "close_again"], leakage="warning"), frame)
    assert len(lines) == 1 and "'close_again'" in lines[0] and "leakage?" in lines[0]


def test_a_past_value_is_only_a_warning() -> None:
    frame = toy()
    frame["y"] = np.cumsum(frame["noise"])  # a random walk: y[t+1] is almost y[t]
    lines = run_check(params(["noise"], horizon=1, lags={"y": [0]}), frame.assign(y_lag0=frame.y))
    assert any("'y_lag0'" in line and "persistence" in line for line in lines)


def test_an_honest_feature_passes() -> None:
    assert run_check(params(["noise"]), toy()) == []


def test_the_time_column_as_a_feature() -> None:
    p = params(["noise"], ["day"])
    with pytest.raises(StageError, match=r"'day' is data.time_column.*features.calendar"):
        run_check(p, toy(day=pd.date_range("2020-01-01", periods=N).astype(str)))


def test_an_id_column_is_refused() -> None:
    frame = toy(order_id=[f"A{i:05d}" for i in range(N)])
    with pytest.raises(StageError, match=r"'order_id' \(data.categorical\).*like an ID"):
        run_check(params(["noise"], ["order_id"]), frame)


def test_whole_numbers_distinct_on_every_row_warn() -> None:
    frame = toy(customer=np.random.default_rng(1).permutation(N) * 7)
    lines = run_check(params(["noise", "customer"]), frame)
    assert len(lines) == 1 and "'customer' (data.numeric)" in lines[0]


def test_too_many_levels_for_hgb() -> None:
    frame = toy(city=[f"c{i % 260}" for i in range(N)])
    p = params(["noise"], ["city"])
    with pytest.raises(StageError, match=r"'city' \(data.categorical\) has 260 levels.*hgb.*255"):
        run_check(p, frame)
    linear = p.model_copy(update={"model": LinearConfig(name="linear", alpha=1.0, max_iter=1000)})
    assert run_check(linear, frame) == []


def test_a_date_listed_as_numeric() -> None:
    frame = pd.DataFrame({"Date": ["2020-01-02", "2020-01-03"], "y": ["1", "2"]})
    data = params(["Date"]).data.model_copy(update={"time_column": None})
    with pytest.raises(StageError, match=r"'Date' \(data.numeric\) holds dates.*time_column"):
        coerce_types(frame, data)


def test_a_few_bad_numbers_are_still_coerced() -> None:
    frame = pd.DataFrame({"x": ["1", "oops", "3"], "y": ["1", "2", "3"]})
    data = params(["x"]).data.model_copy(update={"time_column": None})
    typed, coerced = coerce_types(frame, data)
    assert coerced == {"x": 1} and typed["x"].isna().sum() == 1


def test_train_stops_before_fitting_on_leakage() -> None:
    from stages import train

    frame = toy()
    frame["close_again"] = frame["y"] + 1.0
    with pytest.raises(StageError, match="'close_again'"):
        train.run(params(["noise", "close_again"]), frame)
