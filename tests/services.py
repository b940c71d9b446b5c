"""Real services for integration tests: a moto S3 endpoint, a PostgreSQL database and an
MLflow tracking server on them, each on a free loopback port, started and stopped by the test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Test-only credentials for the moto endpoint; real ones come from the environment.
S3_KEY, S3_SECRET = "test-access-key", "test-secret-key-do-not-leak"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    """Poll `url` until it answers 200; fail with the process's output if it dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a server and every process it started (it runs in its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@contextmanager
def served(
    command: list[str],
    health: str,
    log: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    seconds: float = 120,
) -> Iterator[subprocess.Popen]:
    """Start a server (its output to `log`, its own process group), wait until `health`
    answers 200, and stop it and its children on exit."""
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(health, seconds, process)
        yield process
    finally:
        stop(process)


@dataclass(frozen=True)
class S3Endpoint:
    url: str
    process: subprocess.Popen

    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self):  # noqa: ANN201 - a boto3 S3 client
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
        )

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


@contextmanager
def s3_endpoint(log: Path) -> Iterator[S3Endpoint]:
    """moto's S3 server on a free loopback port."""
    port = free_port()
    command = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    with served(command, f"http://127.0.0.1:{port}/moto-api/", log, seconds=60) as process:
        yield S3Endpoint(f"http://127.0.0.1:{port}", process)


def postgres_dsn() -> str:
    """Where PostgreSQL is: $TEST_POSTGRES_DSN, default the local server with trust auth."""
    return os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database for one test; yields its SQLAlchemy URI (psycopg2 driver)."""
    psycopg2 = pytest.importorskip("psycopg2")
    dsn = postgres_dsn()
    try:
        admin = psycopg2.connect(dsn, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(
            f"PostgreSQL not reachable at {dsn} ({str(exc).strip()}); "
            "set TEST_POSTGRES_DSN=postgresql://USER@HOST:PORT/DB to run this test"
        )
    admin.autocommit = True
    name = f"mlflow_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@dataclass
class MlflowServer:
    """`deploy/mlflow-server.sh` on a fixed loopback port: PostgreSQL backend, S3 artifacts."""

    backend_uri: str
    s3: S3Endpoint
    bucket: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = os.environ | self.s3.env()
        env |= {
            "MLFLOW_BACKEND_STORE_URI": self.backend_uri,
            "MLFLOW_ARTIFACTS_DESTINATION": f"s3://{self.bucket}/mlflow",
            "MLFLOW_S3_ENDPOINT_URL": self.s3.url,
            "MLFLOW_PORT": str(self.port),
            "MLFLOW_WORKERS": "1",
            "MLFLOW_BIN": str(BIN / "mlflow"),
        }
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                ["bash", str(ROOT / "deploy/mlflow-server.sh")],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(f"{self.url}/health", 120, self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@contextmanager
def mlflow_server(
    backend_uri: str, s3: S3Endpoint, bucket: str, log: Path
) -> Iterator[MlflowServer]:
    """A started `MlflowServer` with its bucket created; stopped on exit."""
    s3.client().create_bucket(Bucket=bucket)
    server = MlflowServer(backend_uri, s3, bucket, log)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextmanager
def dask_scheduler_with_worker(cwd: Path, pythonpath: str | None) -> Iterator[str]:
    """A real Dask scheduler (in this process) and one `dask worker` process started from `cwd`
    as the docs' recipe starts it, with `pythonpath` (None: no PYTHONPATH); yields the address."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"PYTHONPATH": pythonpath} if pythonpath else {}
    command = [str(BIN / "dask"), "worker", cluster.scheduler_address, "--nthreads", "1"]
    worker = subprocess.Popen(
        [*command, "--no-dashboard"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield cluster.scheduler_address
    finally:
        worker.terminate()
        worker.wait(30)
        cluster.close()
