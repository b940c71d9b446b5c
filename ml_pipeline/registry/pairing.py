"""The candidate paired with the champion on the same test rows, for `register`.

The candidate's per-row predictions are evaluate's (reports/predictions.parquet). The champion's
are the ones its own run logged (`register` logs the predictions file with the evaluation) when
it was tested on this very test split (lineage `data.md5.test`); else, when the lineage says the
two are comparable (same training split), its model from the registry is re-scored here.
`Champion.paired` then holds the primary metric's difference with its 95 % paired bootstrap
interval (evaluation/paired.py); `registry/promotion.py` decides on it.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from typing import Any

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params
from ml_pipeline.core.faults import is_transient
from ml_pipeline.evaluation.metrics import Scored
from ml_pipeline.registry.promotion import Champion
from ml_pipeline.tracking.lineage import Lineage


def with_paired(params: Params, version: Any, champion: Champion, lineage: Lineage) -> Champion:
    """`champion` with its paired comparison, or with the reason there is none."""
    import pandas as pd
    from mlflow.exceptions import MlflowException

    from ml_pipeline.evaluation.paired import from_predictions, paired_differences

    if not params.registration.compare_with_champion:
        return champion
    if champion.value is None:
        return replace(champion, paired_note=f"not comparable: champion {champion.basis}")
    if not paths.PREDICTIONS.is_file():  # an evaluation from before the file
        return replace(champion, paired_note=f"not paired: no {paths.PREDICTIONS} (dvc repro)")
    candidate = from_predictions(pd.read_parquet(paths.PREDICTIONS), params.data.positive_label)
    same_test = Lineage.from_tags(version.tags).data_md5.get("test") == lineage.data_md5["test"]
    try:
        rows, how = champion_rows(params, version, same_test)
        paired = paired_differences(candidate, rows, params.seed)  # ValueError: other rows
    # As champion_value: a champion that cannot be loaded or cannot score these rows is not
    # paired; a server that did not answer decides nothing (retryable).
    except (MlflowException, OSError, ImportError, ValueError, KeyError) as exc:
        if is_transient(exc):
            raise
        note = f"champion could not be re-scored here ({type(exc).__name__}: {exc})"
        return replace(champion, paired_note=note)
    metric = params.registration.primary_metric
    return replace(champion, paired=paired[metric], paired_note=how)


def champion_rows(params: Params, version: Any, same_test: bool) -> tuple[Scored, str]:
    """The champion's per-row predictions on this test split, and where they came from."""
    import mlflow
    import mlflow.sklearn
    import pandas as pd
    from mlflow.environment_variables import MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR
    from mlflow.exceptions import MlflowException

    from ml_pipeline.data.prepared import model_columns
    from ml_pipeline.evaluation.metrics import score
    from ml_pipeline.evaluation.paired import from_predictions
    from ml_pipeline.features.recipe import model_data

    if same_test and version.run_id:
        MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR.set(False)  # no progress bar for one small file
        with tempfile.TemporaryDirectory(prefix="champion-") as folder:
            try:
                local = mlflow.artifacts.download_artifacts(
                    run_id=version.run_id, artifact_path=paths.PREDICTIONS.name, dst_path=folder
                )
                frame = pd.read_parquet(local)
            except (MlflowException, OSError) as exc:  # a champion from before the file
                if is_transient(exc):
                    raise
            else:
                positive = params.data.positive_label
                return from_predictions(frame, positive), "the champion run's logged predictions"
    model = mlflow.sklearn.load_model(f"models:/{version.name}/{version.version}")
    data = model_data(params)
    test = pd.read_parquet(paths.PREPARED_TEST, columns=model_columns(data))
    rescored = score(model, test, data)
    return rescored, "champion re-scored on these rows"
