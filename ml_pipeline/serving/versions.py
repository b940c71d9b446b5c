"""The registered versions `score` uses: the `champion` and, for shadow scoring, the
`challenger`, each resolved by alias once and pinned by version (reports/score.json)."""

from __future__ import annotations

from typing import Any

from ml_pipeline.core.errors import StageError
from ml_pipeline.serving.batches import Version

NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


def load_version(client: Any, name: str, alias: str) -> Version | None:
    """The version of `name` holding `alias`, loaded; None when no version holds it."""
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    from ml_pipeline.serving.settings import model_settings

    try:
        found = client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in NOT_FOUND:
            return None
        raise
    uri = f"models:/{name}/{found.version}"
    try:
        model = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError, ImportError) as exc:  # its files, a library it needs
        message = str(getattr(exc, "message", exc)).splitlines()[0]
        raise StageError(f"{uri} ({alias}): cannot load ({message})") from None
    settings = model_settings(model.metadata.metadata, uri, "score")
    if settings is None:
        raise StageError(f"{uri}: carries no scoring settings and there is no params.yaml")
    return Version(str(found.version), str(found.run_id), model.get_raw_model(), settings)


def shadow_reason(champion: Version, challenger: Version) -> str | None:
    """Why the challenger cannot score the rows as the champion's reader types them (its own
    columns or reader differ), or None."""
    mine, theirs = champion.settings.data, challenger.settings.data
    if not set(theirs.features) <= set(mine.features):
        return f"challenger v{challenger.version} needs other columns than the champion's"
    if theirs.read != mine.read or set(theirs.numeric) != set(mine.numeric) & set(theirs.features):
        return f"challenger v{challenger.version} reads the rows otherwise than the champion"
    if challenger.settings.features.active or champion.settings.features.active:
        return "models with a feature recipe (features.*) are not shadow-scored"
    return None
