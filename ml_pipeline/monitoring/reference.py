"""The drift reference: a fixed-seed sample of the champion's own training data.

`train` logs it as an artifact of its run (`paths.REFERENCE_ARTIFACT`): at most REFERENCE_ROWS
rows of the prepared train split, the model's input columns and the target, plus the fitted
model's `prediction` (and `score` for a binary classifier) on those rows. `monitor` downloads it
from the run of the champion version that `score` pinned, so the reference is the data that
version was trained on, whatever the workspace's data/prepared holds today.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from ml_pipeline.core import paths
from ml_pipeline.core.config import DataConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.compact import restore

REFERENCE_ROWS = 10_000


def reference_sample(
    train: pd.DataFrame, data: DataConfig, model: Any, seed: int, rows: int = REFERENCE_ROWS
) -> pd.DataFrame:
    """`rows` rows of `train` drawn with `seed` (all when fewer), in their original order and in
    the prepared files' dtypes (`compact.restore`), with the model's output on them as `score`
    (binary) and `prediction`."""
    picked = train if len(train) <= rows else train.sample(n=rows, random_state=seed)
    sample = restore(picked.sort_index()[[*data.features, data.target]]).reset_index(drop=True)
    features = sample[data.features]
    sample["prediction"] = model.predict(features)
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if data.task == "classification" and len(classes) == 2:
        positive = data.positive_label if data.positive_label is not None else classes[-1]
        sample["score"] = model.predict_proba(features)[:, classes.index(positive)]
    return sample


def log_reference(sample: pd.DataFrame) -> None:
    """Log the sample as the active run's reference artifact."""
    import mlflow

    folder, name = paths.REFERENCE_ARTIFACT.rsplit("/", 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        sample.to_parquet(path, index=False)
        mlflow.log_artifact(str(path), folder)


def load_reference(client: Any, run_id: str, version: str) -> pd.DataFrame:
    """The reference sample of champion `version`'s run; one line when it has none."""
    from mlflow.exceptions import MlflowException

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one line on error
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = client.download_artifacts(run_id, paths.REFERENCE_ARTIFACT, tmp)
        except (MlflowException, OSError):
            raise StageError(
                f"champion v{version} (run {run_id}) has no reference sample "
                f"({paths.REFERENCE_ARTIFACT}): it was trained before monitoring existed; "
                "retrain and register it (dvc repro -f train), then run monitor again"
            ) from None
        return pd.read_parquet(path)
