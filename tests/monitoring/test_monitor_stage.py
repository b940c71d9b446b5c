"""Stage `monitor` in-process on `tiny`, against a real SQLite MLflow registry: the champion is
trained by the real `train` stage (which logs its reference sample), registered, and scored
batches are built as the `score` stage writes them (docs/monitoring.md, "Scored batches")."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from commands.compose import compose
from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.modeling.model_dir import load_pipeline
from ml_pipeline.monitoring.card import HEADING
from ml_pipeline.tracking.lineage import MONITOR_DECISION, MONITOR_RUN, MONITOR_VERSION
from ml_pipeline.tracking.session import connect
from stages import monitor, prepare, train
from tests.conftest import seed_store, tiny_overrides

OUTPUTS = (paths.MONITOR_REPORT, paths.MONITOR_DECISION, paths.MONITOR_HISTORY, paths.MONITOR_HTML)


def scored(model: Any, frame: pd.DataFrame, target: str | None = "income") -> pd.DataFrame:
    """A batch as `score` writes it: the model's input columns, the target, its output."""
    data = load_params(paths.PARAMS).data
    out = frame[[*data.features, *([target] if target else [])]].copy()
    out["prediction"] = model.predict(frame[data.features])
    positive = list(model.classes_).index(">50K")
    out["score"] = model.predict_proba(frame[data.features])[:, positive]
    return out.reset_index(drop=True)


def write_batches(batches: dict[str, pd.DataFrame], champion: dict | None, model: str) -> None:
    paths.SCORED_DIR.mkdir(parents=True, exist_ok=True)
    for name, frame in batches.items():
        frame.to_parquet(paths.SCORED_DIR / f"{name}.parquet", index=False)
    summary = {
        name: {"rows": len(f), "labelled": len(f), "status": "scored", "reason": None}
        for name, f in batches.items()
    }
    report = {"model": model, "champion": champion, "challenger": None, "batches": summary}
    paths.SCORE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    paths.SCORE_REPORT.write_text(json.dumps(report))


@pytest.fixture(scope="module")
def trained_dir(
    template_dir: Path, migrated_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """`tiny` (cv=fast) prepared and trained by the stages, once for the module."""
    dest = tmp_path_factory.mktemp("monitor") / "repo"
    shutil.copytree(template_dir, dest)
    seed_store(migrated_db, dest)
    compose(dest / "params.yaml", tiny_overrides("cv=fast"), dest / "conf")
    with pytest.MonkeyPatch.context() as patch:
        # Set here, so that leaving the context unsets what `connect` sets in the environment:
        # this module fixture runs before tests/conftest.py's per-test reset saves it.
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{dest / 'mlflow.db'}")
        patch.chdir(dest)
        assert prepare.main([]) == 0
        assert train.main([]) == 0
    import mlflow

    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]  # None clears the global
    yield dest


