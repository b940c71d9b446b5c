"""No password on any output: MLflow's run links and the health check (issue 14, item 1).

The end-to-end scan of stage output, queue logs, store and bucket is in test_mlflow_server.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ml_pipeline.tracking.store import configure_env
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "pw-do-not-leak"


def test_mlflow_prints_no_run_link_with_the_tracking_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """MLflow's `View run ... at: <URI>` gate, asked through the real client after configure_env.

    Without the suppression the client would fetch the run from the (absent) server to print its
    link, and fail; with it, it returns before any request and prints nothing.
    """
    from mlflow.tracking._tracking_service.client import TrackingServiceClient

    monkeypatch.setenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "false")  # restored afterwards
    configure_env()
    uri = f"http://user:{SECRET}@127.0.0.1:{free_port()}"
    TrackingServiceClient(uri)._log_url("0" * 32)
    shown = capsys.readouterr()
    assert SECRET not in shown.out + shown.err
    assert "View run" not in shown.out


def test_healthcheck_does_not_print_the_password() -> None:
    url = f"http://user:{SECRET}@127.0.0.1:{free_port()}"
    result = subprocess.run(
        ["bash", str(ROOT / "deploy/healthcheck.sh"), url], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert SECRET not in result.stdout + result.stderr
    assert "http://user:***@127.0.0.1" in result.stderr
