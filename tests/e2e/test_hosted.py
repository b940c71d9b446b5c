"""A DagsHub-style hosted setup, by configuration only: one token opens the MLflow tracking URI
(MLFLOW_TRACKING_USERNAME/PASSWORD) and the DVC HTTP remote (`auth basic`, the token in
`.dvc/config.local`). MLflow is its own basic-auth app (`mlflow server --app-name basic-auth`,
the user created by its admin); the remote is tests/hosted.py's."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import pipeline_env, run, run_queue
from tests.hosted import Host, hosted
from tests.services import free_port, served

pytestmark = pytest.mark.integration

TOKEN = "hub-token-5f2c9d1e-do-not-leak"
USER = "alice"
MODEL = "ml-pipeline-tiny"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    """MLflow's basic-auth app (SQLite, proxied artifacts) and the token-guarded DVC remote."""
    with hosted(tmp_path, USER, TOKEN) as started:
        yield started


def connect(repo: Path, host: Host) -> dict[str, str]:
    """What docs/team-setup.md tells a user to do; returns the environment to export."""
    run(["dvc", "remote", "add", "-d", "hub", host.remote_url], repo)
    run(["dvc", "remote", "modify", "hub", "auth", "basic"], repo)
    run(["dvc", "remote", "modify", "--local", "hub", "user", USER], repo)
    run(["dvc", "remote", "modify", "--local", "hub", "password", TOKEN], repo)
    return {
        "MLFLOW_TRACKING_URI": host.tracking_uri,
        "MLFLOW_TRACKING_USERNAME": USER,
        "MLFLOW_TRACKING_PASSWORD": TOKEN,
    }


def status_without_token(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_one_token_serves_tracking_remote_queue_report_and_serve_and_leaks_nowhere(
    tiny_repo: Path, host: Host, tmp_path: Path
) -> None:
    repo, outputs = tiny_repo, []
    # MLflow's app answers /health to anyone (the probe asks its API too) and its API to the token.
    assert status_without_token(f"{host.tracking_uri}/health") == 200
    assert status_without_token(f"{host.tracking_uri}/api/2.0/mlflow/experiments/search") == 401
    env = connect(repo, host)
    wrong = run(
        ["dvc", "repro", "train"], repo, env=env | {"MLFLOW_TRACKING_PASSWORD": "x"}, check=False
    )

    # The pipeline in the workspace, its data on the remote, then a queued experiment.
    outputs.append(run(["dvc", "repro"], repo, env=env))
    assert "register: champion" in outputs[-1].stdout
    outputs.append(run(["dvc", "push"], repo, env=env))
    assert list((host.store / "files/md5").rglob("*.dir"))
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "results"], repo)
    quick = ["-S", "data=tiny", "-S", "cv=fast", "-S", "evaluate.importance_repeats=1"]
    outputs.append(
        run(["dvc", "exp", "run", "--queue", *quick, "-S", "model=linear"], repo, env=env)
    )
    run_queue(repo, tasks=1, env=env)

    import mlflow

    client = mlflow.MlflowClient(host.tracking_uri.replace("://", f"://{USER}:{TOKEN}@"))
    runs = client.search_runs([client.get_experiment_by_name("ml-pipeline").experiment_id])
    assert len(runs) == 2 and all(r.info.status == "FINISHED" for r in runs)
    assert len(client.search_model_versions(f"name='{MODEL}'")) == 2
    assert client.get_model_version_by_alias(MODEL, "champion").run_id in {
        r.info.run_id for r in runs
    }

    # A clone pulls with the token in its own config.local; the report and the server work.
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    assert run(["dvc", "pull"], clone, check=False).returncode != 0  # no token: refused
    run(["dvc", "remote", "modify", "--local", "hub", "user", USER], clone)
    run(["dvc", "remote", "modify", "--local", "hub", "password", TOKEN], clone)
    outputs.append(run(["dvc", "pull"], clone, env=env))
    assert "Data and pipelines are up to date" in run(["dvc", "status"], clone, env=env).stdout
    report = [sys.executable, "-m", "commands.report", "--base", "HEAD", "--output", "pr-report"]
    outputs.append(run(report, repo, env=env))
    port = free_port()
    serve = [sys.executable, "-m", "commands.mlflow_cli", "serve", "--port", str(port)]
    with served(serve, f"http://127.0.0.1:{port}/ping", tmp_path / "serve.log", repo,
                pipeline_env() | env, seconds=180):  # fmt: skip
        rows = pd.read_parquet(repo / "data/prepared/test.parquet").drop(columns="income").head(3)
        split = json.loads(rows.to_json(orient="split", index=False))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=json.dumps({"dataframe_split": split}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert len(json.loads(response.read())["predictions"]) == 3

    # A wrong token is one line that names the settings, not the token.
    assert wrong.returncode != 0 and "refused the credentials (HTTP 401)" in wrong.stderr
    # The token is only in the two config.local files: no output, log, lock, report or commit.
    places = {name: (tmp_path / name).read_bytes() for name in ("serve.log", "server.log")}
    places |= {f"output {i}": (o.stdout + o.stderr).encode() for i, o in enumerate(outputs)}
    for root in (repo, clone, host.data):
        for path in root.rglob("*"):
            if path.is_file() and path.name != "config.local" and ".git" not in path.parts:
                places[str(path)] = path.read_bytes()
    history = subprocess.run(["git", "log", "-p", "--all"], cwd=repo, capture_output=True)
    places["git history"] = history.stdout
    leaks = [where for where, content in places.items() if TOKEN.encode() in content]
    assert leaks == [], f"the token leaked into {leaks}"
    assert run(["git", "check-ignore", ".dvc/config.local"], repo).returncode == 0
