"""prepare → validate → train → evaluate in-process on `tiny`, without MLflow or DVC: the stages'
pure `run()` functions chained as `dvc repro` chains their files (a fast dev run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.compose import compose
from ml_pipeline.core.config import TASK_METRICS, load_params
from ml_pipeline.evaluation.catalog import DISPARITIES, INTERVAL_SUFFIXES
from ml_pipeline.evaluation.metrics import score
from stages import evaluate, prepare, train, validate
from tests.conftest import ROOT, tiny_overrides


def test_tiny_runs_through_every_stage_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = ["cv=fast", "model.max_iter=30", "evaluate.importance_repeats=1"]
    compose(tmp_path / "params.yaml", tiny_overrides(*quick), ROOT / "conf")
    params = load_params(tmp_path / "params.yaml")
    monkeypatch.chdir(ROOT)  # the raw data is read where the config points; nothing is written

    train_rows, test_rows, report = prepare.run(params)
    assert report["rows"] == {"train": len(train_rows), "test": len(test_rows)}

    outcomes = validate.run(params, train_rows, test_rows)
    assert outcomes and not [o for o in outcomes if not o.success and o.severity == "error"]

    model, train_report = train.run(params, train_rows)
    assert len(train_report["cv_scores"]) == params.cv.n_splits

    result = evaluate.run(params, model, test_rows, train_report)
    tested = TASK_METRICS["classification"]
    bounds = [f"{m}{suffix}" for m in tested for suffix in INTERVAL_SUFFIXES]
    slices = ["slice_worst.roc_auc", *(f"slice_max.{d}" for d in DISPARITIES)]
    assert list(result.metrics) == [
        *tested,
        *bounds,
        *slices,
        "cv_accuracy_mean",
        "cv_accuracy_std",
    ]
    assert set(result.slices["columns"]) == {"sex", "race", "age"}  # tiny: adult's slices
    assert result.metrics["roc_auc"] >= 0.8  # tiny's registration threshold, even when quick
    for m in tested:  # each test metric within its 95 % interval
        assert (
            result.metrics[f"{m}.ci_lower"] <= result.metrics[m] <= result.metrics[f"{m}.ci_upper"]
        )
    assert {name for name, table in result.plots.items() if not table.empty} == {
        "confusion.csv",
        "roc.csv",
        "precision_recall.csv",
        "importance.csv",
        "learning_curve.csv",  # boosting: test loss per iteration
        "calibration.csv",  # the reliability curve
    }
    assert len(result.predictions) == len(test_rows)  # what register pairs with the champion
    # The champion re-score of `register` is the same function: same numbers.
    assert score(model, test_rows, params.data).metrics.items() <= result.metrics.items()


def test_a_model_without_boosting_evaluates_to_an_empty_learning_curve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every run writes every plot file (issue 23, item 20): a kept linear winner replaces the
    boosting model's curve instead of leaving it behind for the PR report and `make plots`."""
    quick = ["model=linear", "cv=fast", "evaluate.importance_repeats=1"]
    compose(tmp_path / "params.yaml", tiny_overrides(*quick), ROOT / "conf")
    params = load_params(tmp_path / "params.yaml")
    monkeypatch.chdir(ROOT)
    train_rows, test_rows, _ = prepare.run(params)
    model, train_report = train.run(params, train_rows)
    tables = evaluate.run(params, model, test_rows, train_report).plots
    assert list(tables["learning_curve.csv"].columns) == ["iteration", "loss"]
    empty = {name for name, table in tables.items() if table.empty}
    regression = {"predicted_vs_actual.csv", "residuals.csv", "interval.csv"}
    assert empty == {"learning_curve.csv", *regression}
