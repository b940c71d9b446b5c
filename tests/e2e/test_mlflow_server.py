"""The pipeline on the team setup: an MLflow server on PostgreSQL with artifacts in S3.

Each test gets its own PostgreSQL database, moto S3 endpoint and server (`deploy/mlflow-server.sh`
on free loopback ports); the pipeline is pointed at them by the environment alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ml_pipeline.tracking.store import Store, probe
from tests.conftest import run, run_queue
from tests.services import (
    S3_SECRET,
    MlflowServer,
    mlflow_server,
    postgres_database,
    s3_endpoint,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

MODEL = "ml-pipeline-tiny"
TRACKING_PASSWORD = "tracking-password-do-not-leak"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MlflowServer]:
    with (
        s3_endpoint(tmp_path / "moto.log") as s3,
        postgres_database() as backend,
        mlflow_server(backend, s3, "mlflow-artifacts", tmp_path / "server.log") as started,
    ):
        yield started


def team_env(server: MlflowServer) -> dict[str, str]:
    """What a team member exports: the server's URL, S3 and tracking credentials."""
    return server.s3.env() | {
        "MLFLOW_TRACKING_URI": server.url,
        "MLFLOW_TRACKING_USERNAME": "pipeline",
        "MLFLOW_TRACKING_PASSWORD": TRACKING_PASSWORD,
    }


def client(server: MlflowServer) -> Any:
    import mlflow

    return mlflow.MlflowClient(server.url, registry_uri=server.url)


def runs_of(server: MlflowServer, experiment: str = "ml-pipeline") -> list:
    found = client(server).get_experiment_by_name(experiment)
    return client(server).search_runs([found.experiment_id]) if found else []


def database_text(backend_uri: str) -> str:
    """Every row of every table of the MLflow database, as text."""
    import psycopg2

    dsn = backend_uri.replace("postgresql+psycopg2://", "postgresql://", 1)
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [name for (name,) in cursor.fetchall()]
        rows = []
        for table in tables:
            cursor.execute(f"SELECT coalesce(string_agg(t::text, chr(10)), '') FROM \"{table}\" t")
            rows.append(cursor.fetchone()[0])
    connection.close()
    return "\n".join(rows)


