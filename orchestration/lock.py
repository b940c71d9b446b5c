"""One orchestrated run at a time per repository: an exclusive lock on a file in .dvc/tmp/.

DVC itself refuses two `repro`s in one workspace; the lock makes a second run wait (up to a
timeout) and then stop cleanly before touching anything, instead of failing half-way.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = Path(".dvc/tmp/orchestrate.lock")


class RepositoryBusy(Exception):
    """Another orchestrated run holds the repository's lock."""


@contextmanager
def pipeline_lock(repo: Path, timeout: float = 0.0, poll: float = 1.0) -> Iterator[None]:
    """Hold the repository's lock; wait up to `timeout` seconds, then raise RepositoryBusy."""
    path = repo / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 100, 0).decode(errors="replace").strip() or "?"
                    raise RepositoryBusy(
                        f"another pipeline run (pid {holder}) holds {path}; waited {timeout:g} s "
                        "(orchestrate.lock_timeout_seconds)"
                    ) from None
                time.sleep(min(poll, max(deadline - time.monotonic(), 0.01)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
