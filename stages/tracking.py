"""The one place that configures MLflow: where the store is, the experiment, runs, timings.

Embedded default: `sqlite:///<root>/mlflow.db` with artifacts in `<root>/mlruns`, where <root> is
the main repository, also when DVC runs an experiment in a copy under `<root>/.dvc/tmp/exps/`.
`MLFLOW_TRACKING_URI` (and `MLFLOW_REGISTRY_URI`) switch to a server.

python -m stages.tracking env     print `export MLFLOW_TRACKING_URI=...` for a shell
python -m stages.tracking serve   serve `models:/<registered_model>@champion` on 127.0.0.1
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stages.errors import StageError

EXPS_MARKER = "/.dvc/tmp/exps/"
# Fail within seconds when a tracking server is down, instead of MLflow's minutes of retries.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
PROBE_SECONDS = 3.0
LOCAL_UI = "http://127.0.0.1:5000"


def main_root(cwd: Path | None = None) -> Path:
    """The main repository root, also from a DVC experiment copy under `.dvc/tmp/exps/`."""
    here = (cwd or Path.cwd()).resolve()
    text = here.as_posix()
    if EXPS_MARKER in text + "/":
        return Path((text + "/").split(EXPS_MARKER)[0])
    if os.environ.get("DVC_ROOT"):  # DVC sets it to the main repo during a stage
        return Path(os.environ["DVC_ROOT"]).resolve()
    for candidate in [here, *here.parents]:
        if (candidate / ".dvc").is_dir():
            return candidate
    return here


@dataclass(frozen=True)
class Store:
    """Where runs and models go."""

    root: Path
    tracking_uri: str
    artifact_location: str | None  # None: the server decides

    @property
    def is_server(self) -> bool:
        return self.tracking_uri.startswith(("http://", "https://"))

    @property
    def shown_uri(self) -> str:
        """The tracking URI for messages: without a password."""
        return without_password(self.tracking_uri)

    @property
    def lock_path(self) -> Path:
        return self.root / ".dvc" / "tmp" / "mlflow.lock"


def without_password(uri: str) -> str:
    """`scheme://user:secret@host` → `scheme://user:***@host`; other URIs unchanged."""
    parts = urllib.parse.urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def without_credentials(uri: str) -> str:
    """`scheme://user:secret@host` → `scheme://host`."""
    parts = urllib.parse.urlsplit(uri)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


def resolve_store(root: Path | None = None) -> Store:
    """The store from MLFLOW_TRACKING_URI, else the embedded SQLite store of the main repo."""
    root = root or main_root()
    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if not uri:
        return Store(root, f"sqlite:///{root / 'mlflow.db'}", (root / "mlruns").as_uri())
    if uri.startswith("sqlite:///"):
        db = Path(uri.removeprefix("sqlite:///"))
        if not db.is_absolute():
            raise StageError(
                f"MLFLOW_TRACKING_URI={uri}: use an absolute path (sqlite:////abs/mlflow.db); "
                "a relative one lands in DVC's temporary experiment copies and is lost"
            )
        return Store(root, uri, (db.parent / "mlruns").as_uri())
    if uri.startswith(("http://", "https://", "databricks")):
        return Store(root, uri, None)
    raise StageError(
        f"MLFLOW_TRACKING_URI={without_password(uri)}: unsupported; use http(s)://host:port (a "
        "tracking server, also for PostgreSQL: see deploy/), sqlite:////abs/path.db, or unset it "
        "for the embedded store"
    )


def configure_env() -> None:
    """Telemetry off and short HTTP retries, unless the user set them."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    for key, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)


def probe(store: Store) -> None:
    """Fail in seconds, with one line, when a tracking server does not answer."""
    if not store.is_server:
        return
    url = without_credentials(store.tracking_uri).rstrip("/") + "/health"  # needs none
    try:
        with urllib.request.urlopen(url, timeout=PROBE_SECONDS) as response:
            if response.status == 200:
                return
            problem = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        problem = f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        problem = str(getattr(exc, "reason", exc))
    raise StageError(
        f"MLflow tracking server {store.shown_uri} is unreachable ({problem}); "
        "start it or fix MLFLOW_TRACKING_URI"
    )


