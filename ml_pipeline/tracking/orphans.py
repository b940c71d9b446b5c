"""Runs left RUNNING by a process that was killed (`kill -9`, OOM, power loss): marked KILLED.

Every run records the process that holds it (tags `process.pid`, `process.host`,
`process.root`). The next stage to connect marks the RUNNING runs of this repository, on this
host, whose process is gone, as KILLED with a tag saying why; so do the commands that open the
store without connecting (`predict`, `reproduce`, `mlflow ui`/`serve`:
`session.reconcile_store`). Runs of other hosts or repositories, and runs without these tags,
are never touched."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

PID, HOST, ROOT = "process.pid", "process.host", "process.root"
REASON = "process.killed_reason"


def process_tags(root: Path) -> dict[str, str]:
    """The tags naming the process that holds a run."""
    return {PID: str(os.getpid()), HOST: socket.gethostname(), ROOT: str(root)}


def alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def reconcile(client: Any, experiment_id: str, root: Path) -> list[str]:
    """Mark this repository's RUNNING runs whose process is gone KILLED; return their ids."""
    host = socket.gethostname()
    running = client.search_runs(
        [experiment_id],
        filter_string=(
            f"attributes.status = 'RUNNING' and tags.`{HOST}` = '{host}' "
            f"and tags.`{ROOT}` = '{root}'"
        ),
    )
    killed = []
    for run in running:
        pid = run.data.tags.get(PID, "")
        if not pid.isdigit() or alive(int(pid)):
            continue
        client.set_tag(run.info.run_id, REASON, f"process {pid} on {host} ended without ending it")
        client.set_terminated(run.info.run_id, status="KILLED")
        killed.append(run.info.run_id)
    return killed


def summary(killed: list[str]) -> str:
    """The one line a stage prints when it reconciled runs."""
    return (
        f"tracking: marked {len(killed)} run(s) KILLED, left RUNNING by a process that is gone "
        f"(tag {REASON}): {', '.join(killed)}"
    )
