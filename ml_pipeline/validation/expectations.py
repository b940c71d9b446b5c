"""The one module that talks to Great Expectations (1.x): a typed suite in, `Outcome`s out.

Each split gets its own GX suite built from `ValidationConfig`, validated on the split's batch in
one ephemeral context (no files on disk, nothing stored). Value-level checks are added only for
columns that are present and of the configured kind, so one broken column gives one clear failure
rather than a cascade of errors.
"""

from __future__ import annotations

import math
import os
from typing import Any

import pandas as pd

from ml_pipeline.core.config import ColumnSpec, ValidationConfig
from ml_pipeline.core.errors import capped
from ml_pipeline.validation.checks import Outcome

# Dtype names for the whole-column check, and native types for object columns (value by value).
TYPE_LISTS = {
    "numeric": [
        *("float64", "float32", "int64", "int32", "int16", "int8"),
        *("uint64", "uint32", "uint16", "uint8", "Int64", "Float64", "float", "int"),
    ],
    "string": ["StringDtype", "str"],
    "datetime": [f"datetime64[{unit}]" for unit in ("s", "ms", "us", "ns")],
}


def _spec(frame: pd.DataFrame, suite: ValidationConfig) -> list[tuple[Any, dict[str, Any]]]:
    """(GX expectation, our description) pairs for one split."""
    import great_expectations.expectations as gxe

    present = set(map(str, frame.columns))
    pairs: list[tuple[Any, dict[str, Any]]] = []

    def add(expectation: Any, column: str | None, severity: str, expected: str, key: str) -> None:
        meta = {"column": column, "severity": severity, "expected": expected, "key": key}
        pairs.append((expectation, meta))

    rows = suite.row_count
    add(
        gxe.ExpectTableRowCountToBeBetween(min_value=rows.min, max_value=rows.max),
        None,
        rows.severity,
        f"between {rows.min} and {rows.max if rows.max is not None else 'any'} rows",
        "validation.row_count",
    )
    if not suite.extra_columns.allow:
        add(
            gxe.ExpectTableColumnsToMatchSet(
                column_set=[c for c in suite.columns if c in present], exact_match=True
            ),
            ", ".join(sorted(present - set(suite.columns))) or None,
            suite.extra_columns.severity,
            "no columns other than those in validation.columns",
            "validation.extra_columns.allow",
        )
    for column, spec in suite.columns.items():
        base = f"validation.columns.{column}"
        if column not in present:
            if spec.required:
                add(
                    gxe.ExpectColumnToExist(column=column),
                    column,
                    spec.severity,
                    "the column exists (required)",
                    f"{base}.required",
                )
            continue
        add(
            gxe.ExpectColumnValuesToBeInTypeList(column=column, type_list=TYPE_LISTS[spec.type]),
            column,
            spec.severity,
            f"type {spec.type}",
            f"{base}.type",
        )
        if _kind_matches(frame[column], spec):
            _value_checks(add, gxe, column, spec, base)
    return pairs


def _kind_matches(series: pd.Series, spec: ColumnSpec) -> bool:
    if spec.type == "datetime":
        return pd.api.types.is_datetime64_any_dtype(series)
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return numeric if spec.type == "numeric" else not numeric


def _value_checks(add: Any, gxe: Any, column: str, spec: ColumnSpec, base: str) -> None:
    if spec.nulls is not None:
        limit = spec.nulls.max_fraction
        add(
            gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=1.0 - limit),
            column,
            spec.nulls.severity,
            f"null fraction <= {limit:g}",
            f"{base}.nulls.max_fraction",
        )
    if spec.range is not None and (spec.range.min is not None or spec.range.max is not None):
        add(
            gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=spec.range.min, max_value=spec.range.max
            ),
            column,
            spec.range.severity,
            f"values in [{spec.range.min}, {spec.range.max}]",
            f"{base}.range",
        )
    if spec.categories is not None:
        add(
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=spec.categories.values),
            column,
            spec.categories.severity,
            f"values in the {len(spec.categories.values)} listed categories",
            f"{base}.categories.values",
        )
    if spec.unique is not None:
        add(
            gxe.ExpectColumnValuesToBeUnique(column=column),
            column,
            spec.unique.severity,
            "unique values",
            f"{base}.unique",
        )


def _for_gx(frame: pd.DataFrame, suite: ValidationConfig) -> pd.DataFrame:
    """Text columns configured as `string` become categoricals for GX.

    GX 1.24's type check does not know pandas 3's `str` dtype (it would test value by value),
    and its per-column row filtering copies the frame: category codes make both fast.
    """
    text = [
        c
        for c, spec in suite.columns.items()
        if spec.type == "string" and c in frame and pd.api.types.is_string_dtype(frame[c])
    ]
    return frame.astype(dict.fromkeys(text, pd.StringDtype())) if text else frame


def _observed(result: dict[str, Any], meta: dict[str, Any], frame: pd.DataFrame) -> Any:
    """An aggregate for the report: GX's observed value, or a summary; never rows.

    (Categories outside the allowed list are named: they are vocabulary, not records.)
    """
    column = meta["column"]
    if meta["key"].endswith(".type") and column in frame:
        return str(frame[column].dtype)
    if "observed_value" in result:
        value = result["observed_value"]
        if meta["key"] == "validation.extra_columns.allow":
            return sorted(result.get("details", {}).get("mismatched", {}).get("unexpected", []))
        return value
    if meta["key"].endswith(".required"):
        return "missing"
    if meta["key"].endswith(".categories.values"):
        values = sorted({str(value) for value in result.get("partial_unexpected_list", [])})
        return [capped(value) for value in values[:5]]
    if meta["key"].endswith(".range") and column in frame:
        values = pd.to_numeric(frame[column], errors="coerce")
        return {"min": _number(values.min()), "max": _number(values.max())}
    if "unexpected_count" in result:
        return {"unexpected_count": int(result["unexpected_count"])}
    return None


def _number(value: Any) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def run_suite(frames: dict[str, pd.DataFrame], suite: ValidationConfig) -> list[Outcome]:
    """Run the per-split expectations of `suite` on each named frame with Great Expectations."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("prepared").add_dataframe_asset("split")
    whole = asset.add_batch_definition_whole_dataframe("whole")
    outcomes: list[Outcome] = []
    for split, frame in frames.items():
        pairs = _spec(frame, suite)
        for index, (expectation, _) in enumerate(pairs):
            expectation.meta = {"index": index}
        expectations = [expectation for expectation, _ in pairs]
        gx_suite = gx.ExpectationSuite(name=f"suite_{split}", expectations=expectations)
        # The batch validates the suite directly: no suite, validation definition or result is
        # stored in the (throwaway) context, which cost more than the checks on small data.
        batch = whole.get_batch(batch_parameters={"dataframe": _for_gx(frame, suite)})
        run = batch.validate(gx_suite, result_format="BASIC")
        configs = [(r, r.expectation_config) for r in run.results]
        # GX gives every result of a suite run its expectation's configuration.
        by_index = {c.meta["index"]: (r, c) for r, c in configs if c is not None}
        for index, (_, meta) in enumerate(pairs):
            result, config = by_index[index]
            details = dict(result.result or {})
            percent = details.get("unexpected_percent")
            outcomes.append(
                Outcome(
                    split=split,
                    expectation=config.type,
                    column=meta["column"],
                    severity=meta["severity"],
                    success=bool(result.success),
                    expected=meta["expected"],
                    key=meta["key"],
                    observed=_observed(details, meta, frame),
                    unexpected_fraction=None if percent is None else round(percent / 100, 6),
                )
            )
    return outcomes
