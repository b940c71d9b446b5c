"""Score a batch of new rows (stage `score`): read it with the model's own reader, give it the
types `prepare` gives, check it against the model's data contract, score it chunk by chunk.

A batch that breaks the contract raises `Refused` with one line; its output is never written
(the Parquet file is written to a temporary path the caller discards), so nothing is scored half.
A batch larger than memory is read, checked and scored CHUNK_ROWS rows at a time: the contract
is then checked per chunk (a null fraction limit holds in every chunk, a stricter reading).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core.config import (
    DataConfig,
    ExtraColumnsCheck,
    RowCountCheck,
    ValidationConfig,
)
from ml_pipeline.core.errors import StageError
from ml_pipeline.core.scoring_config import Scoring

SUFFIXES = (".csv", ".csv.gz", ".parquet")
CHUNK_ROWS = 100_000


class Refused(Exception):
    """A batch that cannot be scored: the one line says which column and why."""


@dataclass(frozen=True)
class Version:
    """A registered model version, loaded: what `score` pins and scores with."""

    version: str
    run_id: str
    pipeline: Any  # the fitted scikit-learn pipeline
    settings: Scoring


def batch_files(folder: Path) -> dict[str, Path]:
    """The batches of `folder` by name (the file name less its suffix), in name order."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        suffix = next((s for s in SUFFIXES if path.name.endswith(s)), None)
        if suffix is None or not path.is_file():
            continue
        name = path.name.removesuffix(suffix)
        if name in found:
            raise StageError(
                f"{folder}: batch {name!r} is there twice ({found[name].name}, {path.name}); "
                "keep one of them"
            )
        found[name] = path
    return found


def raw_chunks(path: Path, data: DataConfig) -> Iterator[pd.DataFrame]:
    """The batch's rows, CHUNK_ROWS at a time, as the model's reader reads them (text)."""
    rows = CHUNK_ROWS
    from ml_pipeline.data.dataset import read_csv_chunks
    from ml_pipeline.data.headerless import input_names

    try:
        if path.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            for part in pq.ParquetFile(path).iter_batches(batch_size=rows):
                yield part.to_pandas()
            return
        names = None if data.read.header else input_names(path, data, data.features)
        yield from read_csv_chunks(path, data.read, names is None, names, rows)
    except pd.errors.EmptyDataError:
        raise Refused("the file is empty") from None
    except StageError as exc:  # the reader's own line names the file
        raise Refused(str(exc).removeprefix(f"{path}: ")) from None
    except (ValueError, OSError) as exc:  # not a CSV or Parquet pandas reads
        raise Refused(f"cannot be read as CSV/Parquet ({str(exc).splitlines()[0]})") from None


def typed(chunk: pd.DataFrame, data: DataConfig) -> tuple[pd.DataFrame, dict[str, int]]:
    """The model's input columns (and the target, if the batch has it) with the types `prepare`
    gives them; the count per column of values that were no number (read as missing).

    A missing input column is refused; a column of the wrong type (text where numbers belong)
    is all missing values, which the contract's null fraction limit refuses (`null_lines`).
    """
    from ml_pipeline.data.numbers import parse_numeric, to_numbers

    if missing := [column for column in data.features if column not in chunk]:
        needed = ", ".join(data.features)
        raise Refused(
            f"missing column(s) {', '.join(map(repr, missing))} (the model needs: {needed})"
        )
    keep = [*data.features, *([data.target] if data.target in chunk else [])]
    frame = chunk[keep].copy()
    coerced = parse_numeric(frame, data.numeric, data.read)
    for column in [*data.categorical, *data.ordinal]:
        values = frame[column]
        if not pd.api.types.is_string_dtype(values):  # CSV text is already `str` (Parquet: any)
            frame[column] = values.astype("str").where(values.notna(), None)
    if data.target in frame:
        labels = frame[data.target]
        if data.task == "regression":
            frame[data.target] = to_numbers(
                labels.astype("str").where(labels.notna(), None), data.read
            )
        else:
            text = labels.astype("str").where(labels.notna(), None)
            frame[data.target] = text.replace({m.old: m.new for m in data.target_map})
    return frame.reset_index(drop=True), coerced


