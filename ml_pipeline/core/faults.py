"""Environment faults met while tracking: recognised, cleaned up, and turned into one line.

A damaged SQLite store and an artifact store that cannot be written (read-only, no permission,
disk or quota full) are not bugs: the user sees one line naming the store and what to do. So is
any error of MLflow or of the HTTP/S3 clients under it that reaches the entry point (a server or
artifact store that stops answering mid-run): core/errors.py prints `store_fault`'s line.
"""

from __future__ import annotations

import errno
import sys
from typing import Any

from ml_pipeline.core.errors import StageError

# EFBIG: a file over the size limit (`ulimit -f`; Python ignores SIGXFSZ, so the write fails).
STORAGE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
# Where MLflow's errors and those of the clients it talks to its stores with are defined.
STORE_MODULES = ("mlflow.", "requests.", "urllib3.", "botocore.", "boto3.")
# Errors (by class name, anywhere in an exception's MRO or its cause chain) of a service that did
# not answer: builtins, requests, urllib3 and botocore all name them so. Such a fault may pass.
UNANSWERED = {
    "ConnectionError",
    "TimeoutError",
    "Timeout",
    "RetryError",
    "MaxRetryError",
    "NewConnectionError",
    "ProtocolError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "EndpointConnectionError",
}


def first_line(exc: BaseException) -> str:
    """An exception's message (MLflow's `message`), first line only; else its type's name."""
    text = str(getattr(exc, "message", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_store_fault(exc: BaseException) -> bool:
    """An error of MLflow, or of the HTTP/S3 clients under it (`requests`, `urllib3`, boto)."""
    return any(kind.__module__.startswith(STORE_MODULES) for kind in type(exc).__mro__)


def is_transient(exc: BaseException) -> bool:
    """A server that did not answer (refused, reset, timed out, 5xx after retries), also when
    MLflow wraps the client's error (`API request ... failed with exception ...`)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(kind.__name__ in UNANSWERED for kind in type(current).__mro__):
            return True
        current = current.__cause__ or current.__context__
    return False


def store_fault(exc: BaseException) -> str:
    """The one line for an MLflow (or HTTP/S3 client) error, naming the tracking store."""
    mlflow = sys.modules.get("mlflow")
    try:
        where = f" {mlflow.get_tracking_uri()}" if mlflow is not None else ""
    except Exception:  # the URI itself may be what is wrong
        where = ""
    return (
        f"MLflow store{where}: {first_line(exc)} ({type(exc).__name__}); check that the store "
        "and its artifact store answer and are writable, then run the stage again"
    )


def database_errors() -> tuple[type[Exception], ...]:
    """sqlalchemy's and sqlite3's DatabaseError: a file that is not (or no longer) a database.

    Imported when an exception is being matched (`except database_errors():`), not before.
    """
    import sqlite3

    from sqlalchemy.exc import DatabaseError

    return (DatabaseError, sqlite3.DatabaseError)


def damaged_store(shown_uri: str, reason: str) -> StageError:
    """The one line for an MLflow store that is not (or no longer) a database."""
    return StageError(
        f"MLflow store {shown_uri} is damaged ({reason}); restore it from a backup, "
        "or move it away to start an empty one"
    )


def is_storage_error(exc: BaseException) -> bool:
    """A write refused by the file system: permissions, a read-only mount, no space, quota."""
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def discard_unfinished_models(client: Any, experiment_id: str, run_id: str) -> list[str]:
    """Delete the run's logged models that never became READY (an upload that failed), and
    the files their upload left in the artifact store (MLflow's delete keeps them)."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    found = client.search_logged_models(
        [experiment_id], filter_string=f"source_run_id = '{run_id}'"
    )
    unfinished = [model for model in found if str(model.status) != "READY"]
    for model in unfinished:
        client.delete_logged_model(model.model_id)
        get_artifact_repository(model.artifact_location).delete_artifacts()
    return [model.model_id for model in unfinished]


def storage_failure(
    exc: OSError, run_id: str, discarded: list[str], left: str, store: str
) -> StageError:
    """The one line for a refused write while run `run_id` was active (it ends FAILED), naming
    the artifact store `store`: the file MLflow copied from is a temporary one."""
    cleanup = f"; unfinished logged model(s) {', '.join(discarded)} deleted" if discarded else ""
    return StageError(
        f"artifact store {store}: {exc.strerror or exc} while logging MLflow run {run_id} "
        f"(marked FAILED{cleanup}{left}); free space or make the store writable, then run the "
        "stage again"
    )
