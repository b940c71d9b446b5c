"""Batch scoring with a registered model (default: the champion of `tracking.registered_model`).

python -m commands.predict --input rows.csv --output scored.parquet [--model-uri models:/N@champion]

The input's columns and types are checked against the model's signature before predicting; the
output holds the input rows, `prediction` and, for classifiers, `proba_<class>` per class; for a
regression model with a prediction interval (metadata `interval`, evaluation/conformal.py),
`prediction_lower` and `prediction_upper`. Rows are read and featurised with the settings the
model carries (serving/settings.py; params.yaml's for an older model). With a feature recipe
(`features.*`), the input is raw history rows: the output is one row per series, its latest row
with the forecast `features.horizon` rows ahead (ml_pipeline/features/forecast.py says how much
history).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ml_pipeline.core.config import DataConfig, ReadOptions
from ml_pipeline.core.errors import StageError, entry_point, shown

NUMERIC_TYPES = {"double", "float", "long", "integer"}
DECIMAL_TYPES = {"double", "float"}  # parsed as prepare parses numeric columns
AS_TEXT = {"string", *DECIMAL_TYPES}  # read as text (an all-empty text column stays text)
CHUNK_ROWS = 100_000  # larger inputs are scored in chunks, with progress on a terminal


def read_rows(path: Path, data: DataConfig | None, schema: Any) -> pd.DataFrame:
    """CSV or Parquet rows to score; a CSV is read as `prepare` reads the dataset's files.

    The same reader (data/dataset.py) with the dataset's `data.read` options: a blank `' '`
    and `na_values` are missing, `comment`, `thousands` in numeric columns. The model's columns
    are read as text, its numeric ones then parsed as `prepare` parses them (a value that is no
    number is missing, counted in a note: `to_numbers`). A file of a dataset without header
    line may have one or not (`headerless.input_names`).
    """
    from pyarrow import ArrowException

    from ml_pipeline.data.dataset import read_csv
    from ml_pipeline.data.headerless import input_names
    from ml_pipeline.data.numbers import coerced_note, parse_numeric

    if not path.is_file():
        raise StageError(f"--input {path}: not found")
    read = data.read if data is not None else ReadOptions()
    try:
        if path.suffix == ".parquet":
            rows = pd.read_parquet(path)
        else:
            columns = schema.input_names() if schema else []
            names = None if read.header or data is None else input_names(path, data, columns)
            text = columns_of(schema, AS_TEXT)
            rows = read_csv(path, read, names is None, names, dict.fromkeys(text, "str"))
    except StageError:
        raise
    except pd.errors.EmptyDataError:
        raise StageError(f"--input {path}: the file is empty; give it rows to score") from None
    except (ValueError, OSError, ArrowException) as exc:  # not a CSV or Parquet pandas reads
        raise StageError(f"--input {path}: cannot be read as CSV/Parquet ({exc})") from None
    if rows.empty:
        raise StageError(f"--input {path}: no rows to score (a header line only?)")
    if note := coerced_note(parse_numeric(rows, columns_of(schema, DECIMAL_TYPES), read)):
        print(f"predict: note: {path}: {note}", file=sys.stderr)
    return rows


def columns_of(schema: Any, types: set[str]) -> list[str]:
    """The model signature's input columns of these MLflow types (none without a signature)."""
    return [spec.name for spec in schema.inputs if spec.type.name in types] if schema else []


def check_schema(rows: pd.DataFrame, schema: Any, source: str) -> pd.DataFrame:
    """The feature columns of `rows`, whole numbers as decimals where the model has decimals.

    A missing column or a wrong type fails with one line naming it.

    Every signature column is needed, even one MLflow marks optional: the pipeline uses them all.
    """
    if schema is None:
        return rows
    for spec in schema.inputs:
        column, kind = spec.name, spec.type.name
        if column not in rows.columns:
            expected = ", ".join(schema.input_names())
            raise StageError(f"{source}: missing column {column!r} (the model needs: {expected})")
        values = rows[column]
        if kind in NUMERIC_TYPES and not (
            pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        ):
            bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
            example = f", e.g. {shown(bad.iloc[0])}" if len(bad) else ""
            raise StageError(
                f"{source}: column {column!r} must be numeric ({kind}), got {values.dtype}{example}"
            )
        if kind == "string" and pd.api.types.is_numeric_dtype(values) and values.notna().any():
            raise StageError(
                f"{source}: column {column!r} must be text (string), got {values.dtype}"
            )
    features = rows[schema.input_names()]
    decimal = columns_of(schema, DECIMAL_TYPES)
    return features.astype(dict.fromkeys(decimal, "float64"))  # 39 → 39.0, as MLflow needs


