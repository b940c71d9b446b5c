"""The search's result as `train` and `register` read it: the best params applied to the model.

`reports/search.json` (written by stages/search.py, committed with the experiment) holds the best
trial's hyperparameters; with `search: none` it says so and the model is used as configured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, describe_error
from ml_pipeline.core.errors import StageError


def read_best(params: Params, path: Path = paths.SEARCH_REPORT) -> dict[str, Any]:
    """The best hyperparameters that the configured search recorded (empty when it is off)."""
    if not params.search.enabled:
        return {}
    try:
        report = json.loads(path.read_text())
    except FileNotFoundError:
        raise StageError(f"{path}: not found; run the search first: dvc repro search") from None
    except json.JSONDecodeError as exc:
        raise StageError(f"{path}: not valid JSON ({exc}); re-run: dvc repro -f search") from None
    found = (report.get("search"), report.get("family"))
    if found != (params.search.name, params.model.name):
        raise StageError(
            f"{path} holds search {found[0]!r} of family {found[1]!r}, but params.yaml asks for "
            f"search {params.search.name!r} of {params.model.name!r}; run: dvc repro search"
        )
    best = report.get("best", {}).get("params")
    if not isinstance(best, dict) or set(best) - set(params.search.space):
        raise StageError(
            f"{path}: best.params must name only search.space keys "
            f"({', '.join(params.search.space)}); re-run: dvc repro -f search"
        )
    return best


def with_best(params: Params, best: dict[str, Any]) -> Params:
    """params with the model's hyperparameters replaced by `best` (validated as params.yaml)."""
    if not best:
        return params
    try:
        model = type(params.model).model_validate({**params.model.model_dump(), **best})
    except ValidationError as exc:
        raise StageError(f"{paths.SEARCH_REPORT}: best.params: {describe_error(exc)}") from None
    return params.model_copy(update={"model": model})


def apply_search(params: Params, path: Path = paths.SEARCH_REPORT) -> Params:
    """params as the pipeline trains them: with the search's best params when a search is on."""
    return with_best(params, read_best(params, path))