def reachable_store() -> Store:
    """The configured store, with MLflow's environment set and a server checked to answer."""
    configure_env()
    store = resolve_store()
    probe(store)
    return store


@contextmanager
def store_lock(store: Store) -> Iterator[None]:
    """An exclusive lock shared by every process of this machine using the store."""
    store.lock_path.parent.mkdir(parents=True, exist_ok=True)
    with store.lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
                        experiment_id = client.get_experiment_by_name(experiment).experiment_id
                elif found.lifecycle_stage == "deleted":
                    raise StageError(
                        f"tracking.experiment {experiment!r} is deleted in {store.shown_uri}; "
                        "restore it (mlflow experiments restore) or choose another name"
                    )
                else:
                    experiment_id = found.experiment_id
        except MlflowException as exc:
            raise StageError(f"MLflow store {store.shown_uri}: {_first_line(exc)}") from None
    return Tracking(client, store, experiment_id, timer)


@contextmanager
def active_run(tracking: Tracking, run_id: str | None = None, **tags: str) -> Iterator[Any]:
    """Start a run (or resume `run_id`); it ends FAILED if the block raises or is terminated."""
    import mlflow
    from mlflow.exceptions import MlflowException

    with tracking.timer("start"):
        if run_id is not None:
            try:
                run = tracking.client.get_run(run_id)
            except MlflowException:
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
        run = mlflow.start_run(
            run_id=run_id,
            experiment_id=None if run_id else tracking.experiment_id,
            run_name=None if run_id else os.environ.get("DVC_EXP_NAME") or None,
            tags=tags or None,
        )
    previous = signal.signal(signal.SIGTERM, _terminate)
    status = "FAILED"
    try:
        yield run
        status = "FINISHED"
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


def log_dataset(path: Path, target: str, context: str) -> Any:
    """Log a prepared split as a run input; its digest is the md5 DVC records for the file."""
    import mlflow
    import pandas as pd

    from stages.lineage import file_md5

    frame = pd.read_parquet(path)
    with warnings.catch_warnings():  # a relative path "can be interpreted in multiple ways"
        warnings.filterwarnings("ignore", message=".*interpreted in multiple ways.*")
        dataset = mlflow.data.from_pandas(
            frame, source=str(path), name=path.stem, digest=file_md5(path), targets=target
        )
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


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def champion_uri(registered_model: str) -> str:
    return f"models:/{registered_model}@champion"


def _params() -> Any:
    from stages import paths
    from stages.config import load_params

    return load_params(paths.PARAMS)


def _registered_model_name() -> str:
    return _params().tracking.registered_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MLflow settings of this repository")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="print export lines for the tracking store")
    sub.add_parser(
        "ui", help="browse the store: `mlflow ui` on 127.0.0.1:5000, or the server's URL"
    )
    serve = sub.add_parser("serve", help="serve the champion with `mlflow models serve`")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5001")))
    serve.add_argument("--model-uri", default=None)
    args = parser.parse_args(argv)
    try:
        configure_env()
        store = resolve_store()
        if args.command == "env":
            print(f"export MLFLOW_TRACKING_URI={store.tracking_uri}")
            return 0
        if args.command == "ui":
            from stages.mlflow_view import ui_address

            base = without_credentials(store.tracking_uri) if store.is_server else LOCAL_UI
            page = ui_address(store.tracking_uri, _params().tracking.experiment, base)
            if store.is_server:
                print(f"runs and models are on the tracking server: open {page}")
                return 0
            print(f"open {page}", file=sys.stderr)
            command = ["mlflow", "ui", "--backend-store-uri", store.tracking_uri]
            command += ["-h", "127.0.0.1", "-p", "5000"]
            os.execvp(command[0], command)
        uri = args.model_uri or champion_uri(_registered_model_name())
        command = ["mlflow", "models", "serve", "-m", uri, "--env-manager", "local"]
        command += ["-h", "127.0.0.1", "-p", str(args.port)]
        os.environ["MLFLOW_TRACKING_URI"] = store.tracking_uri
        print(" ".join(command), file=sys.stderr)
        os.execvp(command[0], command)
    except StageError as exc:
        print(f"tracking: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
