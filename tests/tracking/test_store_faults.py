"""Environment faults of the MLflow store: one line naming the store, exit 2 (issue 14, item 2).

Real MLflow on a real SQLite store in a temporary directory; the stages run in-process.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_pipeline.core.errors import StageError
from ml_pipeline.tracking.session import connect
from stages import prepare, train
from tests.conftest import seed_store

UNWRITABLE = "/sys/ml-pipeline-test-artifacts"  # refused even to root (sysfs)


def test_a_damaged_sqlite_store_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    with pytest.raises(StageError, match="is damaged") as caught:
        connect("ml-pipeline")
    assert str(db) in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


def test_an_unwritable_artifact_store_fails_the_run_in_one_line(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow

    monkeypatch.chdir(tiny_dir)
    assert prepare.main([]) == 0
    uri = f"sqlite:///{tiny_dir / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    experiment_id = client.create_experiment("ml-pipeline", artifact_location=UNWRITABLE)
    capsys.readouterr()

    status = train.main([])
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("train: error: "), err
    assert UNWRITABLE in err and "marked FAILED" in err
    runs = client.search_runs([experiment_id])
    assert [run.info.status for run in runs] == ["FAILED"]
    models = client.search_logged_models([experiment_id])
    assert [str(model.status) for model in models if str(model.status) != "READY"] == []
    assert not (tiny_dir / "models/run.json").exists()


def test_a_logged_model_that_failed_to_upload_is_discarded(
    tmp_path: Path, migrated_db: Path
) -> None:
    import mlflow
    from mlflow.entities import LoggedModelStatus

    from ml_pipeline.core.faults import discard_unfinished_models

    client = mlflow.MlflowClient(seed_store(migrated_db, tmp_path))
    experiment_id = client.create_experiment("e", artifact_location=(tmp_path / "a").as_uri())
    run = client.create_run(experiment_id)
    failed = client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
    client.finalize_logged_model(failed.model_id, LoggedModelStatus.FAILED)
    ready = client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
    client.finalize_logged_model(ready.model_id, LoggedModelStatus.READY)

    assert discard_unfinished_models(client, experiment_id, run.info.run_id) == [failed.model_id]
    left = client.search_logged_models([experiment_id])
    assert [model.model_id for model in left] == [ready.model_id]


def test_an_artifact_store_that_stops_answering_mid_run_is_one_line_without_its_password(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs go to the SQLite store, artifacts to an HTTP store (with a password) that is down:
    the params and metrics are logged, the model upload fails (issue 23, item 4)."""
    import mlflow

    from tests.services import free_port

    secret = "artifact-password-do-not-leak"
    monkeypatch.chdir(tiny_dir)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    assert prepare.main([]) == 0
    client = mlflow.MlflowClient(f"sqlite:///{tiny_dir / 'mlflow.db'}")
    location = f"http://alice:{secret}@127.0.0.1:{free_port()}/artifacts"
    experiment_id = client.create_experiment("ml-pipeline", artifact_location=location)
    capsys.readouterr()

    status = train.main([])
    shown = capsys.readouterr()
    err = shown.err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("train: error: "), err
    assert "alice:***@127.0.0.1" in err and "MLflow" in err
    assert secret not in shown.out + shown.err
    runs = client.search_runs([experiment_id])
    assert [run.info.status for run in runs] == ["FAILED"]
    assert not (tiny_dir / "models/run.json").exists()


def test_a_tracking_server_that_fails_after_its_health_check_is_one_line_without_its_password(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A server whose /health answers but whose API fails (a broken database behind it): MLflow's
    error names the URL it called, password included (issue 23, item 4)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Failing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 500)
            self.end_headers()
            self.wfile.write(b"OK" if self.path == "/health" else b"{}")

        do_POST = do_GET

        def log_message(self, *args: object) -> None:  # quiet
            pass

    secret = "server-password-do-not-leak"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.chdir(tiny_dir)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    try:
        assert prepare.main([]) == 0
        uri = f"http://alice:{secret}@127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        capsys.readouterr()
        status = train.main([])
    finally:
        server.shutdown()
    shown = capsys.readouterr()
    err = shown.err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("train: error: MLflow store "), err
    assert "alice:***@127.0.0.1" in err and secret not in shown.out + shown.err
    assert not (tiny_dir / "models/run.json").exists()


def test_a_server_down_while_resuming_the_run_is_retryable_not_a_missing_run(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`register` resumes train's run: a server that does not answer is a transient fault for
    orchestration to retry, never "the run is not in the store; re-run training"."""
    from mlflow.exceptions import MlflowException

    from ml_pipeline.core.errors import handled, is_transient_line
    from ml_pipeline.tracking.session import active_run

    monkeypatch.chdir(tiny_dir)
    tracking = connect("ml-pipeline")

    def unanswered(run_id: str) -> None:
        try:
            raise ConnectionRefusedError("[Errno 111] Connection refused")
        except ConnectionRefusedError as cause:
            raise MlflowException("API request to /api/2.0/mlflow/runs/get failed") from cause

    monkeypatch.setattr(tracking.client, "get_run", unanswered)

    def resume() -> None:
        with active_run(tracking, "0123456789abcdef"):
            pass

    with pytest.raises(MlflowException):
        resume()
    capsys.readouterr()
    assert handled("register", resume) == 2
    line = capsys.readouterr().err.strip()
    assert is_transient_line(line) and "re-run training" not in line, line


@pytest.fixture
def full_store(tmp_path: Path) -> Iterator[Path]:
    """A 96 kB tmpfs: room for the run's small files and the model's start, not its model.pkl.
    Mounting needs root (CAP_SYS_ADMIN): skipped elsewhere."""
    store = tmp_path / "store"
    store.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(store)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield store
    finally:
        subprocess.run(["umount", str(store)], check=True)


def test_a_full_artifact_store_is_named_and_keeps_no_partial_model(
    tiny_dir: Path,
    full_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ENOSPC while the model is copied in (issue 23, item 12): the line names the store, not
    MLflow's temporary copy, and the deleted logged model leaves none of its files there."""
    import mlflow

    monkeypatch.chdir(tiny_dir)
    assert prepare.main([]) == 0
    client = mlflow.MlflowClient(f"sqlite:///{tiny_dir / 'mlflow.db'}")
    client.create_experiment("ml-pipeline", artifact_location=str(full_store))
    capsys.readouterr()

    status = train.main([])
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"train: error: artifact store {full_store}/"), err
    assert "No space left on device" in err and tempfile.gettempdir() + "/tmp" not in err
    assert "unfinished logged model(s) m-" in err
    assert [p.name for p in full_store.glob("models/*/artifacts/*")] == []