def batch_contract(validation: ValidationConfig, data: DataConfig) -> ValidationConfig:
    """The training contract's value checks as they apply to one chunk of a batch: its input
    columns and the target's values (labels may be missing: arriving later, or for some rows
    only), any number of rows, other columns allowed (they are not scored). Null fractions are
    checked on the whole batch (`null_lines`), so the chunks give the result the whole would."""
    columns = {}
    for column, spec in validation.columns.items():
        if column == data.target:
            columns[column] = spec.model_copy(update={"required": False, "nulls": None})
        elif column in data.features:
            columns[column] = spec.model_copy(update={"nulls": None})
    return validation.model_copy(
        update={
            "columns": columns,
            "row_count": RowCountCheck(min=1),
            "extra_columns": ExtraColumnsCheck(allow=True),
        }
    )


def sampled_limit(limit: float, rows: int) -> float:
    """A null fraction limit for a sample of `rows` rows: limit + 3·√(limit·(1−limit)/rows)."""
    return min(1.0, limit + 3 * math.sqrt(limit * (1 - limit) / max(rows, 1)))


def null_lines(
    nulls: dict[str, int],
    rows: int,
    validation: ValidationConfig,
    data: DataConfig,
    coerced: dict[str, int],
) -> list[str]:
    """The contract's null fraction limits on a whole batch, a line per column over its limit
    (`error: ...` or `warning: ...` by the check's severity). A limit above 0 is widened by
    three binomial standard errors: a sample of a few rows may hold more nulls by chance; a
    column allowed none still allows none."""
    lines = []
    for column in data.features:
        spec = validation.columns.get(column)
        if spec is None or spec.nulls is None or not nulls.get(column):
            continue
        limit = sampled_limit(spec.nulls.max_fraction, rows)
        if nulls[column] / rows > limit:
            dirt = f" ({coerced[column]} of them no number)" if coerced.get(column) else ""
            lines.append(
                f"{spec.nulls.severity}: column {column!r}: {nulls[column]} of {rows} rows "
                f"null{dirt}, above {limit:.2%} (config key validation.columns.{column}"
                f".nulls.max_fraction: {spec.nulls.max_fraction:g}, widened for {rows} rows)"
            )
    return lines


def check_contract(frame: pd.DataFrame, contract: ValidationConfig) -> list[str]:
    """Refuse a chunk that fails an error-level expectation (the first one's line); return the
    lines of the warning-level ones (GX: the checks `validate` runs)."""
    from ml_pipeline.validation.checks import failure_lines
    from ml_pipeline.validation.expectations import run_suite

    outcomes = run_suite({"batch": frame}, contract)
    lines = [line.removeprefix("error: batch: ") for line in failure_lines(outcomes, limit=1)]
    if any(not o.success and o.severity == "error" for o in outcomes):
        raise Refused(lines[0])
    return [line for line in failure_lines(outcomes) if line.startswith("warning")]


def predictions(version: Version, features: pd.DataFrame, prefix: str = "") -> dict[str, Any]:
    """`prediction` (and for a binary classifier `score`, the positive class's probability)
    from one pass of the model: the class of highest probability is what `predict` gives."""
    pipeline, data = version.pipeline, version.settings.data
    if not hasattr(pipeline, "predict_proba"):
        return {f"{prefix}prediction": np.asarray(pipeline.predict(features), dtype="float64")}
    proba = pipeline.predict_proba(features)
    classes = pipeline.classes_
    out: dict[str, Any] = {f"{prefix}prediction": pd.array(classes[proba.argmax(axis=1)], "str")}
    if len(classes) == 2:
        positive = data.positive_label if data.positive_label in classes else classes[1]
        out[f"{prefix}score"] = proba[:, list(classes).index(positive)]
    return out


