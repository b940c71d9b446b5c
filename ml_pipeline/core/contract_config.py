"""The data contract `validate` checks: the `validation` section of params.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ml_pipeline.core.config_base import Strict

Severity = Literal["error", "warning"]


class Check(Strict):
    """One expectation of the data contract: `error` stops the pipeline, `warning` is recorded."""

    severity: Severity = "error"


class NullCheck(Check):
    max_fraction: float = Field(0.0, ge=0, le=1)


class RangeCheck(Check):
    min: float | None = None
    max: float | None = None


class CategoryCheck(Check):
    values: list[str]


class ColumnSpec(Strict):
    """Expectations on one column; `severity` is that of its presence and type checks."""

    type: Literal["numeric", "string", "datetime"]
    required: bool = True
    severity: Severity = "error"
    nulls: NullCheck | None = None
    range: RangeCheck | None = None
    categories: CategoryCheck | None = None
    unique: Check | None = None


class ExtraColumnsCheck(Check):
    allow: bool = False


class RowCountCheck(Check):
    min: int = Field(1, ge=0)
    max: int | None = Field(None, ge=0)


class ClassBalanceCheck(Check):
    min_classes: int = Field(2, ge=1)
    min_fraction: float = Field(0.0, ge=0, le=1)


class UnseenCategoriesCheck(Check):
    max_fraction: float = Field(0.0, ge=0, le=1)


class DriftCheck(Check):
    statistic: Literal["ks", "psi"] = "ks"
    threshold: float = Field(gt=0)


class ValidationConfig(Strict):
    """The data contract checked by `validate` on each prepared split and between them."""

    columns: dict[str, ColumnSpec]
    extra_columns: ExtraColumnsCheck = ExtraColumnsCheck()
    row_count: RowCountCheck = RowCountCheck()
    target_balance: ClassBalanceCheck | None = None
    same_columns: Check = Check()
    unseen_categories: UnseenCategoriesCheck | None = None
    drift: DriftCheck | None = None
