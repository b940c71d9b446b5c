"""MLflow run sessions for the stages: connect, start or resume a run, log, time the calls.

Where the store is comes from ml_pipeline/tracking/store.py; the `env`/`ui`/`serve` commands are in
commands/mlflow_cli.py, out of the training path.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml_pipeline.core.errors import StageError, Unavailable
from ml_pipeline.core.faults import (
    damaged_store,
    database_errors,
    discard_unfinished_models,
    first_line,
    is_storage_error,
    is_transient,
    storage_failure,
)
from ml_pipeline.tracking.orphans import process_tags, reconcile, summary
from ml_pipeline.tracking.store import Store, reachable_store, store_lock


@dataclass
class Timer:
    """Wall time spent in MLflow calls, by label, for the stage's summary line."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] += time.perf_counter() - started

    def summary(self) -> str:
        shown = ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items())
        return f"mlflow: {shown} (total {sum(self.seconds.values()):.2f} s)"


@dataclass(frozen=True)
class Tracking:
    """A connected client, its store and the experiment's id."""

    client: Any  # mlflow.MlflowClient
    store: Store
    experiment_id: str
    timer: Timer


def connect(experiment: str, timer: Timer | None = None) -> Tracking:
    """Point MLflow at the store, initialise it and get or create the experiment, race-free.

    Two processes starting at once would race on the SQLite migrations and on creating the
    experiment (the loser's run lands in "Default"): both happen under one file lock.
    """
    timer = timer or Timer()
    store = reachable_store()
    with timer("import"):
        import mlflow
        from mlflow.exceptions import MlflowException
    with timer("connect"):
        mlflow.set_tracking_uri(store.tracking_uri)
        if os.environ.get("MLFLOW_REGISTRY_URI"):
            mlflow.set_registry_uri(os.environ["MLFLOW_REGISTRY_URI"])
        try:
            with store_lock(store):
                client = mlflow.MlflowClient(store.tracking_uri)
                found = client.get_experiment_by_name(experiment)
                if found is None:
                    try:
                        experiment_id = client.create_experiment(
                            experiment, artifact_location=store.artifact_location
                        )
                    except MlflowException as exc:  # created meanwhile by another machine
                        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                            raise
                        again = client.get_experiment_by_name(experiment)
                        if again is None:
                            raise
                        experiment_id = again.experiment_id
                elif found.lifecycle_stage == "deleted":
                    raise StageError(
                        f"tracking.experiment {experiment!r} is deleted in {store.shown_uri}; "
                        "restore it (mlflow experiments restore) or choose another name"
                    )
                else:
                    experiment_id = found.experiment_id
            killed = reconcile(client, experiment_id, store.root)  # runs of killed processes
        except MlflowException as exc:
            kind = Unavailable if is_transient(exc) else StageError
            raise kind(f"MLflow store {store.shown_uri}: {first_line(exc)}") from None
        except database_errors() as exc:
            raise damaged_store(store.shown_uri, first_line(exc)) from None
    if killed:
        print(summary(killed))
    return Tracking(client, store, experiment_id, timer)


def reconcile_store(store: Store, client: Any = None) -> list[str]:
    """What `connect` does for runs of killed processes, for the commands that open the store
    without it (`predict`, `reproduce`, `mlflow ui`/`serve`): when `dvc repro` restored every
    stage from its run cache, no stage connects, and a run left RUNNING would stay so. Every
    experiment of the store; the line goes to stderr. Returns the ids marked KILLED; none from a
    SQLite store that does not exist yet (it is not created)."""
    sqlite = store.tracking_uri.removeprefix("sqlite:///")
    if sqlite != store.tracking_uri and not Path(sqlite).is_file():
        return []
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        client = client or mlflow.MlflowClient(store.tracking_uri)
        experiments = client.search_experiments()
        killed = [
            run_id
            for experiment in experiments
            for run_id in reconcile(client, experiment.experiment_id, store.root)
        ]
    except MlflowException as exc:
        raise StageError(f"MLflow store {store.shown_uri}: {first_line(exc)}") from None
    except database_errors() as exc:
        raise damaged_store(store.shown_uri, first_line(exc)) from None
    if killed:
        print(summary(killed), file=sys.stderr)
    return killed


