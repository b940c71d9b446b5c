"""A tracking server that is down or restarting is transient: orchestration retries the stage.

The stage's own line (core/errors.py `handled`) carries the mark that orchestration/stage.py
`classify` reads; fast, no pipeline and no Git repository.
"""

from __future__ import annotations

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from ml_pipeline.core.errors import handled
from ml_pipeline.tracking.store import reachable_store
from orchestration.stage import StageRun, classify, is_transient_failure
from tests.services import free_port


def stage_line(name: str, body, capsys: pytest.CaptureFixture[str]) -> str:  # noqa: ANN001
    """What `dvc repro` shows when stage `name`'s body fails: its own line, then DVC's."""
    assert handled(name, body) == 2
    own = capsys.readouterr().err
    return own + f"ERROR: failed to reproduce '{name}': failed to run: x, exited with 2\n"


def test_a_tracking_server_that_is_down_is_retried(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/orchestration.md: the MLflow server restarting is retried, not the input's error."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    failure = classify(StageRun("train", 1, "", stage_line("train", reachable_store, capsys)))
    assert failure is not None and failure.retryable
    assert failure.line.startswith("train: error: MLflow tracking server")
    assert is_transient_failure(failure.line)  # `make orchestrate` exits 1, not 2

    def refused() -> None:  # mid-run: MLflow wraps the client's error in its own
        try:
            raise requests.ConnectionError("Connection refused")
        except requests.ConnectionError as exc:
            raise MlflowException(f"API request to http://x failed: {exc}")  # noqa: B904 (as MLflow)

    failure = classify(StageRun("register", 1, "", stage_line("register", refused, capsys)))
    assert failure is not None and failure.retryable


def test_an_mlflow_error_of_the_request_is_not_retried(capsys: pytest.CaptureFixture[str]) -> None:
    def refused() -> None:
        raise MlflowException("Invalid value for param 'x'", INVALID_PARAMETER_VALUE)

    failure = classify(StageRun("train", 1, "", stage_line("train", refused, capsys)))
    assert failure is not None and not failure.retryable
    assert not is_transient_failure(failure.line)
