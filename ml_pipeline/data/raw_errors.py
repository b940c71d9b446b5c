"""The one-line errors of reading a raw data file (empty, truncated, unreadable)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ml_pipeline.core.errors import StageError


@contextmanager
def reading(path: Path, key: str) -> Iterator[None]:
    """Turn pandas' and zlib's reading errors inside the block into one StageError naming `path`
    and `key`, the config key that points at the file."""
    try:
        yield
    except pd.errors.EmptyDataError:
        raise StageError(f"{path}: the file is empty (config key {key})") from None
    except (EOFError, zlib.error) as exc:  # a truncated or damaged .gz
        raise StageError(
            f"{path}: the compressed file is truncated or damaged ({exc}); "
            f"download or copy it again (config key {key})"
        ) from None
    except (ValueError, OSError) as exc:
        raise StageError(f"{path}: cannot be read: {exc} (config key {key})") from None


def check_file(path: Path, key: str, data_dir: str) -> None:
    """A raw file that is not there: one line naming it, its config key and `data.dir`."""
    if not path.is_file():
        raise StageError(f"{path}: file not found (config key {key}, in data.dir={data_dir!r})")
