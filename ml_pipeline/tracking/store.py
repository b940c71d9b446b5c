"""Where MLflow's store is, and checks that it can be used: no MLflow import here.

Embedded default: `sqlite:///<root>/mlflow.db` with artifacts in `<root>/mlruns`, where <root> is
the main repository, also when DVC runs an experiment in a copy under `<root>/.dvc/tmp/exps/`.
`MLFLOW_TRACKING_URI` (and `MLFLOW_REGISTRY_URI`) switch to a server.
"""

from __future__ import annotations

import base64
import fcntl
import os
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ml_pipeline.core.errors import StageError, Unavailable, redacted
from ml_pipeline.core.faults import damaged_store

EXPS_MARKER = "/.dvc/tmp/exps/"
# Fail within seconds when a tracking server is down, instead of MLflow's minutes of retries.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
}
PROBE_SECONDS = 3.0
# MLflow's basic-auth app answers `/health` to anyone; this call needs the credentials.
AUTH_CHECK_PATH = "/api/2.0/mlflow/experiments/search?max_results=1"


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
        return redacted(self.tracking_uri)

    @property
    def lock_path(self) -> Path:
        return self.root / ".dvc" / "tmp" / "mlflow.lock"


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
        f"MLFLOW_TRACKING_URI={redacted(uri)}: unsupported; use http(s)://host:port (a "
        "tracking server, also for PostgreSQL: see deploy/), sqlite:////abs/path.db, or unset it "
        "for the embedded store"
    )


def configure_env() -> None:
    """Telemetry off, no run links printed, no uv detection, short HTTP retries (unless the user
    set them).

    MLflow prints `View run ... at: <tracking URI>` with the URI as given, password included, on
    every run start/end against a server, and DVC keeps that output in its queue logs: always off.
    The model's requirements are pinned explicitly (tracking/model_save.py `model_kwargs`):
    MLflow's uv project detection would only log "Detected uv project" and tag the model as using
    uv.
    """
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("MLFLOW_UV_AUTO_DETECT", "false")
    for key, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)


def _auth_headers(uri: str) -> dict[str, str]:
    """The credentials MLflow's client sends (a hosted server guards `/health` too), in its
    order: MLFLOW_TRACKING_USERNAME/PASSWORD (basic), MLFLOW_TRACKING_TOKEN (bearer), else the
    URI's `user:password@`."""
    user, password = (os.environ.get(f"MLFLOW_TRACKING_{k}") for k in ("USERNAME", "PASSWORD"))
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if not (user and password) and not token:
        parts = urllib.parse.urlsplit(uri)
        user, password = (urllib.parse.unquote(v or "") for v in (parts.username, parts.password))
    if user and password:
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {"Authorization": f"Bearer {token}"} if token else {}


def _refused(store: Store, code: int) -> StageError:
    """The one line for credentials a tracking server refused (naming the settings only)."""
    return StageError(
        f"MLflow tracking server {store.shown_uri} refused the credentials (HTTP {code}); set "
        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (for a hosted service: your user "
        "name and its access token)"
    )


def _check_credentials(store: Store) -> None:
    """Refuse in one line credentials that a server whose `/health` is open to anyone (MLflow's
    basic-auth app) refuses on its API; any other answer is left to MLflow's own errors."""
    uri = store.tracking_uri
    request = urllib.request.Request(
        without_credentials(uri).rstrip("/") + AUTH_CHECK_PATH, headers=_auth_headers(uri)
    )
    try:
        urllib.request.urlopen(request, timeout=PROBE_SECONDS).close()
    except urllib.error.HTTPError as exc:
        if exc.code in {401, 403}:
            raise _refused(store, exc.code) from None
    except (OSError, ValueError):
        pass


def probe(store: Store) -> None:
    """Fail in seconds, with one line, when a tracking server does not answer or refuses the
    credentials."""
    if not store.is_server:
        return
    url = without_credentials(store.tracking_uri).rstrip("/") + "/health"
    down = True  # refused, timed out, 5xx: a server down or restarting (transient)
    try:
        request = urllib.request.Request(url, headers=_auth_headers(store.tracking_uri))
        with urllib.request.urlopen(request, timeout=PROBE_SECONDS) as response:
            if response.status == 200:
                _check_credentials(store)
                return
            problem = f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise _refused(store, exc.code) from None
        problem, down = f"HTTP {exc.code}", exc.code >= 500
    except ValueError as exc:  # not a URL at all
        problem, down = str(exc), False
    except OSError as exc:
        problem = str(getattr(exc, "reason", exc))
    kind = Unavailable if down else StageError
    raise kind(
        f"MLflow tracking server {store.shown_uri} is unreachable ({problem}); "
        "start it or fix MLFLOW_TRACKING_URI"
    )


def check_sqlite(store: Store) -> None:
    """Fail at once, naming the file, when an existing SQLite store is not a database.

    MLflow retries opening such a file for many seconds before it gives up.
    """
    if not store.tracking_uri.startswith("sqlite:///"):
        return
    db = Path(store.tracking_uri.removeprefix("sqlite:///"))
    if not db.is_file():
        return
    try:
        with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)) as con:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:  # locked or unreadable: MLflow says what it is
        return
    except sqlite3.DatabaseError as exc:
        raise damaged_store(store.shown_uri, str(exc)) from None


def reachable_store() -> Store:
    """The configured store, with MLflow's environment set, checked to answer (or be a DB)."""
    configure_env()
    store = resolve_store()
    probe(store)
    check_sqlite(store)
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
