"""What a saved model carries to score raw rows on its own: its reader settings (`data.*`), its
feature recipe (`features.*`) and its data contract (`validation.*`), in the MLflow model's
`metadata` under the key `scoring`. `make predict`, `score` and the model server then depend on
the model URI only; a model saved before it carries none, and its callers fall back to
params.yaml with one printed note.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ml_pipeline.core.config import Params
from ml_pipeline.core.scoring_config import Scoring

KEY = "scoring"  # the MLflow model metadata key (`interval` is another engineer's)


def scoring_metadata(params: Params) -> dict[str, Any]:
    """The `metadata` entry `train` saves with the model: the settings as one JSON text, since
    MLflow writes `MLmodel` with sorted keys and the order of `data.ordinal`'s columns (the
    model's column order) and of the contract's columns must survive."""
    settings = Scoring(data=params.data, features=params.features, validation=params.validation)
    return {KEY: settings.model_dump_json()}


def carried(metadata: dict[str, Any] | None) -> Scoring | None:
    """The settings a model's metadata carries, or None (a model saved before they were)."""
    raw = (metadata or {}).get(KEY)
    return Scoring.model_validate_json(raw) if isinstance(raw, str) else None


def model_settings(metadata: dict[str, Any] | None, uri: str, who: str) -> Scoring | None:
    """The model's own settings; for an older model params.yaml's (None without one: rows are
    read as plain CSV), with one note on stderr."""
    from ml_pipeline.core import paths
    from ml_pipeline.core.config import load_params

    own = carried(metadata)
    if own is not None:
        return own
    workspace = Path(paths.PARAMS)
    print(
        f"{who}: note: {uri} carries no scoring settings (saved before they were): rows are "
        + (
            f"read and featurised with {workspace}'s data.*, features.* and validation.*"
            if workspace.exists()
            else "read as plain CSV"
        ),
        file=sys.stderr,
    )
    if not workspace.exists():
        return None
    params = load_params(workspace)
    return Scoring(data=params.data, features=params.features, validation=params.validation)