@contextmanager
def active_run(
    tracking: Tracking,
    run_id: str | None = None,
    system_metrics: float | None = None,
    **tags: str,
) -> Iterator[Any]:
    """Start a run (or resume `run_id`); it ends FAILED if the block raises or is terminated.

    `system_metrics`: sample CPU, memory, disk and network every that many seconds into the
    run's `system/*` metrics (MLflow's monitor thread; tracking.system_metrics_seconds).
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    with tracking.timer("start"):
        if run_id is not None:
            try:
                run = tracking.client.get_run(run_id)
            except MlflowException as exc:
                if is_transient(exc):  # the server is down, not the run gone: retryable
                    raise
                where = tracking.store.shown_uri
                raise StageError(
                    f"MLflow run {run_id} (models/run.json) is not in {where}; "
                    "re-run training: dvc repro -f train"
                ) from None
            if run.info.experiment_id != tracking.experiment_id:
                raise StageError(
                    f"MLflow run {run_id} (models/run.json) is not in experiment "
                    f"{tracking.experiment_id} (tracking.experiment); dvc repro -f train"
                )
        # Who holds the run (tracking/orphans.py), recorded before it is RUNNING: a resumed run
        # still naming its last, finished holder would look orphaned to a parallel stage.
        owner = process_tags(tracking.store.root)
        if run_id is not None:
            log_batch(tracking, run_id, tags=owner)
        if system_metrics is not None:  # read when the monitor starts, with the run
            mlflow.set_system_metrics_sampling_interval(system_metrics)
            logging.getLogger(mlflow.system_metrics.__name__).setLevel(logging.WARNING)  # no INFO
        run = mlflow.start_run(
            log_system_metrics=system_metrics is not None,
            run_id=run_id,
            experiment_id=None if run_id else tracking.experiment_id,
            run_name=None if run_id else os.environ.get("DVC_EXP_NAME") or None,
            tags=(tags or None) if run_id else {**tags, **owner},
        )
    previous = signal.signal(signal.SIGTERM, _terminate)
    status = "FAILED"
    try:
        yield run
        status = "FINISHED"
    except OSError as exc:
        if not is_storage_error(exc):
            raise
        raise _storage_failure(tracking, run.info, exc) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        with tracking.timer("end"):
            mlflow.end_run(status=status)


def log_batch(
    tracking: Tracking,
    run_id: str,
    params: dict[str, str] | None = None,
    metrics: dict[str, float] | None = None,
    steps: list[tuple[str, float, int]] | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """Params, metrics (also per step) and tags in as few requests as MLflow allows."""
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    metric_rows = [Metric(k, float(v), now, 0) for k, v in (metrics or {}).items()]
    metric_rows += [Metric(k, float(v), now, step) for k, v, step in steps or []]
    param_rows = [Param(k, v) for k, v in (params or {}).items()]
    tag_rows = [RunTag(k, v) for k, v in (tags or {}).items()]
    while metric_rows or param_rows or tag_rows:  # MLflow's per-request limits: 1000 / 100 / 100
        tracking.client.log_batch(
            run_id, metrics=metric_rows[:1000], params=param_rows[:100], tags=tag_rows[:100]
        )
        metric_rows, param_rows, tag_rows = metric_rows[1000:], param_rows[100:], tag_rows[100:]


SCHEMA_ROWS = 10_000  # rows a logged dataset's schema is inferred from (log_dataset)


def log_dataset(path: Path, frame: Any, target: str, context: str) -> Any:
    """Log a prepared split (`frame`, as read from `path`) as a run input; its digest is the md5
    DVC records for the file."""
    import mlflow
    from mlflow.types import ColSpec, Schema
    from mlflow.types.utils import _infer_schema

    from ml_pipeline.tracking.lineage import file_md5

    with warnings.catch_warnings():  # a relative path "can be interpreted in multiple ways"
        warnings.filterwarnings("ignore", message=".*interpreted in multiple ways.*")
        dataset = mlflow.data.from_pandas(  # type: ignore[attr-defined]
            frame, source=str(path), name=path.stem, digest=file_md5(path), targets=target
        )
    # Types from the first rows (each prepared column has one dtype), nulls from all of them:
    # MLflow's inference looks at every value, ~23 s of CPU on 1,000,000 rows.
    nullable = set(frame.columns[frame.isna().any()])
    columns = [c for c in _infer_schema(frame.head(SCHEMA_ROWS)).inputs if isinstance(c, ColSpec)]
    schema = Schema([ColSpec(c.type, c.name, required=c.name not in nullable) for c in columns])
    dataset.__dict__["schema"] = schema  # a cached property: set before it is first read
    mlflow.log_input(dataset, context=context)
    return dataset


def log_files(files: list[Path], artifact_path: str | None = None) -> None:
    """Log the files that exist (a missing optional report is skipped)."""
    import mlflow

    for path in files:
        if path.is_file():
            mlflow.log_artifact(str(path), artifact_path)
        elif path.is_dir():
            mlflow.log_artifacts(str(path), artifact_path or path.name)


def _storage_failure(tracking: Tracking, info: Any, exc: OSError) -> StageError:
    """Delete the run's half-uploaded models (or say they are left) and make the one line."""
    from mlflow.exceptions import MlflowException

    store_errors: tuple[type[Exception], ...] = (
        MlflowException,
        OSError,
        NotImplementedError,
        *database_errors(),
    )  # a store may not delete artifacts
    run_id = info.run_id
    try:
        discarded = discard_unfinished_models(tracking.client, tracking.experiment_id, run_id)
        left = ""
    except store_errors as cleanup:  # the store itself may be the one that is full
        discarded, left = [], f"; unfinished logged models not cleaned up: {first_line(cleanup)}"
    return storage_failure(exc, run_id, discarded, left, info.artifact_uri)


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)
