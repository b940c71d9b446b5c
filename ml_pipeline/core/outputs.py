"""Write a stage's outputs all together or not at all."""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ml_pipeline.core.errors import StageError
from ml_pipeline.core.faults import is_storage_error

Writer = Callable[[Path], object]


def publish(
    writers: dict[Path, Writer], before_moving: Callable[[dict[Path, Path]], None] | None = None
) -> None:
    """Call each writer on a temporary sibling of its path, then move every result into place.

    `before_moving` gets {path: temporary} once all are written (e.g. to log them to MLflow).
    If a writer or `before_moving` fails, nothing is moved and the temporaries are removed, so
    a failed stage leaves no half-written output. Works for files and directories.
    """
    staged: dict[Path, Path] = {}
    try:
        for path, write in writers.items():
            with _writing(path):
                path.parent.mkdir(parents=True, exist_ok=True)
                staged[path] = path.with_name(f".{path.name}.tmp")
                _remove(staged[path])
                write(staged[path])
        if before_moving is not None:
            before_moving(staged)
        for path, tmp in staged.items():
            with _writing(path):
                _remove(path)
                os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            _remove(tmp)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A write the file system refuses (permissions, read-only, full, not a folder) is one line."""
    try:
        yield
    except OSError as exc:
        not_a_folder = exc.errno in (errno.EEXIST, errno.ENOTDIR)
        if not (is_storage_error(exc) or not_a_folder):
            raise
        where = exc.filename or path
        reason = f"{where} is not a folder" if not_a_folder else f"{exc.strerror}: {where}"
        raise StageError(
            f"{path}: cannot be written ({reason}); make {path.parent} a writable folder with "
            "free space, then run again"
        ) from None


def json_writer(payload: Any) -> Writer:
    """A writer of stable JSON: sorted keys, two-space indent, trailing newline."""
    text = json.dumps(payload, indent=2, sort_keys=True) + "\n"
    return lambda path: path.write_text(text)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
