"""Read back the model directory that ml_pipeline/tracking/model_save.py writes (an MLflow
sklearn model with cloudpickle serialization) without importing MLflow (about 2 s of CPU per
stage)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ml_pipeline.core.errors import StageError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

UNREADABLE = (
    KeyError,
    TypeError,
    yaml.YAMLError,
    pickle.UnpicklingError,
    EOFError,
    AttributeError,
    ImportError,
)


def load_pipeline(path: Path) -> Pipeline:
    """The pipeline pickled in the file that `path`/MLmodel names for the sklearn flavor, as
    `mlflow.sklearn.load_model` loads a local directory (cloudpickle output is standard pickle)."""
    try:
        flavor = yaml.safe_load((path / "MLmodel").read_text())["flavors"]["sklearn"]
        with (path / flavor["pickled_model"]).open("rb") as file:
            return pickle.load(file)
    except UNREADABLE as exc:  # not train's output, or pickled with other library versions
        raise StageError(
            f"{path} cannot be loaded as the model `train` saves ({type(exc).__name__}: {exc}); "
            "train it again here: dvc repro -f train"
        ) from None
