"""Stage `train`: cross-validate the configured model on the train split, then fit it; log the
run and save the model (packaging: ml_pipeline/tracking/model_save.py). A regression model
carries the conformal prediction interval of its out-of-fold residuals (evaluation/conformal.py)."""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ml_pipeline.core import paths, progress
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.outputs import json_writer, publish
from ml_pipeline.data import prepared
from ml_pipeline.data.columns import features_and_target
from ml_pipeline.data.compact import restore
from ml_pipeline.evaluation import conformal
from ml_pipeline.evaluation.curves import iteration_losses
from ml_pipeline.features.guards import check as check_features
from ml_pipeline.features.recipe import model_data
from ml_pipeline.modeling import cv
from ml_pipeline.modeling.best_params import apply_search
from ml_pipeline.modeling.calibration import resolve
from ml_pipeline.modeling.dask_train import head_rows, run_on_dask
from ml_pipeline.modeling.pipeline import build_pipeline
from ml_pipeline.monitoring.reference import log_reference, reference_sample
from ml_pipeline.serving.settings import scoring_metadata
from ml_pipeline.tracking.lineage import file_md5, host_tags, run_lineage
from ml_pipeline.tracking.model_save import log_run, model_kwargs, save_model
from ml_pipeline.tracking.session import active_run, connect
from ml_pipeline.tracking.ui import declare_experiment


def run(params: Params, train: pd.DataFrame) -> tuple[Pipeline, dict]:
    """Cross-validate, then fit on the whole train split; return the model and a report."""
    data = model_data(params)  # the dataset's columns and those features.* built
    warnings = check_features(params, data, train)  # features/guards.py: before any fitting
    for line in warnings:
        print(f"train: warning: {line}", file=sys.stderr)
    features, target = features_and_target(train, data)
    pipeline = build_pipeline(data, params.model, params.seed)
    folds = cv.folds(params, features, target)  # the search's trials fit on these too
    pipeline, chosen = resolve(params, pipeline, features, target, folds)  # calibration: auto
    residuals = np.full(len(target), np.nan) if data.task == "regression" else None
    scores = cv.cross_validate(
        pipeline, features, target, folds, data.task, params.cv.n_jobs, residuals
    )
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
    } | chosen
    if residuals is not None:  # regression: the conformal interval the model carries
        share = params.interval.walk_forward_share if data.time_column else None
        rows = conformal.calibration_rows(folds, share)
        report[conformal.KEY] = conformal.calibrate(residuals[rows], params.interval.level)
    return pipeline, report


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
    on_dask = params.compute.engine == "dask"
    data = model_data(params)
    text = [*data.categorical, *data.ordinal]  # compact categoricals (data/prepared.py)
    columns = prepared.model_columns(data)
    train = (
        head_rows(paths.PREPARED_TRAIN)
        if on_dask
        else prepared.read(paths.PREPARED_TRAIN, columns, text)
    )
    tags = run_lineage("train", {"train": file_md5(paths.PREPARED_TRAIN)}).to_tags()
    tags |= host_tags()  # the machine it trained on: on the run, not the version
    with active_run(tracking, system_metrics=params.tracking.system_metrics_seconds, **tags):
        pipeline, report = run_on_dask(params) if on_dask else run(params, train)
        example = restore(features_and_target(train.head(100), data)[0])  # the files' dtypes
        metadata = scoring_metadata(params)  # and a regression model's prediction interval
        if conformal.KEY in report:
            metadata[conformal.KEY] = report[conformal.KEY]
        kwargs = model_kwargs(pipeline, example, metadata)
        losses = iteration_losses(pipeline, *features_and_target(train, data))
        run_info = log_run(tracking, params, pipeline, report, kwargs, train, losses)
        log_reference(reference_sample(train, data, pipeline, params.seed))  # monitor's drift
        publish(
            {
                paths.MODEL_DIR: lambda p: save_model(pipeline, kwargs, p),
                paths.TRAIN_REPORT: json_writer(report),
                paths.RUN_INFO: json_writer(run_info),
                **cost_output("train"),
            }
        )
    print(
        f"train: {params.model.name}: cv {report['cv_metric']} "
        f"{report['cv_mean']:.4f} ± {report['cv_std']:.4f}, fit {report['fit_seconds']:.1f} s"
        f"{' on ' + report['compute'] if 'compute' in report else ''}; "
        f"run {run_info['run_id']}; {tracking.timer.summary()}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
