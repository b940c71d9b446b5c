"""One readable line for a config validation error: the key, the problem, what is allowed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ml_pipeline.core.model_config import MODEL_FAMILIES


def describe_error(exc: ValidationError) -> str:
    """One line for the first validation error: the key, the problem, what is allowed."""
    errors = exc.errors(include_url=False)
    # A misspelt key is both unknown and a missing one: naming the unknown key says more.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(part) for part in first["loc"] if not _is_union_tag(part, first["loc"])]
    key = ".".join(loc) or "(top level)"
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(first["loc"][:-1])
        message = f"unknown key {key!r}; allowed keys here: {', '.join(allowed)}"
    elif first["type"] == "missing":
        message = f"missing key {key!r}"
    elif first["type"] in ("value_error", "union_tag_invalid"):
        message = f"{key}: {first['msg'].removeprefix('Value error, ')}"
    else:
        message = f"{key}: {first['msg']} (got {first.get('input')!r})"
    more = len(errors) - 1
    return message + (f" (+{more} more problem{'s' if more > 1 else ''})" if more else "")


def _is_union_tag(part: Any, loc: tuple[Any, ...]) -> bool:
    """Pydantic puts the discriminator value into the location (`model.rf.n_jobs`): drop it."""
    return len(loc) > 1 and loc[0] == "model" and part in MODEL_FAMILIES and part == loc[1]


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the config class found at `loc` (a union tag picks the model family)."""
    from ml_pipeline.core.config import Params  # the root of params.yaml (imports this module)

    cls: Any = Params
    for part in loc:
        if cls is None and part in MODEL_FAMILIES:
            cls = MODEL_FAMILIES[part]
            continue
        field = _keys(cls).get(str(part)) if cls else None
        annotation = field.annotation if field else None
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        cls = annotation if is_model else None
    return list(_keys(cls)) if cls else []


def _keys(cls: Any) -> dict[str, Any]:
    """A config class's fields by the key params.yaml spells (`register`, not `registration`)."""
    return {field.alias or name: field for name, field in cls.model_fields.items()}
