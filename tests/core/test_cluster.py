"""Dask clients (ml_pipeline/core/cluster.py): workers that cannot import the project stop the
stage in one line within seconds, instead of Dask retrying the task forever (issue 23, 18)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ml_pipeline.core.cluster import DASK_ENV, WorkerLost, address_and_key, connect, watched
from ml_pipeline.core.errors import StageError
from tests.services import ROOT, dask_scheduler_with_worker


def test_a_worker_that_cannot_import_the_project_fails_in_one_line(tmp_path: Path) -> None:
    # outside the repository, no PYTHONPATH: `.venv/bin/dask worker` as the old recipe ran it
    with dask_scheduler_with_worker(tmp_path, None) as address:
        started = time.monotonic()
        with pytest.raises(StageError) as caught, connect(address, "compute.address"):
            pass
        seconds = time.monotonic() - started
    message = str(caught.value)
    assert message.startswith(f"compute.address {address}: 1 of 1 Dask workers cannot import")
    assert "no module 'ml_pipeline'" in message and "make dask-worker" in message
    assert "\n" not in message and seconds < 30


def test_a_worker_with_the_repository_on_its_path_runs_project_tasks(tmp_path: Path) -> None:
    from ml_pipeline.core.paths import cost_report  # a project function, light to import

    with (
        dask_scheduler_with_worker(tmp_path, str(ROOT)) as address,  # as `make dask-worker`
        connect(address, "compute.address") as client,
    ):
        done = client.submit(cost_report, "train").result(timeout=30)
    assert done == Path("reports/cost/train.json")


def test_a_scheduler_without_workers_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    monkeypatch.setattr("ml_pipeline.core.cluster.WORKERS_SECONDS", 1)
    no_workers = LocalCluster(
        n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    )
    with (
        no_workers,
        pytest.raises(StageError, match=r"^search.dask_scheduler tcp://.*: no Dask worker"),
        connect(no_workers.scheduler_address, "search.dask_scheduler"),
    ):
        pass


def test_the_config_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DASK_ENV, "tcp://10.0.0.1:8786")
    assert address_and_key(None, "compute.address") == ("tcp://10.0.0.1:8786", DASK_ENV)
    assert address_and_key("tcp://h:1", "compute.address") == ("tcp://h:1", "compute.address")
    monkeypatch.delenv(DASK_ENV)
    assert address_and_key(None, "compute.address") == (None, DASK_ENV)


def test_a_worker_leaving_during_a_watched_fit_fails_it_at_once() -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        client = Client(cluster)
        try:
            assert watched(client, lambda: 42) == 42
            with pytest.raises(ZeroDivisionError):
                watched(client, lambda: 1 / 0)
            leaving = sorted(client.scheduler_info()["workers"])[-1]

            def hung_fit() -> None:  # a peer that waits for the worker that left
                client.retire_workers(workers=[leaving], close_workers=True)
                time.sleep(60)

            started = time.monotonic()
            with pytest.raises(WorkerLost, match=f"worker {leaving} left during the fit"):
                watched(client, hung_fit)
            assert time.monotonic() - started < 15
        finally:
            client.close()