@dataclass(frozen=True)
class ScoredChunk:
    """One chunk of a batch, scored: the output rows and what the batch's report adds up."""

    frame: pd.DataFrame
    labelled: int
    coerced: dict[str, int]
    nulls: dict[str, int]
    warnings: list[str]


def score_chunk(chunk: pd.DataFrame, champion: Version, challenger: Version | None) -> ScoredChunk:
    """Type one raw chunk, check it against the champion's contract (`Refused`), score it with
    the champion (and the challenger, `challenger_*`): the same in this process or on a worker."""
    data = champion.settings.data
    frame, dirt = typed(chunk, data)
    warnings = check_contract(frame, batch_contract(champion.settings.validation, data))
    scored = frame.assign(**predictions(champion, frame[data.features]))
    if challenger is not None:
        shadow = frame[challenger.settings.data.features]
        scored = scored.assign(**predictions(challenger, shadow, "challenger_"))
    return ScoredChunk(
        frame=scored,
        labelled=int(frame[data.target].notna().sum()) if data.target in frame else 0,
        coerced=dirt,
        nulls={c: int(frame[c].isna().sum()) for c in data.features},
        warnings=warnings,
    )


class BatchWriter:
    """Scored chunks into one Parquet file, in order; the batch's totals."""

    def __init__(self, output: Path) -> None:
        self.output, self.writer = output, None
        self.rows = self.labelled = 0
        self.coerced: dict[str, int] = {}
        self.nulls: dict[str, int] = {}
        self.warnings: dict[str, None] = {}  # in order, once each

    def add(self, part: ScoredChunk) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(part.frame, preserve_index=False)
        self.writer = self.writer or pq.ParquetWriter(self.output, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))
        self.rows += len(part.frame)
        self.labelled += part.labelled
        self.warnings |= dict.fromkeys(part.warnings)
        for into, add in ((self.coerced, part.coerced), (self.nulls, part.nulls)):
            for column, count in add.items():
                into[column] = into.get(column, 0) + count

    def report(self, champion: Version) -> dict[str, Any]:
        """The batch's totals; `Refused`: no rows, or too many nulls in the whole batch."""
        if not self.rows:
            raise Refused("no rows to score (a header line only?)")
        data, validation = champion.settings.data, champion.settings.validation
        for line in null_lines(self.nulls, self.rows, validation, data, self.coerced):
            if line.startswith("error: "):
                raise Refused(line.removeprefix("error: "))
            self.warnings[line] = None
        return {
            "rows": self.rows,
            "labelled": self.labelled,
            "coerced": self.coerced,
            "warnings": list(self.warnings),
        }


def score_batch(
    path: Path, champion: Version, challenger: Version | None, output: Path
) -> dict[str, Any]:
    """Score the batch at `path` into the Parquet file `output`, chunk by chunk (progress on a
    terminal): its input columns as the model saw them, the target if present, the predictions
    (and the challenger's, `challenger_*`). Return its rows, labelled rows, the values read as
    missing and the contract's warnings; `Refused` (with `output` half written: the caller's
    temporary) for a batch that breaks the contract."""
    from ml_pipeline.core import progress

    writer = BatchWriter(output)
    chunks = raw_chunks(path, champion.settings.data)
    try:
        for chunk in progress.each(chunks, chunk_count(path), f"score: {path.name}"):
            if not chunk.empty:  # empty: a header line only
                writer.add(score_chunk(chunk, champion, challenger))
    finally:
        if writer.writer is not None:
            writer.writer.close()
    return writer.report(champion)


def chunk_count(path: Path) -> int | None:
    """How many chunks a Parquet batch holds (a CSV's: unknown until read)."""
    if not path.name.endswith(".parquet"):
        return None
    import pyarrow.parquet as pq

    return -(-pq.ParquetFile(path).metadata.num_rows // CHUNK_ROWS)
