"""The saved model directory (models/model): an MLflow sklearn model, read back without MLflow."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from stages.errors import StageError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def save_model(pipeline: Pipeline, kwargs: dict, path: Path) -> None:
    """Save the whole pipeline as an MLflow model directory (the DVC-tracked copy)."""
    import mlflow.sklearn

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*cloudpickle.*")
        mlflow.sklearn.save_model(pipeline, str(path), **kwargs)


def load_pipeline(path: Path) -> Pipeline:
    """The pipeline saved in `path`, unpickled from the file its `MLmodel` names.

    What `mlflow.sklearn.load_model` does for a local directory, without importing MLflow
    (about 2 s of CPU per stage); a cloudpickle file loads with the standard unpickler.
    """
    try:
        flavor = yaml.safe_load((path / "MLmodel").read_text())["flavors"]["sklearn"]
        with (path / flavor["pickled_model"]).open("rb") as file:
            return pickle.load(file)
    except (KeyError, TypeError, yaml.YAMLError, pickle.UnpicklingError, EOFError) as exc:
        raise StageError(
            f"{path} is not a model that `train` saved ({type(exc).__name__}: {exc}); "
            "train it again: dvc repro -f train"
        ) from None
