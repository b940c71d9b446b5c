"""Dask clients (ml_pipeline/core/cluster.py): workers that cannot import the project stop the
stage in one line within seconds, instead of Dask retrying the task forever (issue 23, 18)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_pipeline.core.cluster import DASK_ENV, address_and_key, connect
from ml_pipeline.core.errors import StageError
from tests.conftest import BIN, ROOT


@pytest.fixture
def scheduler() -> Iterator[str]:
    """A real scheduler (no workers of its own) on a TCP port of this machine."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def start_worker(address: str, cwd: Path, pythonpath: str | None) -> subprocess.Popen:
    """`dask worker <address>` as the docs' recipe starts it, from `cwd`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard"]
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_a_worker_that_cannot_import_the_project_fails_in_one_line(
    scheduler: str, tmp_path: Path
) -> None:
    worker = start_worker(scheduler, tmp_path, None)  # outside the repository, no PYTHONPATH
    try:
        started = time.monotonic()
        with pytest.raises(StageError) as caught, connect(scheduler, "compute.address"):
            pass
        seconds = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(30)
    message = str(caught.value)
    assert message.startswith(f"compute.address {scheduler}: 1 of 1 Dask workers cannot import")
    assert "no module 'ml_pipeline'" in message and "make dask-worker" in message
    assert "\n" not in message and seconds < 30


def test_a_worker_with_the_repository_on_its_path_runs_project_tasks(
    scheduler: str, tmp_path: Path
) -> None:
    from ml_pipeline.modeling.cv import sign_of

    worker = start_worker(scheduler, tmp_path, str(ROOT))  # as `make dask-worker` starts it
    try:
        with connect(scheduler, "compute.address") as client:
            assert client.submit(sign_of, "neg_rmse").result(timeout=30) == -1.0
    finally:
        worker.terminate()
        worker.wait(30)


def test_a_scheduler_without_workers_says_so(
    scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ml_pipeline.core.cluster.WORKERS_SECONDS", 1)
    with pytest.raises(StageError, match=r"^search.dask_scheduler tcp://.*: no Dask worker joined"):
        with connect(scheduler, "search.dask_scheduler"):
            pass


def test_the_config_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DASK_ENV, "tcp://10.0.0.1:8786")
    assert address_and_key(None, "compute.address") == ("tcp://10.0.0.1:8786", DASK_ENV)
    assert address_and_key("tcp://h:1", "compute.address") == ("tcp://h:1", "compute.address")
    monkeypatch.delenv(DASK_ENV)
    assert address_and_key(None, "compute.address") == (None, DASK_ENV)