def test_pipeline_on_the_server_tracks_registers_and_serves_without_leaking_secrets(
    tiny_repo: Path, server: MlflowServer, migrated_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(["dvc", "repro"], tiny_repo, env=team_env(server))
    assert "register: champion" in result.stdout
    # Nothing went to the embedded store: still the empty one the copy was seeded with.
    assert (tiny_repo / "mlflow.db").read_bytes() == migrated_db.read_bytes()
    assert not (tiny_repo / "mlruns").exists()

    run_id = json.loads((tiny_repo / "models/run.json").read_text())["run_id"]
    runs = runs_of(server)
    assert [r.info.run_id for r in runs] == [run_id]
    assert runs[0].info.status == "FINISHED"
    metrics = json.loads((tiny_repo / "metrics.json").read_text())
    assert {k: runs[0].data.metrics[k] for k in metrics} == metrics
    keys = server.s3.keys(server.bucket)
    assert any(key.endswith("/MLmodel") for key in keys), keys
    assert any(key.endswith("figures/roc.png") for key in keys), keys
    champion = client(server).get_model_version_by_alias(MODEL, "champion")
    assert champion.version == "1" and champion.run_id == run_id

    # Credentials in the URL do not stop the health probe (it would raise).
    probe(Store(tiny_repo, server.url.replace("://", f"://pipeline:{TRACKING_PASSWORD}@"), None))

    # The champion loads through the server alone: artifacts are proxied, no S3 keys needed.
    import mlflow.pyfunc

    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    loaded = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    rows = pd.read_parquet(tiny_repo / "data/prepared/test.parquet").drop(columns="income")
    local = mlflow.pyfunc.load_model(str(tiny_repo / "models/model"))
    assert list(loaded.predict(rows)) == list(local.predict(rows))

    # The secrets of the environment are nowhere: store, bucket, logs, repository.
    bucket = server.s3.client()
    places = {
        "PostgreSQL": database_text(server.backend_uri).encode(),
        "pipeline output": (result.stdout + result.stderr).encode(),
        "server log": server.log.read_bytes(),
    }
    for key in keys:
        places[f"s3://{server.bucket}/{key}"] = bucket.get_object(Bucket=server.bucket, Key=key)[
            "Body"
        ].read()
    for path in tiny_repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            places[str(path.relative_to(tiny_repo))] = path.read_bytes()
    for secret in (S3_SECRET, TRACKING_PASSWORD):
        leaks = [where for where, content in places.items() if secret.encode() in content]
        assert leaks == [], f"{secret} leaked into {leaks}"


def test_four_parallel_experiments_on_the_server(tiny_repo: Path, server: MlflowServer) -> None:
    env = team_env(server)  # a password in the URL too: it must reach no queue log
    env["MLFLOW_TRACKING_URI"] = server.url.replace("://", f"://pipeline:{TRACKING_PASSWORD}@")
    quick = ["-S", "data=tiny", "-S", "cv=fast", "-S", "evaluate.importance_repeats=1"]
    run(["dvc", "exp", "run", "--queue", *quick, "-S", "model=linear,hgb,rf"], tiny_repo, env=env)
    weak = ["-S", "model=hgb", "-S", "model.max_iter=1"]
    run(["dvc", "exp", "run", "--queue", *quick, *weak], tiny_repo, env=env)
    run_queue(tiny_repo, tasks=4, env=env)

    runs = runs_of(server)
    assert len(runs) == 4 and runs_of(server, "Default") == []
    assert all(r.info.status == "FINISHED" for r in runs)
    assert len({r.data.tags["dvc.exp_name"] for r in runs}) == 4
    versions = client(server).search_model_versions(f"name='{MODEL}'")
    assert sorted(v.run_id for v in versions) == sorted(r.info.run_id for r in runs)
    best = max(r.data.metrics["roc_auc"] for r in runs)
    champion = client(server).get_model_version_by_alias(MODEL, "champion")
    assert client(server).get_run(champion.run_id).data.metrics["roc_auc"] == best
    leaks = [
        str(path.relative_to(tiny_repo))
        for path in tiny_repo.rglob("*")
        if path.is_file()
        and ".git" not in path.parts
        and TRACKING_PASSWORD.encode() in path.read_bytes()
    ]
    assert leaks == [], f"the tracking password leaked into {leaks}"  # .dvc/tmp/exps/run/*.out


def test_server_down_mid_pipeline_fails_fast_then_completes_without_duplicates(
    tiny_repo: Path, server: MlflowServer
) -> None:
    env = team_env(server)
    run(["dvc", "repro", "train"], tiny_repo, env=env)
    server.stop()

    # Failing in seconds is the probe's timeout (test_store.py), measured without start-up.
    down = run(["dvc", "repro"], tiny_repo, env=env, check=False)
    assert down.returncode != 0
    errors = [line for line in down.stderr.splitlines() if "register: error" in line]
    assert len(errors) == 1 and f"{server.url} is unreachable" in errors[0], down.stderr
    assert (tiny_repo / "metrics.json").exists()  # evaluate does not need the server
    assert not (tiny_repo / "reports/registration.json").exists()

    server.start()
    result = run(["dvc", "repro"], tiny_repo, env=env)
    assert "Running stage 'train'" not in result.stdout
    assert "Running stage 'evaluate'" not in result.stdout
    assert "register: champion" in result.stdout
    runs = runs_of(server)
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    metrics = json.loads((tiny_repo / "metrics.json").read_text())
    assert runs[0].data.metrics["accuracy"] == metrics["accuracy"]
    versions = client(server).search_model_versions(f"name='{MODEL}'")
    assert [v.version for v in versions] == ["1"]
