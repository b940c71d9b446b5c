"""Stage `train`: cross-validate the configured model on the train split, then fit and save it."""

from __future__ import annotations

import statistics
import time
import warnings
from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline

from stages import paths
from stages.config import Params, load_params
from stages.errors import run_stage
from stages.features import features_and_target
from stages.modeling import CV_METRIC, build_pipeline, cross_validate
from stages.outputs import json_writer, publish


def run(params: Params, train: pd.DataFrame) -> tuple[Pipeline, dict]:
    """Cross-validate, then fit on the whole train split; return the model and a report."""
    features, target = features_and_target(train, params.data)
    pipeline = build_pipeline(params.data, params.model, params.seed)
    scores = cross_validate(pipeline, features, target, params.data, params.cv, params.seed)
    started = time.perf_counter()
    pipeline.fit(features, target)
    report = {
        "cv_metric": CV_METRIC[params.data.task][0],
        "cv_scores": scores,
        "cv_mean": statistics.fmean(scores),
        "cv_std": statistics.pstdev(scores),
        "fit_seconds": time.perf_counter() - started,
    }
    return pipeline, report


def save_model(pipeline: Pipeline, example: pd.DataFrame, path: Path) -> None:
    """Save the whole pipeline as an MLflow model directory with a signature and example rows."""
    import cloudpickle
    import mlflow
    import mlflow.sklearn
    import numpy
    import sklearn
    from mlflow.models import infer_signature

    signature = infer_signature(example, pipeline.predict(example))
    requirements = [
        f"mlflow=={mlflow.__version__}",
        f"scikit-learn=={sklearn.__version__}",
        f"pandas=={pd.__version__}",
        f"numpy=={numpy.__version__}",
        f"cloudpickle=={cloudpickle.__version__}",
    ]
    with warnings.catch_warnings():
        # cloudpickle loads every shipped family; skops rejects random-forest trees by default.
        warnings.filterwarnings("ignore", message=".*cloudpickle.*")
        mlflow.sklearn.save_model(
            pipeline,
            str(path),
            serialization_format="cloudpickle",
            signature=signature,
            input_example=example.head(5),
            pip_requirements=requirements,
        )


def main() -> None:
    params = load_params(paths.PARAMS)
    train = pd.read_parquet(paths.PREPARED_TRAIN)
    pipeline, report = run(params, train)
    example = features_and_target(train.head(100), params.data)[0]
    publish(
        {
            paths.MODEL_DIR: lambda p: save_model(pipeline, example, p),
            paths.TRAIN_REPORT: json_writer(report),
        }
    )
    print(
        f"train: {params.model.name}: cv {report['cv_metric']} "
        f"{report['cv_mean']:.4f} ± {report['cv_std']:.4f}, fit {report['fit_seconds']:.1f} s"
    )


if __name__ == "__main__":
    run_stage("train", main)
