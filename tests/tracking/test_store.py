"""Where the MLflow store is (tracking/store.py): pure resolution, the environment MLflow gets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_pipeline.core.errors import StageError
from ml_pipeline.tracking.store import (
    configure_env,
    main_root,
    resolve_store,
    without_credentials,
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


def test_without_credentials() -> None:
    assert without_credentials("http://a:b@h:1/x") == "http://h:1/x"


def test_a_server_that_never_answers_fails_the_probe_in_seconds(tmp_path: Path) -> None:
    """In-process, so the bound is the probe's own timeout, not interpreter start-up."""
    import socket
    import time

    from ml_pipeline.tracking.store import PROBE_SECONDS, Store, probe

    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StageError, match=rf"127.0.0.1:{port} is unreachable \(timed out"):
            probe(Store(tmp_path, f"http://u:pw@127.0.0.1:{port}", None))
        assert time.monotonic() - started < PROBE_SECONDS + 2


def test_a_damaged_sqlite_store_is_refused_before_mlflow_opens_it(
    tmp_path: Path, monkeypatch
) -> None:
    import sqlite3

    from ml_pipeline.tracking.store import reachable_store

    db = tmp_path / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    assert reachable_store().tracking_uri == f"sqlite:///{db}"  # no file yet: MLflow makes it
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    assert reachable_store().tracking_uri == f"sqlite:///{db}"  # a database
    db.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    with pytest.raises(StageError, match=rf"MLflow store sqlite:///{db} is damaged \(file is not"):
        reachable_store()


def test_mlflow_does_not_detect_the_uv_project(tmp_path: Path, monkeypatch) -> None:
    """The model's requirements are explicit: no `uv export`, no "Detected uv project" log."""
    from mlflow.environment_variables import MLFLOW_UV_AUTO_DETECT

    monkeypatch.delenv("MLFLOW_UV_AUTO_DETECT", raising=False)  # restored afterwards
    assert MLFLOW_UV_AUTO_DETECT.get() is True  # MLflow's default
    configure_env()
    assert MLFLOW_UV_AUTO_DETECT.get() is False
    monkeypatch.setenv("MLFLOW_UV_AUTO_DETECT", "true")  # a user's own setting wins
    configure_env()
    assert MLFLOW_UV_AUTO_DETECT.get() is True


@pytest.fixture(params=["guarded", "open"])
def guarded_health(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server whose API answers 200 only to basic auth `alice:tok`, and its `/health` too (as a
    hosted one may) or to anyone (as MLflow's basic-auth app does)."""
    import base64
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    expected = "Basic " + base64.b64encode(b"alice:tok").decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            allowed = self.headers.get("Authorization") == expected
            open_health = request.param == "open" and self.path.endswith("/health")
            self.send_response(200 if allowed or open_health else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alice/shop.mlflow"
    server.shutdown()
    server.server_close()


def test_the_probe_sends_mlflows_credentials_and_names_them_when_refused(
    tmp_path: Path, guarded_health: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ml_pipeline.tracking.store import Store, probe

    for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(StageError, match="refused the credentials \\(HTTP 401\\); set MLFLOW_"):
        probe(Store(tmp_path, guarded_health, None))
    probe(Store(tmp_path, guarded_health.replace("://", "://alice:tok@"), None))
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong")
    with pytest.raises(StageError, match="refused the credentials") as refused:
        probe(Store(tmp_path, guarded_health, None))
    assert "wrong" not in str(refused.value)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "tok")
    probe(Store(tmp_path, guarded_health, None))
