"""The real pipeline, run by the real DVC, on the `tiny` preset in a copy of the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ml_pipeline.core.config import TASK_METRICS
from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES
from tests.conftest import run

pytestmark = pytest.mark.slow

CLASSIFICATION_METRICS = {*TASK_METRICS["classification"], "cv_accuracy_mean", "cv_accuracy_std"}
CLASSIFICATION_METRICS |= {f"baseline.{m}" for m in TASK_METRICS["classification"]}
CLASSIFICATION_METRICS |= {"skill.accuracy", "skill.log_loss"}
# tiny's slices (data.slices, evaluation/slices.py): the worst slice of the primary metric and the
# largest disparities
CLASSIFICATION_METRICS |= {"slice_worst.roc_auc", "slice_max.demographic_parity_difference"}
CLASSIFICATION_METRICS |= {"slice_max.equalized_odds_difference"}


def bounds(task: str) -> set[str]:
    """`<metric>.ci_lower`/`.ci_upper` of each test metric (evaluation/intervals.py)."""
    return {f"{m}{suffix}" for m in TASK_METRICS[task] for suffix in INTERVAL_SUFFIXES}


def stages_run(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


def test_repro_tiny_writes_metrics_plots_and_model(tiny_repo: Path) -> None:
    result = run(["dvc", "repro"], tiny_repo)
    assert stages_run(result.stdout)[:6] == [
        "check",
        "prepare",
        "validate",
        "search",
        "train",
        "evaluate",
    ]
    assert json.loads((tiny_repo / "reports/validation.json").read_text())["success"] is True

    metrics = json.loads((tiny_repo / "metrics.json").read_text())
    assert set(metrics) == CLASSIFICATION_METRICS | bounds("classification")
    assert 0.7 < metrics["accuracy"] <= 1.0
    assert 0.5 < metrics["roc_auc"] <= 1.0
    timings = json.loads((tiny_repo / "reports/timings.json").read_text())
    assert timings["fit_seconds"] > 0 and timings["predict_ms_per_row"] > 0
    for stage in ["check", "prepare", "validate", "search", "train", "evaluate", "register"]:
        cost = json.loads((tiny_repo / f"reports/cost/{stage}.json").read_text())
        assert cost["wall_seconds"] >= cost["cpu_seconds"] / 4 > 0, stage  # at most 4 cores busy
    before = (tiny_repo / "metrics.json").read_bytes()
    shown = run(["dvc", "metrics", "show", "--json"], tiny_repo).stdout
    assert "reports/cost/train.json" in shown and "accuracy.ci_lower" in shown

    plots = tiny_repo / "reports/plots"
    for name in ["confusion.csv", "roc.csv", "precision_recall.csv", "importance.csv"]:
        assert (plots / name).stat().st_size > 0
        assert (tiny_repo / "reports/figures" / name.replace(".csv", ".png")).read_bytes()[:4] == (
            b"\x89PNG"
        )
    assert (tiny_repo / "models/model/MLmodel").is_file()

    shown = run(["dvc", "plots", "show", "--json"], tiny_repo)
    assert "reports/plots/roc.csv" in shown.stdout

    # A second repro does nothing.
    again = run(["dvc", "repro"], tiny_repo)
    assert stages_run(again.stdout) == []
    assert "Data and pipelines are up to date" in again.stdout
    forced = run(["dvc", "repro", "-f", "-s", "evaluate"], tiny_repo)  # the same bytes again
    assert stages_run(forced.stdout) == ["evaluate"]
    assert (tiny_repo / "metrics.json").read_bytes() == before

    # A model parameter re-runs check (it validates all of params.yaml, and its constant report
    # re-runs nothing), search (it tunes the model group: with `search: none` it only rewrites
    # the same file), train, evaluate and register, never prepare.
    params = yaml.safe_load((tiny_repo / "params.yaml").read_text())
    params["model"]["max_iter"] = 50
    (tiny_repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    partial = run(["dvc", "repro"], tiny_repo)
    assert stages_run(partial.stdout) == [
        *("check", "search", "train", "evaluate", "register", "score"),
    ]


@pytest.mark.parametrize("model", ["rf", "linear"])
def test_other_model_families_run_end_to_end(repo_copy, model: str) -> None:
    repo = repo_copy(f"model={model}", "cv=fast")
    run(["dvc", "repro"], repo)
    metrics = json.loads((repo / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.7


def test_regression_dataset_runs_end_to_end(repo_copy) -> None:
    repo = repo_copy("data=diamonds", "model=linear", "cv=fast")
    run(["dvc", "repro"], repo)
    metrics = json.loads((repo / "metrics.json").read_text())
    interval = {"interval_coverage", "interval_width"}  # the model's (evaluation/conformal.py)
    baseline = {f"baseline.{m}" for m in set(TASK_METRICS["regression"]) - interval}
    baseline |= {"skill.rmse", "skill.mae"}
    expected = {"rmse", "mae", "r2", "mape", "cv_rmse_mean", "cv_rmse_std", *baseline, *interval}
    expected.add("slice_worst.rmse")  # diamonds' slices by cut (data.slices)
    assert set(metrics) == expected | bounds("regression")
    assert metrics["r2"] > 0.85
    assert metrics["baseline.r2"] <= 0.0 < 0.5 < metrics["skill.rmse"]  # the mean: no skill
    for name in ["predicted_vs_actual.csv", "residuals.csv", "importance.csv"]:
        assert (repo / "reports/plots" / name).is_file()
