"""`make mlflow-ui`: the command it runs is MLflow's UI, light (one worker, no job runner)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from commands import mlflow_cli


def test_the_ui_runs_one_worker_without_the_job_runner(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tiny_dir)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "true")  # restored afterwards
    ran: list[tuple[list[str], str | None]] = []

    def execvp(file: str, args: list[str]) -> None:
        ran.append((args, os.environ.get("MLFLOW_SERVER_ENABLE_JOB_EXECUTION")))

    monkeypatch.setattr(os, "execvp", execvp)
    mlflow_cli.main(["ui", "--port", "5123"])
    [(command, job_execution)] = ran
    assert command[:2] == ["mlflow", "ui"] and job_execution == "false"
    assert command[command.index("--workers") + 1] == "1"
    assert command[command.index("-p") + 1] == "5123"
    assert command[command.index("--backend-store-uri") + 1].startswith("sqlite:///")
    assert "open http://127.0.0.1:5123" in capsys.readouterr().err


def test_mlflow_knows_the_ui_options_and_runs_the_job_runner_unless_told() -> None:
    """The flag and the variable exist in the installed MLflow (a rename would fail here)."""
    from mlflow import environment_variables
    from mlflow.cli import cli

    (name,) = mlflow_cli.UI_ENV
    assert getattr(environment_variables, name).default is True  # the default we turn off
    command = mlflow_cli.ui_command("sqlite:///mlflow.db", 5123)
    context = cli.get_command(None, "ui").make_context("ui", command[2:])
    assert context.params["workers"] == "1" and context.params["port"] == 5123
