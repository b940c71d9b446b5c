"""`score` on `compute: dask`: a Parquet batch is typed, checked against the champion's contract
and scored partition by partition on the workers (one partition per row group, read there), with
the chunk function of the local path (batches.py `score_chunk`); this process writes the scored
partitions to the output file in order, holding one partition (the next ones computing) at a
time. A CSV batch is read by the model's own reader in this process and scored as on `local`:
convert it to Parquet to score it on the cluster (docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ml_pipeline.serving.batches import (
    BatchWriter,
    Refused,
    ScoredChunk,
    Version,
    score_batch,
    score_chunk,
)

AHEAD = 4  # partitions computed ahead of the one being written


def partitions(path: Path) -> list[Any]:
    """The batch's row groups as delayed pandas frames, read on the workers (text as `str`)."""
    import dask.dataframe as dd
    import pandas as pd

    try:
        frame = dd.read_parquet(path, split_row_groups=True)
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot be read as Parquet ({str(exc).splitlines()[0]})") from None
    text = {name: "str" for name, kind in frame.dtypes.items() if isinstance(kind, pd.StringDtype)}
    return list(frame.astype(text).to_delayed())


def scored_part(part: Any, champion: Version, challenger: Version | None) -> ScoredChunk | None:
    """`score_chunk` of a partition (None for an empty one, as the local path skips it)."""
    return None if part.empty else score_chunk(part, champion, challenger)


def score_batch_on_dask(
    path: Path, champion: Version, challenger: Version | None, output: Path, client: Any
) -> dict[str, Any]:
    """`batches.score_batch` with the chunks scored on the workers of `client`."""
    import dask

    if not path.name.endswith(".parquet"):
        return score_batch(path, champion, challenger, output)
    models = [
        client.scatter(m, broadcast=True, hash=False) if m else m for m in (champion, challenger)
    ]
    tasks = [dask.delayed(scored_part)(part, *models) for part in partitions(path)]
    writer = BatchWriter(output)
    futures = client.compute(tasks[:AHEAD])
    try:
        for index in range(len(tasks)):
            if index + AHEAD < len(tasks):
                futures.append(client.compute(tasks[index + AHEAD]))
            part = futures[index].result()
            futures[index] = None  # the scheduler may forget it
            if part is not None:
                writer.add(part)
    finally:
        for future in futures:
            if future is not None:
                future.cancel()
        if writer.writer is not None:
            writer.writer.close()
    return writer.report(champion)
