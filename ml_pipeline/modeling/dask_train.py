"""`compute: dask`: train LightGBM's Dask estimator over the prepared Parquet's partitions and
return the scikit-learn pipeline a local fit returns (the same preprocessing, then a plain
`LGBMClassifier`/`LGBMRegressor` from `to_local()`), so saving, the MLflow flavor and signature,
serving and `make predict` do not change.

No worker holds more than its partitions: the preprocessing is fitted on the distinct values of
the categorical and ordinal columns (`distinct_frame`, which gives the categories a fit on every
row gives), then applied partition by partition. Instead of K-fold CV, a seeded random share
`compute.holdout` of the rows is held out: the model fitted on the rest is scored on it (the
task's CV metric), then the final model is fitted on every row.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core import paths, progress
from ml_pipeline.core.config import DataConfig, Params
from ml_pipeline.evaluation.metrics import classification_metrics, regression_metrics
from ml_pipeline.modeling.cv import CV_METRIC
from ml_pipeline.modeling.pipeline import build_pipeline

# What `train` on Dask reads into its own process: the first rows, for the run's dataset schema,
# the model's input example and signature, and the train loss curve (its first 10,000 rows).
LOGGED_ROWS = 10_000
# The stated match with local LightGBM on the same rows: |dask − local| of each classification
# metric (tests/modeling/test_dask_train.py, benchmarks/dask_scale.py, docs/performance.md).
TOLERANCE = 0.005


def read_train(path: Path, data: DataConfig, min_partitions: int) -> Any:
    """The model's columns of the prepared split as a dask DataFrame, one partition per Parquet
    row group, at least `min_partitions` (one per worker, so every worker trains). Text columns
    get the dtype pandas reads them with (missing = NaN), which the preprocessing expects."""
    import dask.dataframe as dd

    frame = dd.read_parquet(path, columns=[*data.features, data.target], split_row_groups=True)
    text = {name: "str" for name, kind in frame.dtypes.items() if isinstance(kind, pd.StringDtype)}
    frame = frame.astype(text)
    if frame.npartitions < min_partitions:
        frame = frame.repartition(npartitions=min_partitions)
    return frame


def distinct_frame(frame: Any, data: DataConfig) -> pd.DataFrame:
    """A few rows on which the preprocessing fits as on all of `frame`: every distinct value of
    each categorical and ordinal column (missing included), its most frequent value once more
    (what the ordinal imputer picks: the smallest of the most frequent), numeric columns 0."""
    import dask

    columns = [*data.categorical, *data.ordinal]
    counted = dask.compute(*(frame[c].value_counts(dropna=False) for c in columns))
    rows = 1 + max((len(counts) for counts in counted), default=0)
    out = {name: np.zeros(rows) for name in data.numeric}
    for name, counts in zip(columns, counted, strict=True):
        present = counts[counts.index.notna()]
        top = present[present == present.max()].index.min() if len(present) else np.nan
        values = [*counts.index, *[top] * (rows - len(counts))]
        out[name] = pd.Series(values, dtype=frame[name].dtype)
    return pd.DataFrame(out)[list(data.features)]


def features32(preprocess: Any, rows: pd.DataFrame) -> np.ndarray:
    """A partition's preprocessed features as float32: LightGBM's Dask estimator joins a worker's
    partitions into one array before binning them, and at 10,000,000 rows float64 took two 2 GB
    workers past their limit. Whole numbers below 2**24 (adult's) are exact; other values round
    to float32, which LightGBM's bins absorb (docs/performance.md: the stated tolerance)."""
    return np.asarray(preprocess.transform(rows), dtype=np.float32)


def label_codes(target: pd.Series, classes: np.ndarray) -> np.ndarray:
    """Each label's position in the sorted `classes`: what LightGBM's label encoder makes of
    it, sent to the workers as int32 instead of one Python string per row."""
    return np.searchsorted(classes, target.to_numpy(dtype=object)).astype(np.int32)


def with_labels(model: Any, classes: np.ndarray) -> Any:
    """A classifier fitted on `label_codes` answering in the labels themselves, as a fit on the
    labels leaves it (LightGBM 4's label encoder attributes)."""
    from lightgbm.sklearn import _LGBMLabelEncoder

    model._le = _LGBMLabelEncoder().fit(classes)
    model._classes = model._le.classes_
    model._n_classes = len(classes)
    model._class_map = {label: code for code, label in enumerate(model._classes)}
    return model


def matrix(
    frame: Any, preprocess: Any, data: DataConfig, classes: np.ndarray | None
) -> tuple[Any, Any]:
    """(X, y) as dask arrays with known chunks, one per non-empty partition: its features
    preprocessed (`features32`: the columns the local pipeline gives its model) and its target,
    a class as its position in `classes` (`label_codes`)."""
    import dask
    import dask.array as da

    lengths = [int(n) for n in frame.map_partitions(len).compute()]
    features, width = list(data.features), len(data.features)
    xs, ys = [], []
    for part, rows in zip(frame.to_delayed(), lengths, strict=True):
        if rows:
            xs.append(
                da.from_delayed(
                    dask.delayed(features32)(preprocess, part[features]),
                    (rows, width),
                    dtype=np.float32,
                )
            )
            target = part[data.target]
            y = target.to_numpy() if classes is None else dask.delayed(label_codes)(target, classes)
            kind = np.float64 if classes is None else np.int32
            ys.append(da.from_delayed(y, (rows,), dtype=kind))
    return da.concatenate(xs), da.concatenate(ys)


def dask_estimator(local: Any, client: Any) -> Any:
    """LightGBM's Dask estimator with the local estimator's parameters (n_jobs: the workers')."""
    import lightgbm

    dask_cls = {
        lightgbm.LGBMClassifier: lightgbm.DaskLGBMClassifier,
        lightgbm.LGBMRegressor: lightgbm.DaskLGBMRegressor,
    }[type(local)]
    kwargs = {k: v for k, v in local.get_params().items() if k != "n_jobs"}
    quiet = logging.getLogger("lightgbm.dask")  # not "Finding random open ports" nor that the
    quiet.setLevel(logging.ERROR)  # n_jobs of its own defaults is ignored, on every run
    lightgbm.register_logger(quiet)
    return dask_cls(client=client, **kwargs)


def holdout_score(params: Params, model: Any, x: Any, y: Any, classes: np.ndarray | None) -> float:
    """The task's CV metric (evaluation/metrics.py) of a Dask model on held-out rows (a class
    as its position in `classes`)."""
    import dask

    task = params.data.task
    name = CV_METRIC[task][0]
    if classes is None:
        truth, predicted = dask.compute(y, model.predict(x))
        return float(regression_metrics(pd.Series(truth), predicted)[name] or 0.0)
    truth, predicted, proba = dask.compute(y, model.predict(x), model.predict_proba(x))
    labels = [str(c) for c in classes]
    positive = params.data.positive_label
    values = classification_metrics(
        pd.Series(classes[truth]), classes[predicted], proba, labels, positive
    )
    return float(values[name] or 0.0)


def fit_on_dask(params: Params, client: Any, path: Path) -> tuple[Any, dict]:
    """Holdout score, then the fit on every row; the pipeline (with a local model) and report."""
    from ml_pipeline.core.cluster import watched
    from ml_pipeline.features.recipe import model_data

    data = model_data(params)
    workers = len(client.scheduler_info()["workers"])
    frame = read_train(path, data, workers)
    pipeline = build_pipeline(data, params.model, params.seed)
    preprocess, local = pipeline.named_steps["preprocess"], pipeline.named_steps["model"]
    preprocess.fit(distinct_frame(frame, data))
    fitting, held = frame.random_split(
        [1 - params.compute.holdout, params.compute.holdout], random_state=params.seed
    )
    progress.note(f"train: {params.model.name} on dask ({workers} workers): holdout fit")
    classes = None
    if data.task == "classification":  # sorted, as LightGBM's label encoder sorts them
        classes = np.array(sorted(frame[data.target].dropna().unique().compute()), dtype=object)
    x_fit, y_fit = matrix(fitting, preprocess, data, classes)
    held_out = matrix(held, preprocess, data, classes)
    holdout_fit = watched(client, lambda: dask_estimator(local, client).fit(x_fit, y_fit))
    score = holdout_score(params, holdout_fit, *held_out, classes)
    started = time.perf_counter()
    progress.note(f"train: {params.model.name} on dask: fitting on every row")
    x_all, y_all = matrix(frame, preprocess, data, classes)
    fitted = watched(client, lambda: dask_estimator(local, client).fit(x_all, y_all))
    model = fitted.to_local() if classes is None else with_labels(fitted.to_local(), classes)
    model.set_params(**local.get_params())  # the local estimator's params, n_jobs included
    pipeline.steps[-1] = ("model", model)
    report = {
        "cv_metric": CV_METRIC[params.data.task][0],
        "cv_scores": [score],
        "cv_mean": score,
        "cv_std": 0.0,
        "fit_seconds": time.perf_counter() - started,
        "warnings": [],
        "compute": f"dask ({workers} workers), holdout {params.compute.holdout:g}",
    }
    return pipeline, report


def run_on_dask(params: Params) -> tuple[Any, dict]:
    """`fit_on_dask` on compute.address (or a LocalCluster); a fit that a lost worker or
    connection breaks is one line (the stage then saves nothing, so nothing is registered)."""
    from ml_pipeline.core.cluster import compute_client, dask_failure

    with compute_client(params.compute) as client, dask_failure("the Dask fit"):
        return fit_on_dask(params, client, paths.PREPARED_TRAIN)


def head_rows(path: Path, rows: int = LOGGED_ROWS) -> pd.DataFrame:
    """The first `rows` rows of a Parquet file, read batch by batch (not the whole file)."""
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    first = next(source.iter_batches(batch_size=rows), None)
    return source.schema_arrow.empty_table().to_pandas() if first is None else first.to_pandas()
