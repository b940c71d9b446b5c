"""The forecasting path end to end on a small real series (NYSE, ISLP): `dvc repro` reproduces
the book's AR(5) test R², beats persistence, registers, and `predict` forecasts from history."""

from __future__ import annotations

import gzip
import json
import sys

import pandas as pd
import pytest

from tests.conftest import run

pytestmark = pytest.mark.slow


def test_nyse_ar5_reproduces_the_book_and_forecasts_from_history(repo_copy) -> None:
    repo = repo_copy("data=nyse", "features=nyse_ar5", "model=linear", "cv=fast")
    result = run(["dvc", "repro"], repo)
    assert "prepare: nyse: 4276 train rows, 1770 test rows; features: 5 rows dropped" in (
        result.stdout
    )
    metrics = json.loads((repo / "metrics.json").read_text())
    assert metrics["r2"] == pytest.approx(0.41, abs=0.02)  # ISLP ch. 10 lab: about 0.41
    assert metrics["baseline.r2"] < metrics["r2"] and metrics["skill.rmse"] > 0
    assert metrics["mape"] is None  # log_volume is detrended: values near zero
    assert 0.85 <= metrics["interval_coverage"] <= 0.95  # the 90 % conformal interval on test
    interval = json.loads((repo / "reports/train.json").read_text())["interval"]
    assert metrics["interval_width"] == pytest.approx(2 * interval["half_width"], abs=1e-6)
    registration = json.loads((repo / "reports/registration.json").read_text())
    assert registration["decision"] == "champion"
    [beat] = [c for c in registration["thresholds"] if c["metric"] == "skill.r2"]
    assert beat["passed"] and beat["observed"] > 0.05

    with gzip.open(repo / "data/raw/nyse/NYSE.csv.gz", "rt") as handle:
        pd.read_csv(handle).tail(6).to_csv(repo / "history.csv", index=False)
    out = repo / "forecast.csv"
    predicted = run(
        [sys.executable, "-m", "commands.predict", "--input", "history.csv", "--output", str(out)],
        repo,
    )
    assert "1 rows scored" in predicted.stdout
    forecast = pd.read_csv(out)
    assert forecast["date"].tolist() == ["1986-12-31"]
    assert -1.0 < forecast["prediction"].iloc[0] < 1.0
    low, high = forecast["prediction_lower"].iloc[0], forecast["prediction_upper"].iloc[0]
    assert high - low == pytest.approx(2 * interval["half_width"])  # the model's interval
    assert low < forecast["prediction"].iloc[0] < high