@pytest.fixture
def champion(trained_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The trained run registered as the champion's next version; no monitor output yet."""
    import mlflow

    monkeypatch.chdir(trained_dir)
    for path in OUTPUTS:
        path.unlink(missing_ok=True)
    params = load_params(paths.PARAMS)
    run_id = json.loads(paths.RUN_INFO.read_text())["run_id"]
    tracking = connect(params.tracking.experiment)
    tracking.client.log_metric(run_id, "roc_auc", 0.9)  # what `register` logs from metrics.json
    name = params.tracking.registered_model
    version = mlflow.register_model(f"runs:/{run_id}/model", name).version
    tracking.client.set_registered_model_alias(name, "champion", version)
    model = load_pipeline(paths.MODEL_DIR)
    return {"name": name, "version": str(version), "run_id": run_id, "model": model}


def test_monitor_logs_the_decision_to_the_champions_version(
    champion: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    test = pd.read_parquet(paths.PREPARED_TEST)
    shifted = test.assign(age=test["age"] + 25, hours_per_week=test["hours_per_week"] + 20)
    batches = {"2026-12-01": scored(champion["model"], test)}
    batches["2026-12-02"] = scored(champion["model"], shifted)
    pinned = {"version": champion["version"], "run_id": champion["run_id"]}
    write_batches(batches, pinned, champion["name"])
    assert monitor.main([]) == 0
    decision = json.loads(paths.MONITOR_DECISION.read_text())
    assert decision["decision"] == "retrain" and decision["batches"] == ["2026-12-02"]
    assert decision["champion_version"] == champion["version"]
    numbers = json.loads(paths.MONITOR_REPORT.read_text())
    assert all(isinstance(v, int | float) for v in numbers.values())
    assert (
        numbers["latest.drifted_columns"] >= 2 and numbers["batch.2026-12-01.drifted_columns"] == 0
    )
    history = pd.read_csv(paths.MONITOR_HISTORY)
    assert list(history["batch"]) == ["2026-12-01", "2026-12-02"]
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("monitor: 2026-12-01: 200 rows (200 labelled), 0/14 columns drifted")
    assert out[-1].startswith("monitor: retrain: batch 2026-12-02: ")
    client = connect(load_params(paths.PARAMS).tracking.experiment).client
    version = client.get_model_version(champion["name"], champion["version"])
    assert version.tags[MONITOR_DECISION] == "retrain"
    run = client.get_run(version.tags[MONITOR_RUN])
    assert run.info.status == "FINISHED" and run.data.tags[MONITOR_VERSION] == champion["version"]
    assert run.data.metrics["latest.drifted_columns"] == numbers["latest.drifted_columns"]
    assert f"{HEADING}\n- 2026-12-01: 200 rows" in version.description
    html = paths.MONITOR_HTML.read_text()
    assert "Decision: retrain" in html and "http" not in html  # nothing fetched: opens offline


def test_no_batch_writes_outputs_that_say_so(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_dir)
    write_batches({}, None, "m")
    assert monitor.main([]) == 0
    assert json.loads(paths.MONITOR_DECISION.read_text()) == {
        "decision": "ok",
        "reasons": ["no scored batch: nothing to judge"],
        "batches": [],
        "champion_version": None,
    }
    assert json.loads(paths.MONITOR_REPORT.read_text()) == {"batches": 0, "retrain": 0}
    assert pd.read_csv(paths.MONITOR_HISTORY).empty


def test_a_champion_without_a_reference_is_one_line_and_writes_nothing(
    champion: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow

    tracking = connect(load_params(paths.PARAMS).tracking.experiment)
    with mlflow.start_run(experiment_id=tracking.experiment_id) as old:  # trained before monitor
        pass
    test = pd.read_parquet(paths.PREPARED_TEST)
    write_batches(
        {"b": scored(champion["model"], test)},
        {"version": "1", "run_id": old.info.run_id},
        champion["name"],
    )
    assert monitor.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("monitor: error: champion v1 (run ") and "dvc repro -f train" in err
    assert "\n" not in err
    assert not any(path.exists() for path in OUTPUTS)


def test_a_scored_batch_missing_its_file_is_one_line(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tiny_dir)
    write_batches({}, None, "m")
    report = json.loads(paths.SCORE_REPORT.read_text())
    report["batches"]["gone"] = {"rows": 5, "labelled": 0, "status": "scored", "reason": None}
    paths.SCORE_REPORT.write_text(json.dumps(report))
    assert monitor.main([]) == 2
    assert "data/scored/gone.parquet: missing" in capsys.readouterr().err


def test_a_pinned_version_gone_from_the_registry_is_one_line(
    champion: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    test = pd.read_parquet(paths.PREPARED_TEST)
    pinned = {"version": "99", "run_id": champion["run_id"]}
    write_batches({"b": scored(champion["model"], test)}, pinned, champion["name"])
    assert monitor.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"monitor: error: reports/score.json: {champion['name']} v99 (run ")
    assert "\n" not in err and not any(path.exists() for path in OUTPUTS)
