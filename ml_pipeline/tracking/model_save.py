"""Package the trained pipeline as an MLflow model: signature, example, pinned requirements; save
it as the DVC-tracked directory and log it, with the run's params, metrics and reports.

The reader of that directory is ml_pipeline/modeling/model_dir.py (`evaluate` loads it without
MLflow), so editing how a model is written does not re-run `evaluate`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params
from ml_pipeline.evaluation.curves import loss_name
from ml_pipeline.modeling.families import requirements
from ml_pipeline.tracking.lineage import flatten
from ml_pipeline.tracking.session import Tracking, log_batch, log_dataset, log_files
from ml_pipeline.tracking.ui import run_params

if TYPE_CHECKING:
    from mlflow.models import ModelSignature
    from sklearn.pipeline import Pipeline


def model_kwargs(pipeline: Pipeline, example: pd.DataFrame, metadata: dict | None = None) -> dict:
    """How the model is saved and logged: signature, example rows, pinned requirements, format,
    and `metadata`: what it needs to score raw rows (`scoring`: ml_pipeline/serving/settings.py)
    and a regression model's prediction interval (`interval`: evaluation/conformal.py).

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
        "metadata": metadata,
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
