"""Stage `train`: cross-validate the configured model on the train split, then fit and save it."""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml
from sklearn.pipeline import Pipeline

from ml_pipeline.core import paths, progress
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.outputs import json_writer, publish
from ml_pipeline.data.columns import features_and_target
from ml_pipeline.features.guards import check as check_features
from ml_pipeline.features.recipe import model_data
from ml_pipeline.modeling import cv
from ml_pipeline.modeling.best_params import apply_search
from ml_pipeline.modeling.families import requirements
from ml_pipeline.modeling.pipeline import build_pipeline
from ml_pipeline.tracking.lineage import file_md5, flatten, run_lineage
from ml_pipeline.tracking.session import (
    Tracking,
    active_run,
    connect,
    log_batch,
    log_dataset,
    log_files,
)
from ml_pipeline.tracking.ui import declare_experiment, iteration_losses, loss_name, run_params

if TYPE_CHECKING:
    from mlflow.models import ModelSignature


def run(params: Params, train: pd.DataFrame) -> tuple[Pipeline, dict]:
    """Cross-validate, then fit on the whole train split; return the model and a report."""
    data = model_data(params)  # the dataset's columns and those features.* built
    warnings = check_features(
        params, data, train
    )  # ml_pipeline/features/guards.py: before any fitting
    for line in warnings:
        print(f"train: warning: {line}", file=sys.stderr)
    features, target = features_and_target(train, data)
    pipeline = build_pipeline(data, params.model, params.seed)
    folds = cv.folds(params, features, target)  # the search's trials fit on these too
    scores = cv.cross_validate(pipeline, features, target, folds, data.task, params.cv.n_jobs)
    started = time.perf_counter()
    progress.note(f"train: fitting {params.model.name} on {len(features):,} rows")
    pipeline.fit(features, target)
    report = {
        "cv_metric": cv.CV_METRIC[params.data.task][0],
        "cv_scores": scores,
        "cv_mean": statistics.fmean(scores),
        "cv_std": statistics.pstdev(scores),
        "fit_seconds": time.perf_counter() - started,
        "warnings": warnings,
    }
    return pipeline, report


def model_kwargs(pipeline: Pipeline, example: pd.DataFrame) -> dict:
    """How the model is saved and logged: signature, example rows, pinned requirements, format.

    Explicit requirements skip MLflow's ~4 s inference; cloudpickle loads every shipped family
    (skops rejects random-forest trees by default).
    """
    import cloudpickle
    import mlflow
    import numpy
    import sklearn
    from mlflow.models import infer_signature

    return {
        "signature": required_signature(infer_signature(example, pipeline.predict(example))),
        "input_example": example.head(5),
        "pip_requirements": [
            f"mlflow=={mlflow.__version__}",
            f"scikit-learn=={sklearn.__version__}",
            f"pandas=={pd.__version__}",
            f"numpy=={numpy.__version__}",
            f"cloudpickle=={cloudpickle.__version__}",
            *requirements(pipeline[-1]),
        ],
        "serialization_format": "cloudpickle",
    }


def required_signature(signature: ModelSignature) -> ModelSignature:
    """The signature with every input column required.

    `infer_signature` makes a column optional when the example has a null in it, and MLflow then
    lets a request without that column through to the pipeline, which needs every column.
    Required columns still accept null values (the pipeline imputes them).
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema([ColSpec(spec.type, spec.name) for spec in signature.inputs.inputs])
    return ModelSignature(inputs, signature.outputs, signature.params)


def save_model(pipeline: Pipeline, kwargs: dict, path: Path) -> None:
    """Save the whole pipeline as an MLflow model directory (the DVC-tracked copy)."""
    import mlflow.sklearn

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*cloudpickle.*")
        mlflow.sklearn.save_model(pipeline, str(path), **kwargs)


def log_run(
    tracking: Tracking,
    params: Params,
    pipeline: Pipeline,
    report: dict,
    kwargs: dict,
    train: pd.DataFrame,
    losses: list[float] | None = None,
) -> dict:
    """Log params, CV scores, fit time, train loss per iteration, the train dataset, reports,
    the validation contract and the model to the run."""
    import mlflow
    import mlflow.sklearn

    active = mlflow.active_run()
    if active is None:
        raise RuntimeError("log_run needs an active MLflow run")
    run_id = active.info.run_id
    timer = tracking.timer
    with timer("log"):
        raw = yaml.safe_load(paths.PARAMS.read_text())
        folds = [
            (f"cv_fold_{report['cv_metric']}", score, i)
            for i, score in enumerate(report["cv_scores"])
        ]
        folds += [
            (f"train_{loss_name(params.data.task)}", v, i) for i, v in enumerate(losses or [])
        ]
        log_batch(
            tracking,
            run_id,
            params=run_params(flatten(raw) | flatten({"model": params.model.model_dump()})),
            metrics={"fit_seconds": report["fit_seconds"]},
            steps=folds,
        )
        log_dataset(paths.PREPARED_TRAIN, train, params.data.target, "training")
        log_files(
            [
                paths.PARAMS,
                paths.PREPARE_REPORT,
                paths.VALIDATION_REPORT,
                paths.VALIDATION_HTML,
                paths.SEARCH_REPORT,
            ]
        )
        mlflow.log_dict(raw.get("validation", {}), "validation_contract.yaml")
    with timer("log_model"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*cloudpickle.*")
        info = mlflow.sklearn.log_model(pipeline, name="model", **kwargs)
    return {
        "experiment": params.tracking.experiment,
        "experiment_id": tracking.experiment_id,
        "model_id": info.model_id,
        "model_uri": info.model_uri,
        "run_id": run_id,
    }


@entry_point("train")
def main(argv: list[str] | None = None) -> None:
    params = apply_search(load_params(paths.PARAMS))  # the search's best params, if one ran
    progress.quiet_mlflow()
    tracking = connect(params.tracking.experiment)  # fail fast, before training
    declare_experiment(
        tracking.client,
        tracking.experiment_id,
        params.registration.primary_metric,
        params.data.task,
    )
    train = pd.read_parquet(paths.PREPARED_TRAIN)
    tags = run_lineage("train", {"train": file_md5(paths.PREPARED_TRAIN)}).to_tags()
    with active_run(tracking, **tags):
        pipeline, report = run(params, train)
        data = model_data(params)
        kwargs = model_kwargs(pipeline, features_and_target(train.head(100), data)[0])
        losses = iteration_losses(pipeline, *features_and_target(train, data))
        run_info = log_run(tracking, params, pipeline, report, kwargs, train, losses)
        publish(
            {
                paths.MODEL_DIR: lambda p: save_model(pipeline, kwargs, p),
                paths.TRAIN_REPORT: json_writer(report),
                paths.RUN_INFO: json_writer(run_info),
            }
        )
    print(
        f"train: {params.model.name}: cv {report['cv_metric']} "
        f"{report['cv_mean']:.4f} ± {report['cv_std']:.4f}, fit {report['fit_seconds']:.1f} s; "
        f"run {run_info['run_id']}; {tracking.timer.summary()}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
