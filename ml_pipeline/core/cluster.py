"""Dask clients: the one way the search's fits and `compute: dask` reach a cluster.

Before any task is sent, the workers must answer and be able to import the project: a worker
started outside the repository (no PYTHONPATH) cannot unpickle the project's functions, and
Dask then retries the task forever with no message; here it is one line within seconds.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ml_pipeline.core.compute_config import ComputeConfig
from ml_pipeline.core.errors import StageError

T = TypeVar("T")
DASK_ENV = "DASK_SCHEDULER_ADDRESS"
PROJECT_MODULE = "ml_pipeline"  # what a worker unpickles the project's tasks from
CONNECT_SECONDS = 10
WORKERS_SECONDS = 30  # how long a scheduler with no worker yet is waited for
NO_WORKERS_SECONDS = 60  # how long a LocalCluster's task waits once every worker is gone
WATCH_SECONDS = 1.0  # how often `watched` asks the scheduler which workers are there


def address_and_key(configured: str | None, key: str) -> tuple[str | None, str]:
    """The scheduler to use and the setting it came from: the config key, else $DASK_ENV."""
    if configured:
        return configured, key
    return os.environ.get(DASK_ENV) or None, DASK_ENV


@contextmanager
def connect(address: str, key: str) -> Iterator[Any]:
    """A `distributed.Client` on the scheduler at `address` whose workers can run our tasks."""
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError) as exc:
        raise StageError(f"{key}: no Dask scheduler answers at {address} ({exc})") from None
    try:
        check_workers(client, f"{key} {address}")
        yield client
    finally:
        client.close()


@contextmanager
def local_cluster(compute: ComputeConfig) -> Iterator[Any]:
    """A Client on a LocalCluster of this machine (worker processes), closed after the block.
    Its scheduler fails a task that no worker can run for NO_WORKERS_SECONDS (every worker
    killed, e.g. over its memory limit, and none restarted) instead of waiting forever."""
    import dask
    from distributed import Client, LocalCluster

    with (
        dask.config.set({"distributed.scheduler.no-workers-timeout": f"{NO_WORKERS_SECONDS}s"}),
        LocalCluster(
            n_workers=compute.n_workers,
            threads_per_worker=compute.threads_per_worker,
            memory_limit=compute.memory_limit,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",  # a free port, not 8787 (maybe `make dask-cluster`'s)
            silence_logs=logging.ERROR,  # not its shuffle and shutdown warnings on every run
        ) as cluster,
        Client(cluster) as client,
    ):
        check_workers(client, "compute (LocalCluster)")
        yield client


@contextmanager
def compute_client(compute: ComputeConfig) -> Iterator[Any]:
    """The client `compute: dask` trains on: compute.address / $DASK_ENV, else a LocalCluster."""
    address, key = address_and_key(compute.address, "compute.address")
    if address:
        with connect(address, key) as client:
            yield client
    else:
        with local_cluster(compute) as client:
            yield client


@contextmanager
def dask_failure(what: str) -> Iterator[None]:
    """`what` (e.g. "the Dask fit") broken by a lost worker or connection: one line, no
    traceback (the stage then saves nothing, so nothing is registered)."""
    try:
        yield
    except StageError:
        raise
    except Exception as exc:  # a killed worker surfaces as one of several library errors
        problem = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise StageError(
            f"compute: {what} failed ({problem}); a worker died or lost its connection: "
            "nothing was saved or registered; re-run `dvc repro`"
        ) from None


class WorkerLost(RuntimeError):
    """A worker left the cluster while a fit that needs every worker was running."""


def watched(client: Any, action: Callable[[], T]) -> T:
    """`action()` (a blocking distributed fit), failing with WorkerLost as soon as a worker that
    was there when it started leaves: LightGBM's workers form a fixed network, and a peer that
    dies before it connects leaves the others waiting up to LightGBM's `time_out` (120 min)."""
    before = set(client.scheduler_info()["workers"])
    outcome: dict[str, Any] = {}

    def act() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=act, daemon=True)  # a hung fit dies with the process
    thread.start()
    while thread.is_alive():
        thread.join(WATCH_SECONDS)
        gone = before - set(client.scheduler_info()["workers"])
        if gone and thread.is_alive():
            raise WorkerLost(f"worker {sorted(gone)[0]} left during the fit")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def check_workers(client: Any, where: str) -> int:
    """The number of workers; StageError when there is none or one cannot import the project."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except TimeoutError:
        raise StageError(
            f"{where}: no Dask worker joined in {WORKERS_SECONDS} s; start workers "
            "(`make dask-cluster`, or `make dask-worker SCHEDULER=<address>`)"
        ) from None
    found = client.run(importlib.util.find_spec, PROJECT_MODULE)
    missing = sorted(worker for worker, spec in found.items() if spec is None)
    if missing:
        raise StageError(
            f"{where}: {len(missing)} of {len(found)} Dask workers cannot import the project "
            f"(no module {PROJECT_MODULE!r} on {missing[0]}); start each worker with the "
            "repository on PYTHONPATH (`make dask-worker SCHEDULER=<address>` does)"
        )
    return len(found)
