"""What the MLflow UI shows: experiment kind and view, params, notes, model card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ml_pipeline.registry.model_card import data_summary, model_card
from ml_pipeline.tracking import ui as mlflow_view
from ml_pipeline.tracking.lineage import flatten
from tests.configs import shipped_params, shipped_params_dict
from tests.conftest import seed_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def params():
    return shipped_params()


def test_run_params_are_hyperparameters_and_data_settings_not_the_contract() -> None:
    flat = flatten(shipped_params_dict())
    kept = mlflow_view.run_params(flat)
    assert any(k.startswith("validation.") for k in flat)
    assert not any(k.startswith(("validation.", "data.read.", "evaluate.")) for k in kept)
    assert {"seed", "model.name", "data.name", "split.method", "cv.n_splits"} <= kept.keys()
    assert len(kept) < 25 < len(flat)


def test_version_tags_drop_dvc_output_hashes_but_keep_the_experiment() -> None:
    tags = {"dvc.train.models/model": "abc", "dvc.exp_name": "e1", "git.commit": "c"}
    assert mlflow_view.version_tags(tags) == {"dvc.exp_name": "e1", "git.commit": "c"}


def test_runs_view_shows_the_headline_and_sorts_best_first() -> None:
    view = mlflow_view.runs_view("rmse", "regression")
    assert view["orderByKey"] == "metrics.`rmse`" and view["orderByAsc"] is True
    view = mlflow_view.runs_view("roc_auc", "classification")
    assert view["selectedColumns"][:2] == ["metrics.`roc_auc`", "metrics.`accuracy`"]
    assert view["orderByAsc"] is False


def test_a_tag_set_meanwhile_by_a_parallel_stage_is_not_an_error(
    tmp_path: Path, migrated_db: Path
) -> None:
    """Two parallel `train`s read no tags, both write; the server refuses the second insert."""
    import mlflow
    from mlflow.exceptions import MlflowException

    class RacedClient(mlflow.MlflowClient):
        def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
            super().set_experiment_tag(experiment_id, key, value)  # the other stage wins
            raise MlflowException(f"duplicate key value violates unique constraint ({key})")

    client = RacedClient(seed_store(migrated_db, tmp_path))
    experiment_id = client.create_experiment("e", artifact_location=tmp_path.as_uri())
    mlflow_view.declare_experiment(client, experiment_id, "roc_auc", "classification")
    assert client.get_experiment(experiment_id).tags["mlflow.experimentKind"]

    class BrokenClient(mlflow.MlflowClient):
        def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
            raise MlflowException("the store refused it")

    other = BrokenClient(client.tracking_uri)
    second = other.create_experiment("f", artifact_location=tmp_path.as_uri())
    with pytest.raises(MlflowException, match="refused"):  # a real failure still surfaces
        mlflow_view.declare_experiment(other, second, "roc_auc", "classification")


def test_experiment_is_declared_classic_ml_with_its_view(tmp_path: Path, migrated_db: Path) -> None:
    import mlflow

    client = mlflow.MlflowClient(seed_store(migrated_db, tmp_path))
    experiment_id = client.create_experiment("e", artifact_location=tmp_path.as_uri())
    for _ in range(2):  # idempotent
        mlflow_view.declare_experiment(client, experiment_id, "roc_auc", "classification")
    tags = client.get_experiment(experiment_id).tags
    assert tags["mlflow.experimentKind"] == "custom_model_development"
    view = json.loads(tags["mlflow.sharedViewState.people"])
    assert view["orderByKey"] == "metrics.`roc_auc`"
    page = mlflow_view.ui_address(client.tracking_uri, "e", "http://h:1")
    assert (
        page
        == f"http://h:1/#/experiments/{experiment_id}/runs?viewStateShareKey=people&workflowType=machine_learning"
    )
    assert mlflow_view.ui_address(client.tracking_uri, "absent", "http://h:1") == "http://h:1"


def test_run_note_names_data_model_headline_and_decision(params) -> None:
    metrics = {"roc_auc": 0.9, "accuracy": 0.8, "cv_accuracy_mean": 0.79, "cv_accuracy_std": 0.01}
    report = {"decision": "challenger", "version": 3, "alias": "challenger", "reasons": ["worse"]}
    note = mlflow_view.run_note(params, metrics, report)
    assert f"**{params.data.name}**" in note and f"**{params.model.name}**" in note
    assert "roc_auc 0.9, cv accuracy 0.79 ± 0.01, accuracy 0.8" in note
    assert "passed → registered v3 as `challenger`**: worse" in note
    rejected = {"decision": "rejected", "version": None, "reasons": ["accuracy >= 0.9 failed"]}
    assert "Gate: **rejected**: accuracy >= 0.9 failed" in mlflow_view.run_note(
        params, metrics, rejected
    )


def test_model_card_has_the_sections_people_look_for(params) -> None:
    frame = pd.DataFrame(
        {"income": ["<=50K"] * 3 + [">50K"], "t": pd.date_range("2020", periods=4)}
    )
    summary = data_summary(frame, "income", "t")
    assert summary == {
        "rows": 4,
        "balance": "<=50K 75.0%, >50K 25.0%",
        "time range": "2020-01-01 … 2020-01-04",
    }
    checks = [{"rule": "accuracy >= 0.75", "observed": 0.8, "passed": True}]
    metrics = {"accuracy": 0.8, "roc_auc": 0.9, "cv_accuracy_mean": 0.79, "cv_accuracy_std": 0.01}
    undefined = model_card(params, metrics | {"mape": None}, checks, "passed, champion")
    assert "| mape | null (undefined on this data) |" in undefined  # MAPE near a zero target
    card = model_card(
        params, metrics, checks, "passed, champion", {"train": summary}, {"run": "#/r"}
    )
    for section in ("Intended use", "Data", "Metrics (test split)", "Gate", "Limitations"):
        assert f"### {section}" in card
    assert "| train | 4 | <=50K 75.0%, >50K 25.0% | 2020-01-01 … 2020-01-04 |" in card
    assert "| cv_accuracy (CV mean ± std) | 0.79 ± 0.01 |" in card
    bounds = {"accuracy.ci_lower": 0.7712, "accuracy.ci_upper": 0.8274}
    with_bounds = model_card(params, metrics | bounds, checks, "passed, champion")
    assert "| accuracy | 0.8 (95 %: 0.7712 to 0.8274) | higher |" in with_bounds
    assert "accuracy.ci_lower" not in with_bounds  # shown with its metric, not as a row
    assert "Gate: accuracy >= 0.75. Decision: passed, champion." in card
    assert "- [run](#/r)" in card
