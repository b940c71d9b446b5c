"""`register` logs `evaluate`'s outputs into the run (evaluate itself does not touch MLflow)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.tracking.session import active_run, connect
from stages import prepare
from stages.register import EVALUATION_TAG, log_evaluation


def evaluate_outputs(accuracy: float) -> None:
    """What `evaluate` writes, small: metrics, the loss curve table, a figure, timings."""
    paths.METRICS.write_text(json.dumps({"accuracy": accuracy, "roc_auc": None}))
    paths.PLOTS_DIR.mkdir(parents=True, exist_ok=True)
    curve = pd.DataFrame({"iteration": [1, 2, 3], "loss": [0.6, 0.51, 0.4875]})
    curve.to_csv(paths.PLOTS_DIR / paths.LEARNING_CURVE_CSV, index=False)
    paths.FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    (paths.FIGURES_DIR / "roc.png").write_bytes(b"\x89PNG")
    paths.TIMINGS.write_text(json.dumps({"fit_seconds": 0.1}))


def test_the_evaluation_is_logged_once_and_again_when_it_changes(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    monkeypatch.chdir(tiny_dir)
    assert prepare.main([]) == 0
    params = load_params(paths.PARAMS)
    tracking = connect(params.tracking.experiment)
    with active_run(tracking) as run:
        run_id = run.info.run_id
        run_info = {"run_id": run_id, "model_id": mlflow.create_external_model(name="m").model_id}
        for accuracy in (0.8, 0.8, 0.9):  # the second: a `register` re-run, new thresholds
            evaluate_outputs(accuracy)
            metrics = json.loads(paths.METRICS.read_text())
            tags = tracking.client.get_run(run_id).data.tags
            log_evaluation(tracking, params, run_info, metrics, tags)

    history = tracking.client.get_metric_history(run_id, "accuracy")
    assert [m.value for m in history] == [0.8, 0.9]
    curve = tracking.client.get_metric_history(run_id, "test_log_loss")
    assert [(m.step, m.value) for m in curve] == [(0, 0.6), (1, 0.51), (2, 0.4875)] * 2
    logged = tracking.client.get_run(run_id)
    assert "roc_auc" not in logged.data.metrics  # null: undefined, not logged
    assert logged.data.tags[EVALUATION_TAG]
    assert [d.dataset.name for d in logged.inputs.dataset_inputs] == ["test"]
    artifacts = {a.path for a in tracking.client.list_artifacts(run_id)}
    assert {"figures", "timings.json"} <= artifacts
    model_metrics = tracking.client.get_logged_model(run_info["model_id"]).metrics
    assert {m.value for m in model_metrics if m.key == "accuracy"} == {0.8, 0.9}


def test_a_bug_while_re_scoring_the_champion_raises_instead_of_making_a_challenger(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a champion that cannot score this data is "not comparable"; a bug is a traceback."""
    import mlflow.sklearn
    from sklearn.compose import ColumnTransformer
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline

    from ml_pipeline.evaluation import metrics
    from ml_pipeline.tracking.lineage import Lineage
    from stages.register import champion_value

    monkeypatch.chdir(tiny_dir)
    assert prepare.main([]) == 0
    params = load_params(paths.PARAMS)
    tracking = connect(params.tracking.experiment)
    other_columns = pd.DataFrame({"no_such_column": [1.0, 2.0]})
    champion = make_pipeline(
        ColumnTransformer([("x", "passthrough", ["no_such_column"])]), DummyClassifier()
    ).fit(other_columns, ["a", "b"])
    with active_run(tracking):
        mlflow.sklearn.log_model(champion, name="model", registered_model_name="champ")
    same_train = Lineage(data_md5={"train": "t", "test": "other test split"})
    for key, value in same_train.to_tags().items():
        tracking.client.set_model_version_tag("champ", "1", key, value)
    version = tracking.client.get_model_version("champ", "1")
    lineage = Lineage(data_md5={"train": "t", "test": "this test split"})

    value, how = champion_value(params, version, lineage)  # columns it was not trained on
    assert value is None and how.startswith("could not be re-evaluated on this test data (")

    def buggy_score(*args: object, **kwargs: object) -> None:
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(metrics, "score", buggy_score)
    with pytest.raises(TypeError, match="unsupported operand"):
        champion_value(params, version, lineage)

    def unanswered_score(*args: object, **kwargs: object) -> None:  # the server went down
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    monkeypatch.setattr(metrics, "score", unanswered_score)  # retryable, not "not comparable"
    with pytest.raises(ConnectionRefusedError):
        champion_value(params, version, lineage)
