"""MLflow configuration, lineage and the registration gate: pure parts and fast failures."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stages.compose import compose
from stages.config import TASK_METRICS, RegisterConfig, parse_params
from stages.errors import StageError
from stages.gate import at_least, check_metrics_exist, check_thresholds
from stages.lineage import file_md5, flatten, git_state, lock_hashes, reproduce_command
from stages.metrics import classification_metrics, regression_metrics
from stages.tracking import (
    main_root,
    resolve_store,
    without_credentials,
    without_password,
)
from tests.conftest import run
from tests.services import free_port

GATE = RegisterConfig.model_validate(
    {
        "primary_metric": "roc_auc",
        "direction": "higher",
        "thresholds": [
            {"metric": "accuracy", "direction": "higher", "value": 0.85},
            {"metric": "log_loss", "direction": "lower", "value": 0.4},
        ],
    }
)


def test_root_of_a_dvc_experiment_copy_is_the_main_repo(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DVC_ROOT", raising=False)
    copy = tmp_path / "repo/.dvc/tmp/exps/tmpab12/stages"
    copy.mkdir(parents=True)
    assert main_root(copy) == tmp_path / "repo"
    assert main_root(tmp_path / "repo/.dvc/tmp/exps/tmpab12") == tmp_path / "repo"
    assert main_root(tmp_path / "repo") == tmp_path / "repo"  # it has a .dvc folder


def test_embedded_store_is_absolute_under_the_root(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = resolve_store(tmp_path)
    assert store.tracking_uri == f"sqlite:///{tmp_path}/mlflow.db"
    assert store.artifact_location == (tmp_path / "mlruns").as_uri()
    assert not store.is_server


def test_tracking_uri_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    store = resolve_store(tmp_path)
    assert store.is_server and store.artifact_location is None
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    with pytest.raises(StageError, match="absolute path"):
        resolve_store(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    with pytest.raises(StageError, match="unsupported"):
        resolve_store(tmp_path)


def test_database_uris_are_refused_without_their_password(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "postgresql+psycopg2://u:pw@db:5432/mlflow")
    with pytest.raises(StageError, match=r"u:\*\*\*@db:5432.*tracking server") as raised:
        resolve_store(tmp_path)
    assert "pw" not in str(raised.value)


def test_without_password() -> None:
    assert without_password("http://a:b@h:1/x") == "http://a:***@h:1/x"
    assert without_password("http://h:1") == "http://h:1"
    assert without_password("sqlite:////tmp/m.db") == "sqlite:////tmp/m.db"
    assert without_credentials("http://a:b@h:1/x") == "http://h:1/x"


def test_thresholds_report_each_rule_with_its_observed_value() -> None:
    checks = check_thresholds(GATE, {"accuracy": 0.9, "log_loss": 0.5, "roc_auc": 0.95})
    assert [(c["rule"], c["observed"], c["passed"]) for c in checks] == [
        ("accuracy >= 0.85", 0.9, True),
        ("log_loss <= 0.4", 0.5, False),
    ]
    assert at_least(0.5, 0.5, "higher") and at_least(0.5, 0.5, "lower")
    assert not at_least(0.4, 0.5, "higher") and not at_least(0.6, 0.5, "lower")


def test_a_threshold_on_a_metric_the_task_lacks_names_the_key() -> None:
    regression = {"rmse": 500.0, "r2": 0.98}
    with pytest.raises(StageError, match=r"register.primary_metric: metric 'roc_auc' .*rmse"):
        check_metrics_exist(GATE, regression)


def test_a_gate_for_the_other_task_fails_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "params.yaml"
    compose(out, ["data=diamonds", "register=adult"])
    with pytest.raises(StageError, match=r"register.primary_metric 'roc_auc' is not a regression"):
        parse_params(yaml.safe_load(out.read_text()))


def test_task_metrics_are_what_evaluate_writes() -> None:
    y = pd.Series(["a", "b", "a", "b"])
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.4, 0.6]])
    written = classification_metrics(y, y.to_numpy(), proba, ["a", "b"], None)
    assert tuple(written) == TASK_METRICS["classification"]
    values = pd.Series([1.0, 2.0, 3.0])
    assert tuple(regression_metrics(values, values.to_numpy())) == TASK_METRICS["regression"]


def test_every_dataset_selects_a_gate_for_its_own_metrics(tmp_path: Path) -> None:

    for data, metric in [("adult", "roc_auc"), ("tiny", "roc_auc"), ("diamonds", "rmse")]:
        out = tmp_path / f"params-{data}.yaml"
        compose(out, [f"data={data}"])
        params = parse_params(yaml.safe_load(out.read_text()))
        assert params.registration.primary_metric == metric
        assert params.tracking.registered_model == f"ml-pipeline-{data}"


def test_bad_gate_config_fails_naming_the_key() -> None:
    raw = yaml.safe_load(Path("params.yaml").read_text())
    raw["register"]["direction"] = "up"
    with pytest.raises(StageError, match="register.direction"):
        parse_params(raw)


def test_file_md5_is_what_dvc_records(tmp_path: Path) -> None:
    data = tmp_path / "a.parquet"
    data.write_bytes(b"some bytes" * 1000)
    assert file_md5(data) == hashlib.md5(data.read_bytes()).hexdigest()
    lock = tmp_path / "dvc.lock"
    lock.write_text(
        "schema: '2.0'\nstages:\n  prepare:\n    cmd: x\n    outs:\n"
        "    - path: a.parquet\n      md5: abc\n      size: 3\n"
        "  train:\n    cmd: y\n    outs:\n    - path: m\n      md5: def\n"
    )
    assert lock_hashes(lock=lock) == {"dvc.prepare.a.parquet": "abc", "dvc.train.m": "def"}
    assert lock_hashes(before="train", lock=lock) == {"dvc.prepare.a.parquet": "abc"}
    assert lock_hashes(before="register", lock=lock) == lock_hashes(lock=lock)  # not there yet
    assert lock_hashes(lock=tmp_path / "missing.lock") == {}


def test_flatten_params() -> None:
    flat = flatten({"seed": 1, "data": {"name": "x", "cols": ["a", "b"], "extra": {}}, "n": None})
    assert flat == {
        "seed": "1",
        "data.name": "x",
        "data.cols": '["a", "b"]',
        "data.extra": "{}",
    } | {"n": "null"}


def test_reproduce_command() -> None:
    assert reproduce_command("abc", "exp-1", True) == "dvc exp apply exp-1 && dvc repro"
    assert reproduce_command("abc", None, False) == "git checkout abc && dvc checkout && dvc repro"
    assert "params.yaml artifact" in reproduce_command("abc", None, False, params_modified=True)


def test_git_dirty_ignores_what_the_pipeline_writes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DVC_EXP_BASELINE_REV", raising=False)
    (tmp_path / "dvc.yaml").write_text(
        "stages:\n  a:\n    cmd: x\n    outs: [out.txt]\n    metrics: [{m.json: {cache: false}}]\n"
    )
    for name in ("dvc.lock", "m.json", "code.py", "params.yaml"):
        (tmp_path / name).write_text("1\n")
    run(["git", "init", "-q"], tmp_path)
    run(["git", "add", "-A"], tmp_path)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], tmp_path)
    head = run(["git", "rev-parse", "HEAD"], tmp_path).stdout.strip()
    clean = {"git.commit": head, "git.dirty": "false", "git.params_modified": "false"}
    assert git_state(tmp_path) == clean

    (tmp_path / "dvc.lock").write_text("2\n")
    (tmp_path / "m.json").write_text("2\n")
    assert git_state(tmp_path) == clean
    (tmp_path / "params.yaml").write_text("2\n")  # what `dvc exp run -S` does
    assert git_state(tmp_path) == clean | {"git.params_modified": "true"}
    (tmp_path / "code.py").write_text("2\n")
    assert git_state(tmp_path)["git.dirty"] == "true"

    # A DVC experiment commits its changes on a temporary commit; the baseline is what counts.
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "tmp"], tmp_path)
    assert git_state(tmp_path)["git.dirty"] == "false"
    monkeypatch.setenv("DVC_EXP_BASELINE_REV", head)
    assert git_state(tmp_path) == {
        "git.commit": head,
        "git.dirty": "true",
        "git.params_modified": "true",
    }


def test_predict_checks_the_signature_naming_the_column() -> None:
    from mlflow.models import infer_signature

    from stages.predict import check_schema

    rows = pd.DataFrame({"age": [30.0, 40.0], "sex": ["Male", "Female"]})
    signature = infer_signature(rows, pd.Series(["a", "b"]))
    assert list(check_schema(rows.assign(extra=1), signature.inputs, "x.csv").columns) == [
        "age",
        "sex",
    ]
    with pytest.raises(StageError, match="x.csv: missing column 'sex'"):
        check_schema(rows.drop(columns="sex"), signature.inputs, "x.csv")
    with pytest.raises(StageError, match=r"column 'age' must be numeric .*'old'"):
        check_schema(rows.assign(age=["30", "old"]), signature.inputs, "x.csv")


def test_unreachable_tracking_server_fails_in_seconds_with_one_line(tiny_repo: Path) -> None:
    port = free_port()
    url = f"http://alice:s3cret@127.0.0.1:{port}"
    started = time.monotonic()
    result = run(
        ["python", "-m", "stages.train"], tiny_repo, check=False, env={"MLFLOW_TRACKING_URI": url}
    )
    assert time.monotonic() - started < 15
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    shown = f"http://alice:***@127.0.0.1:{port}"
    assert lines[-1].startswith(f"train: error: MLflow tracking server {shown} is unreachable")
    assert "Connection refused" in lines[-1] and "s3cret" not in result.stderr
    assert not (tiny_repo / "models/run.json").exists()

    result = run(
        ["python", "-m", "stages.predict", "--input", "x.csv", "--output", "y.csv"],
        tiny_repo,
        check=False,
        env={"MLFLOW_TRACKING_URI": url},
    )
    assert result.returncode == 2 and "is unreachable" in result.stderr
    assert json.dumps(result.stderr).count("\\n") == 1  # one line


@pytest.mark.parametrize("stage", ["evaluate", "register"])
def test_a_stage_without_its_inputs_names_the_missing_file(tiny_repo: Path, stage: str) -> None:
    result = run(["python", "-m", f"stages.{stage}"], tiny_repo, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"{stage}: error: ")
    assert "no such file" in result.stderr and len(result.stderr.strip().splitlines()) == 1
