"""Conformal prediction intervals (evaluation/conformal.py): the quantile, the calibrating folds,
the test coverage, and on the NYSE recipe the book's model through train, evaluate and the gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.model_selection import TimeSeriesSplit

from commands.compose import compose
from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, RegisterConfig, parse_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation import conformal
from ml_pipeline.registry.promotion import REJECTED, Candidate, check_thresholds, decide
from stages import evaluate, prepare, train
from tests.conftest import ROOT, seed_store
from tests.core.test_config import composed


def test_the_half_width_is_the_finite_sample_conformal_quantile() -> None:
    residuals = np.array([-1.0, 2, -3, 4, -5, 6, -7, 8, -9, 10])  # |r| = 1 .. 10
    # ⌈(10 + 1) · 0.9⌉ = 10: the largest, not the 9th that a plain 90 % quantile would give
    assert conformal.calibrate(residuals, 0.9) == {
        "level": 0.9,
        "half_width": 10.0,
        "residuals": 10,
    }
    assert conformal.calibrate(residuals, 0.5)["half_width"] == 6.0  # ⌈5.5⌉ = 6th smallest


def test_too_few_residuals_for_the_level_fail_with_one_line() -> None:
    with pytest.raises(StageError, match=r"^interval.level 0.9: needs at least 9 out-of-fold"):
        conformal.calibrate(np.arange(8.0), 0.9)
    assert conformal.calibrate(np.arange(9.0), 0.9)["half_width"] == 8.0


def test_time_ordered_folds_calibrate_on_the_latest_only() -> None:
    folds = list(TimeSeriesSplit(n_splits=5).split(np.zeros((60, 1))))  # validation: 10 rows each
    latest = conformal.calibration_rows(folds, 0.5)  # ⌈2.5⌉ = 3 folds: rows 30 .. 59
    assert latest.tolist() == list(range(30, 60))
    assert conformal.calibration_rows(folds, 1.0).tolist() == list(range(10, 60))
    assert conformal.calibration_rows(folds, None).tolist() == list(range(10, 60))  # shuffled


def test_coverage_counts_the_bounds_as_inside_with_an_exact_interval() -> None:
    target = pd.Series([0.0, 1.0, 2.0, 3.5, 10.0])
    interval = {"level": 0.9, "half_width": 1.0, "residuals": 10}
    metrics = conformal.interval_metrics(target, np.array([0.0, 0.0, 1.0, 2.0, 0.0]), interval)
    assert metrics[conformal.COVERAGE] == 0.6  # |errors| 0, 1, 1 inside (1 = on the bound)
    exact = binomtest(3, 5).proportion_ci(0.95, method="exact")
    assert metrics["interval_coverage.ci_lower"] == round(exact.low, 6)
    assert metrics["interval_coverage.ci_upper"] == round(exact.high, 6)
    assert metrics[conformal.WIDTH] == metrics["interval_width.ci_upper"] == 2.0
    every = conformal.interval_metrics(target, target.to_numpy(), interval)
    assert (every["interval_coverage.ci_lower"], every["interval_coverage.ci_upper"]) == (
        round(0.025 ** (1 / 5), 6),  # all inside: the exact lower bound solves p⁵ = 2.5 %
        1.0,
    )


@pytest.fixture(scope="module")
def nyse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Params, pd.DataFrame, pd.DataFrame]:
    """The ISLP AR(5) recipe (linear, 5 walk-forward folds), prepared in process."""
    raw = composed(
        tmp_path_factory.mktemp("nyse"), "data=nyse", "features=nyse_ar5", "model=linear"
    )
    params = parse_params(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        train_rows, test_rows, _ = prepare.run(params)
    return params, train_rows, test_rows


def coverage_gate(params: Params) -> RegisterConfig:
    """The dataset's gate with one rule: interval_coverage >= 0.85 (no baseline check)."""
    threshold = {"metric": conformal.COVERAGE, "value": 0.85}
    return RegisterConfig.model_validate(
        params.registration.model_dump() | {"thresholds": [threshold], "beat_baseline": False}
    )


def test_nyse_90_percent_intervals_cover_the_test_period_and_gate(
    nyse: tuple[Params, pd.DataFrame, pd.DataFrame],
) -> None:
    params, train_rows, test_rows = nyse
    model, report = train.run(params, train_rows)
    interval = report[conformal.KEY]
    assert interval["level"] == 0.9
    assert interval["residuals"] == 3 * (len(train_rows) // 6)  # the latest 3 of 5 folds
    metrics = evaluate.run(params, model, test_rows, report).metrics
    assert 0.85 <= metrics[conformal.COVERAGE] <= 0.95  # 1,770 test days, 1980 .. 1986
    assert metrics[conformal.WIDTH] == round(2 * interval["half_width"], 6)
    gate = coverage_gate(params)
    [check] = check_thresholds(gate, metrics)
    assert check["passed"] and check["metric"] == conformal.COVERAGE

    narrow = params.model_copy(
        update={"interval": params.interval.model_copy(update={"level": 0.5})}
    )
    model, report = train.run(narrow, train_rows)
    metrics = evaluate.run(narrow, model, test_rows, report).metrics
    [check] = check_thresholds(gate, metrics)
    assert not check["passed"] and check["observed"] < 0.6  # a 50 % interval: refused
    decided = decide(Candidate("run", metrics), None, gate, "ml-pipeline-nyse")
    assert decided.decision == REJECTED and not decided.register_version
    assert decided.reasons == (f"interval_coverage >= 0.85 failed: observed {check['observed']}",)


def test_the_train_stage_saves_its_interval_in_the_model(
    template_dir: Path, migrated_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`train` (the stage) gives the model it saves the interval of its report: predict and the
    server read it there."""
    from mlflow.models import Model

    shutil.copytree(template_dir, tmp_path / "repo")
    shutil.copytree(ROOT / "data/raw/nyse", tmp_path / "repo/data/raw/nyse")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", seed_store(migrated_db, tmp_path / "repo"))
    monkeypatch.chdir(tmp_path / "repo")
    overrides = ["data=nyse", "features=nyse_ar5", "model=linear", "cv=fast"]
    compose(paths.PARAMS, overrides, Path("conf"))
    assert prepare.main([]) == 0 and train.main([]) == 0
    interval = json.loads(paths.TRAIN_REPORT.read_text())[conformal.KEY]
    assert Model.load(paths.MODEL_DIR).metadata[conformal.KEY] == interval