def predict(model: Any, rows: pd.DataFrame, source: str) -> pd.DataFrame:
    """Predictions (and class probabilities, or a regression model's interval) for rows that
    match the model's signature."""
    from mlflow.exceptions import MlflowException

    from ml_pipeline.evaluation import conformal

    features = check_schema(rows, model.metadata.get_input_schema(), source)
    out = rows.copy()
    try:
        out["prediction"] = in_chunks(model.predict, features, "predict")
        interval = (model.metadata.metadata or {}).get(conformal.KEY)
        if interval is not None:
            lower, upper = conformal.bounds(out["prediction"], interval)
            out[conformal.LOWER], out[conformal.UPPER] = lower, upper
        raw = model.get_raw_model()
        if hasattr(raw, "predict_proba"):
            proba = in_chunks(raw.predict_proba, features, "probabilities")
            for i, label in enumerate(raw.classes_):
                out[f"proba_{label}"] = proba[:, i]
    except (MlflowException, ValueError, KeyError) as exc:  # the rows, not the code
        raise StageError(f"{source}: cannot be scored ({reason(exc)})") from None
    return out


def in_chunks(score: Any, features: pd.DataFrame, what: str) -> Any:
    """`score(features)`, in chunks of CHUNK_ROWS with a progress bar when there are many rows."""
    import numpy as np

    from ml_pipeline.core import progress

    if len(features) <= CHUNK_ROWS:
        return score(features)
    starts = range(0, len(features), CHUNK_ROWS)
    parts = [
        np.asarray(score(features.iloc[start : start + CHUNK_ROWS]))
        for start in progress.each(starts, len(starts), f"predict: {what}")
    ]
    return np.concatenate(parts)


def reason(exc: Exception) -> str:
    """One line for an exception: MLflow's schema errors end in `Error: <the reason>`."""
    message = str(getattr(exc, "message", exc)).rpartition("Error: ")[2].strip()
    return message.splitlines()[0] if message else type(exc).__name__


def csv_compression(path: Path) -> dict[str, str] | None:
    """The compression pandas infers from `path`'s name (`publish` writes to a `.tmp` sibling)."""
    from pandas.io.common import infer_compression

    method = infer_compression(path.name, "infer")
    if method is None:
        return None
    if method == "zip":  # name the member after the output, not the temporary file
        return {"method": method, "archive_name": path.name.removesuffix(path.suffix)}
    return {"method": method}


def output_format(path: Path) -> str:
    """`parquet` or `csv` by the name's suffix (`.csv` may end in a compression suffix); any
    other name (`out.xlsx`) is refused rather than silently holding CSV."""
    if path.suffix == ".parquet":
        return "parquet"
    if path.suffix == ".csv" or (csv_compression(path) and Path(path.stem).suffix == ".csv"):
        return "csv"
    raise StageError(
        f"--output {path}: name a .csv (or .csv.gz, .csv.zip, ...) or .parquet file; "
        "predict writes no other format"
    )


def write_rows(frame: pd.DataFrame, path: Path) -> None:
    """Parquet for a `.parquet` path, else CSV, compressed as the path's suffix says."""
    from ml_pipeline.core.outputs import publish

    if output_format(path) == "parquet":
        publish({path: lambda p: frame.to_parquet(p, index=False)})
    else:
        compression = csv_compression(path)
        publish({path: lambda p: frame.to_csv(p, index=False, compression=compression)})


@entry_point("predict")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True, help="CSV or Parquet rows")
    parser.add_argument("--output", type=Path, required=True, help="CSV or Parquet (by suffix)")
    parser.add_argument("--model-uri", default=None, help="default: models:/<name>@champion")
    args = parser.parse_args(argv)
    from ml_pipeline.core import paths
    from ml_pipeline.core.config import load_params
    from ml_pipeline.registry.promotion import champion_uri
    from ml_pipeline.serving.settings import model_settings
    from ml_pipeline.tracking.session import reconcile_store
    from ml_pipeline.tracking.store import reachable_store

    if not args.input.is_file():  # before the model's load, which takes many seconds
        raise StageError(f"--input {args.input}: not found")
    output_format(args.output)
    store = reachable_store()
    uri = args.model_uri or champion_uri(load_params(paths.PARAMS).tracking.registered_model)
    if uri.startswith("models:/"):  # runs of killed stages, when `dvc repro` connected to none
        reconcile_store(store)
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    os.environ["MLFLOW_TRACKING_URI"] = store.tracking_uri  # where models:/ URIs resolve
    try:
        model = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError, ImportError) as exc:  # no such model, files, a library
        message = str(getattr(exc, "message", exc)).splitlines()[0]
        raise StageError(f"--model-uri {uri}: cannot load ({message})") from None
    settings = model_settings(model.metadata.metadata, uri, "predict")
    data = settings.data if settings is not None else None
    rows = read_rows(args.input, data, model.metadata.get_input_schema())
    if settings is not None and settings.features.active:  # raw history → forecast origins
        from ml_pipeline.features.forecast import origin_rows

        rows = origin_rows(rows, settings, str(args.input))
    elif settings is not None:
        from ml_pipeline.validation.unseen import unseen_counts, unseen_line

        if counts := unseen_counts(rows, settings):
            print(unseen_line(counts, len(rows)), file=sys.stderr)
    scored = predict(model, rows, str(args.input))
    write_rows(scored, args.output)
    print(f"predict: {len(scored)} rows scored with {uri} → {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
