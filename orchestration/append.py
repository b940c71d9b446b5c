"""The nightly flow's data step (issue 24): append the labelled rows of the batches the monitor
named to the dataset's training file, as a new data version.

The rows are appended as text in the dataset's raw format (a new gzip member for `.gz`), so
the rows already there keep their bytes. `<data.dir>/appended_batches.json` lists the batches
appended so far: a batch is never appended twice. The new version is DVC's when DVC tracks the
file or a folder above it (`dvc add` again: a new `.dvc` hash, pushed with the results), else
Git's (a shipped dataset): either way the files to commit are returned, and `dvc.lock` records
the new md5 as `prepare`'s dependency.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ml_pipeline.core import paths
from ml_pipeline.core.config import DataConfig
from ml_pipeline.core.errors import StageError
from orchestration.stage import pipeline_env

if TYPE_CHECKING:
    import pandas as pd

LEDGER = "appended_batches.json"  # in data.dir
# Issue 24's contract: batches in, the score stage's scored batches out. These move to
# ml_pipeline/core/paths.py with the score and monitor stages (a test there wants every path in
# dvc.yaml).
INCOMING_DIR = paths.INCOMING_DIR  # <dataset>/<batch>.csv|.parquet
SCORED_DIR = paths.SCORED_DIR  # <batch>.parquet


@dataclass(frozen=True)
class Appended:
    """Labelled rows appended per batch, and the repository files that hold the new version."""

    rows: dict[str, int]
    files: tuple[str, ...]


def file_columns(train: Path, data: DataConfig) -> list[str]:
    """The training file's columns in file order (its header line, or `data.read.columns`)."""
    import pandas as pd

    if not data.read.header:
        return list(data.read.columns)
    return list(pd.read_csv(train, sep=data.read.delimiter, nrows=0, skipinitialspace=True))


def batch_rows(repo: Path, data: DataConfig, batch: str, columns: list[str]) -> pd.DataFrame:
    """The labelled rows of one batch as text, in `columns`: from its raw file
    (`data/incoming/<dataset>/<batch>.csv|.parquet`), else from `data/scored/<batch>.parquet`."""
    import pandas as pd

    incoming = repo / INCOMING_DIR / data.name
    raw = [p for p in (incoming / f"{batch}.csv", incoming / f"{batch}.parquet") if p.is_file()]
    scored = repo / SCORED_DIR / f"{batch}.parquet"
    if raw and raw[0].suffix == ".csv":
        frame = _read_batch_csv(raw[0], data)
    elif raw or scored.is_file():
        frame = pd.read_parquet(raw[0] if raw else scored).astype("string")
    else:
        raise StageError(f"batch {batch!r}: neither {incoming}/{batch}.csv nor {scored} exists")
    missing = [c for c in columns if c not in frame.columns and c != data.target]
    if missing:
        raise StageError(f"batch {batch!r}: no column {missing[0]!r} of the training file")
    if data.target not in frame.columns:
        return frame.iloc[0:0].reindex(columns=columns)
    return frame.loc[frame[data.target].notna(), columns]


def _read_batch_csv(path: Path, data: DataConfig) -> pd.DataFrame:
    """A raw batch as text; a headerless one may lack its last column, the target."""
    import pandas as pd

    read = data.read
    header = 0 if read.header else None
    frame = pd.read_csv(
        path,
        sep=read.delimiter,
        header=header,
        na_values=read.na_values or None,
        comment=read.comment,
        skipinitialspace=True,
        dtype="string",
    )
    if not read.header:
        names = [
            c for c in read.columns if c != data.target or len(frame.columns) == len(read.columns)
        ]
        if len(frame.columns) != len(names):
            raise StageError(
                f"{path}: {len(frame.columns)} columns, data.read.columns lists {len(read.columns)}"
            )
        frame.columns = names
    return frame


def append_text(train: Path, rows: pd.DataFrame, data: DataConfig) -> None:
    """Append `rows` to the training file in its own format; its existing bytes stay as they are."""
    missing = data.read.na_values[0] if data.read.na_values else ""
    text = rows.to_csv(sep=data.read.delimiter, header=False, index=False, na_rep=missing)
    opener = gzip.open if train.suffix == ".gz" else open
    with opener(train, "rb") as existing:
        content = existing.read()
    if content and not content.endswith(b"\n"):
        text = "\n" + text
    with opener(train, "ab") as out:
        out.write(text.encode())


def append_batches(repo: Path, data: DataConfig, batches: tuple[str, ...]) -> Appended:
    """Append the labelled rows of `batches` not appended before; record them in
    the ledger and the new data version. Nothing is written when a batch cannot be read."""
    import pandas as pd

    train = repo / data.dir / data.train_file
    if train.suffix == ".parquet":
        raise StageError(f"{train}: appending to a Parquet training file is not supported")
    ledger = repo / data.dir / LEDGER
    done = json.loads(ledger.read_text()) if ledger.is_file() else []
    columns = file_columns(train, data)
    todo = [b for b in batches if b not in done]
    frames = {batch: batch_rows(repo, data, batch, columns) for batch in todo}  # all read first
    rows = {batch: len(frame) for batch, frame in frames.items()}
    if not any(rows.values()):
        return Appended(rows, ())
    append_text(train, pd.concat([f for f in frames.values() if len(f)]), data)
    ledger.write_text(json.dumps(done + [b for b in todo if rows[b]], indent=1) + "\n")
    return Appended(rows, tuple(record_version(repo, [train, ledger])))


def _dvc(repo: Path, *args: str) -> None:
    done = subprocess.run(
        ["dvc", *args], cwd=repo, env=pipeline_env(), capture_output=True, text=True
    )
    if done.returncode != 0:
        line = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise StageError(f"dvc {' '.join(args)} failed: {line}")


def record_version(repo: Path, files: list[Path]) -> list[str]:
    """Make the changed `files` a new data version; return the repository files that hold it:
    for a file DVC tracks (itself or a folder above it) its `.dvc` file, after `dvc add` again;
    for any other file (a shipped dataset, in Git) the file itself."""
    held: list[str] = []
    for path in files:
        relative = path.relative_to(repo)
        dvc_file = next(
            (
                t.with_name(f"{t.name}.dvc")
                for t in [relative, *list(relative.parents)[:-1]]
                if (repo / t.with_name(f"{t.name}.dvc")).is_file()
            ),
            None,
        )
        if dvc_file is None:
            held.append(str(relative))
        elif str(dvc_file) not in held:
            _dvc(repo, "add", "--quiet", str(dvc_file)[: -len(".dvc")])
            held.append(str(dvc_file))
    return held
