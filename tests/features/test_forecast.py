"""Forecasting on NYSE in process: prepare builds the book's lags, the model trained on them
forecasts from raw history rows exactly as on the prepared test rows."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import Params, parse_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.columns import features_and_target
from ml_pipeline.features.forecast import origin_rows
from ml_pipeline.features.recipe import model_data
from stages import evaluate, prepare, train
from tests.conftest import ROOT
from tests.core.test_config import composed

RAW = ROOT / "data/raw/nyse/NYSE.csv.gz"


@pytest.fixture(scope="module")
def nyse(tmp_path_factory: pytest.TempPathFactory) -> Params:
    tmp = tmp_path_factory.mktemp("nyse")
    return parse_params(composed(tmp, "data=nyse", "features=nyse_ar5_dow", "model=linear"))


def test_prepare_forms_the_books_lags_across_the_split(nyse: Params, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    train_rows, test_rows, report = prepare.run(nyse)
    assert report["rows"] == {"train": 4276, "test": 1770}  # 4,281 train days minus 5 lags
    dropped = {"no_time": 0, "history": 5, "horizon": 0, "boundary": 0, "total": 5}
    assert report["features_dropped"] == dropped
    raw = pd.read_csv(RAW)
    first_test = raw.index[~raw["train"]][0]
    row = test_rows.iloc[0]
    assert row["log_volume_lag1"] == raw.loc[first_test - 1, "log_volume"]  # a train day
    assert row["DJ_return_lag5"] == raw.loc[first_test - 5, "DJ_return"]
    assert row["day_of_week"] == "2"  # 1980-01-02 was a Wednesday
    assert set(model_data(nyse).numeric) == {
        f"{c}_lag{k}" for c in ("DJ_return", "log_volume", "log_volatility") for k in range(1, 6)
    }


def test_forecast_from_history_matches_the_prepared_rows(nyse: Params, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    train_rows, test_rows, _ = prepare.run(nyse)
    model, _ = train.run(nyse, train_rows)
    with gzip.open(RAW, "rt") as handle:
        history = pd.read_csv(handle).iloc[-6:]  # the last day and its 5 predecessors
    history.loc[history.index[-1], "log_volume"] = np.nan  # what we forecast
    origins = origin_rows(history, nyse, "history.csv")
    assert len(origins) == 1 and str(origins.loc[0, "date"].date()) == "1986-12-31"
    features, _ = features_and_target(origins, model_data(nyse))
    expected, _ = features_and_target(test_rows.tail(1), model_data(nyse))
    pd.testing.assert_frame_equal(features.reset_index(drop=True), expected.reset_index(drop=True))
    assert model.predict(features)[0] == pytest.approx(model.predict(expected)[0])
    with pytest.raises(StageError, match=r"history.csv: 1 series lack history.*5 earlier"):
        origin_rows(history.iloc[-5:], nyse, "history.csv")


def test_evaluate_scores_the_book_figure_beside_persistence(nyse: Params, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    train_rows, test_rows, _ = prepare.run(nyse)
    model, report = train.run(nyse, train_rows)
    metrics = evaluate.run(nyse, model, test_rows, report, train_rows).metrics
    assert metrics["r2"] == pytest.approx(0.46, abs=0.02)  # ISLP: about 0.46 with day_of_week
    assert metrics["baseline.r2"] == pytest.approx(0.1803, abs=1e-4)  # yesterday's volume
    skill = 1 - metrics["rmse"] / metrics["baseline.rmse"]
    assert metrics["skill.rmse"] == pytest.approx(skill, abs=1e-5)
    assert metrics["mape"] is None and metrics["baseline.mape"] is None
