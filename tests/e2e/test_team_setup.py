"""Team setup on real services: an S3 DVC remote on moto, and the MLflow server scripts."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run
from tests.services import S3_SECRET, S3Endpoint, free_port, s3_endpoint

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[S3Endpoint]:
    with s3_endpoint(tmp_path / "moto.log") as endpoint:
        yield endpoint


def add_s3_remote(repo: Path, s3: S3Endpoint, bucket: str) -> None:
    s3.client().create_bucket(Bucket=bucket)
    run(["dvc", "remote", "add", "-f", "-d", "s3", f"s3://{bucket}/store"], repo)
    run(["dvc", "remote", "modify", "s3", "endpointurl", s3.url], repo)


@pytest.mark.slow
def test_push_to_s3_then_clone_and_pull(tiny_repo: Path, tmp_path: Path, s3: S3Endpoint) -> None:
    add_s3_remote(tiny_repo, s3, "dvc-remote")
    run(["dvc", "repro"], tiny_repo)
    run(["git", "add", "-A"], tiny_repo)
    run(["git", "commit", "-qm", "results"], tiny_repo)
    run(["dvc", "push"], tiny_repo, env=s3.env())
    assert any(key.startswith("store/files/md5/") for key in s3.keys("dvc-remote"))
    assert S3_SECRET not in (tiny_repo / ".dvc/config").read_text()

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(tiny_repo), str(clone)], tmp_path)
    no_credentials = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    refused = run(["dvc", "pull"], clone, check=False, env=no_credentials)
    assert refused.returncode != 0
    run(["dvc", "pull"], clone, env=s3.env())
    assert "Data and pipelines are up to date" in run(["dvc", "status"], clone).stdout


def test_push_to_an_unreachable_endpoint_fails_clearly_and_keeps_the_cache(
    tiny_repo: Path, s3: S3Endpoint
) -> None:
    add_s3_remote(tiny_repo, s3, "dvc-remote")
    run(
        ["dvc", "remote", "modify", "s3", "endpointurl", f"http://127.0.0.1:{free_port()}"],
        tiny_repo,
    )
    data = tiny_repo / "data/raw/extra"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n1,2\n")
    run(["dvc", "add", "data/raw/extra"], tiny_repo)
    cache_before = sorted(p.name for p in (tiny_repo / ".dvc/cache").rglob("*") if p.is_file())

    result = run(["dvc", "push"], tiny_repo, check=False, env=s3.env(), timeout=120)
    assert result.returncode != 0
    assert "Could not connect to the endpoint URL" in result.stderr
    cache_after = sorted(p.name for p in (tiny_repo / ".dvc/cache").rglob("*") if p.is_file())
    assert cache_after == cache_before and cache_before
    # The local cache still restores the data.
    (data / "rows.csv").unlink()
    run(["dvc", "checkout", "data/raw/extra.dvc"], tiny_repo)
    assert (data / "rows.csv").read_text() == "a,b\n1,2\n"


@pytest.mark.parametrize("missing", ["MLFLOW_BACKEND_STORE_URI", "AWS_ACCESS_KEY_ID"])
def test_server_script_names_the_missing_setting(missing: str) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "MLFLOW_BACKEND_STORE_URI": "postgresql+psycopg2://u@127.0.0.1:5432/db",
        "MLFLOW_ARTIFACTS_DESTINATION": "s3://bucket/mlflow",
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "secret",
    }
    del env[missing]
    result = subprocess.run(
        ["bash", str(ROOT / "deploy/mlflow-server.sh")], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert missing in result.stderr


def test_healthcheck_reports_a_server_that_is_not_there() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(
        ["bash", str(ROOT / "deploy/healthcheck.sh"), url], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"{url} is not answering" in result.stderr
