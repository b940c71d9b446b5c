"""The base of every config class and the types they share (see ml_pipeline/core/config.py)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ml_pipeline.evaluation.catalog import METRICS, Direction, check_direction, direction

__all__ = ["Directed", "Direction", "NJobs", "Strict", "Task"]

Task = Literal["classification", "regression"]


class Strict(BaseModel):
    """Base: no extra keys, no mutation, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Directed(Strict):
    """A config that names a metric (field `METRIC_KEY`) and its `direction`: a direction left
    out (or null) is the metric catalog's, one that contradicts the catalog is refused."""

    METRIC_KEY: ClassVar[str] = "metric"

    @model_validator(mode="before")
    @classmethod
    def _catalog_direction(cls, data: Any) -> Any:
        metric = data.get(cls.METRIC_KEY) if isinstance(data, dict) else None
        if not isinstance(metric, str) or data.get("direction") is not None:
            return data
        known = direction(metric)
        if known is None:
            raise ValueError(
                f"{cls.METRIC_KEY} {metric!r} is not a metric the catalog ranks (one of: "
                f"{', '.join(METRICS)}, or cv_<metric>_mean): name one, or give its `direction`"
            )
        return {**data, "direction": known}

    @field_validator("direction", check_fields=False)
    @classmethod
    def _agrees_with_catalog(cls, value: str | None, info: ValidationInfo) -> str | None:
        metric = info.data.get(cls.METRIC_KEY)
        if isinstance(metric, str):
            check_direction(metric, value)
        return value


def _workers(n_jobs: int) -> int:
    if n_jobs == 0:
        raise ValueError("0 workers: use -1 (every core), -2 (all but one) or a count >= 1")
    return n_jobs


# Threads for independent fits or predictions (core/parallel.py); any value, same results.
NJobs = Annotated[int, AfterValidator(_workers)]
