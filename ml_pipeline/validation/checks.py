"""Data-contract checks that need no Great Expectations: train/test consistency, drift, class
balance; plus the summary (reports/validation.json) and the console lines (the HTML page:
ml_pipeline/validation/html.py).

Every check returns `Outcome`s: plain records with aggregates only, never raw rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core import paths
from ml_pipeline.core.config import ValidationConfig
from ml_pipeline.core.errors import capped, shown
from ml_pipeline.validation.tally import Tally, chunk_tally

SPLITS = ("train", "test")
CONSISTENCY = "consistency"  # the split name of the checks that compare train with test


@dataclass(frozen=True)
class Outcome:
    """The result of one expectation on one split (or on both: split="consistency")."""

    split: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    expected: str
    key: str
    observed: Any = None
    unexpected_fraction: float | None = None


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    a, b = np.sort(a[~np.isnan(a)]), np.sort(b[~np.isnan(b)])
    if not len(a) or not len(b):
        return 0.0
    grid = np.concatenate([a, b])
    gap = np.searchsorted(a, grid, side="right") / len(a) - np.searchsorted(
        b, grid, side="right"
    ) / len(b)
    return float(np.max(np.abs(gap)))


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of `actual` against `expected`, on `expected`'s deciles."""
    expected, actual = expected[~np.isnan(expected)], actual[~np.isnan(actual)]
    if not len(expected) or not len(actual):
        return 0.0
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1)
    e_share = np.clip(e / len(expected), 1e-6, None)
    a_share = np.clip(a / len(actual), 1e-6, None)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def consistency(train: pd.DataFrame, test: pd.DataFrame, suite: ValidationConfig) -> list[Outcome]:
    """`consistency_of` the two frames."""
    return consistency_of(chunk_tally(train, train.columns), chunk_tally(test, test.columns), suite)


def consistency_of(train: Tally, test: Tally, suite: ValidationConfig) -> list[Outcome]:
    """Compare the splits: same columns and types, unseen test categories, numeric drift."""
    train_types, test_types = train.kinds, test.kinds
    out = [_same_columns(train_types, test_types, suite)]
    shared = [c for c in train_types if c in test_types]
    for column in shared:
        if train_types[column] == "string" and test_types[column] == "string":
            out += _unseen_categories(train, test, column, suite)
    for column in shared:
        if train_types[column] == "numeric" and test_types[column] == "numeric":
            out += _drift(train, test, column, suite)
    return out


def counted_columns(kinds: dict[str, str], target: str, suite: ValidationConfig) -> list[str]:
    """The columns whose value counts `consistency_of` and `balance_of` read."""
    wanted = {"string": suite.unseen_categories, "numeric": suite.drift}
    columns = [c for c, k in kinds.items() if wanted.get(k) is not None]
    return list(dict.fromkeys([*([target] if suite.target_balance else []), *columns]))


def _same_columns(
    train_types: dict[str, str], test_types: dict[str, str], suite: ValidationConfig
) -> Outcome:
    differ = sorted(
        c for c in set(train_types) | set(test_types) if train_types.get(c) != test_types.get(c)
    )
    return Outcome(
        CONSISTENCY,
        "same_columns_and_types",
        ", ".join(differ) or None,
        suite.same_columns.severity,
        not differ,
        "train and test have the same columns with the same types",
        "validation.same_columns",
        observed={c: [train_types.get(c), test_types.get(c)] for c in differ} or "same",
    )


def _unseen_categories(
    train: Tally, test: Tally, column: str, suite: ValidationConfig
) -> list[Outcome]:
    """The share of test rows in `column` whose category train never saw (if configured)."""
    check = suite.unseen_categories
    if check is None:
        return []
    values = test.counts[column]
    unseen = values[~values.index.isin(train.counts[column].index)]
    fraction = int(unseen.sum()) / test.rows if test.rows else 0.0
    return [
        Outcome(
            CONSISTENCY,
            "test_categories_seen_in_train",
            column,
            check.severity,
            fraction <= check.max_fraction,
            f"at most {check.max_fraction:g} of test rows in categories train never saw",
            "validation.unseen_categories.max_fraction",
            observed=[capped(value) for value in sorted(map(str, unseen.index))[:5]],
            unexpected_fraction=round(fraction, 6),
        )
    ]


def _drift(train: Tally, test: Tally, column: str, suite: ValidationConfig) -> list[Outcome]:
    """The drift statistic of numeric `column` between the splits (if configured)."""
    drift = suite.drift
    if drift is None:
        return []
    score = ks_statistic if drift.statistic == "ks" else psi
    value = score(_values(train.counts[column]), _values(test.counts[column]))
    return [
        Outcome(
            CONSISTENCY,
            f"{drift.statistic}_drift_below_threshold",
            column,
            drift.severity,
            value <= drift.threshold,
            f"{drift.statistic} statistic <= {drift.threshold:g}",
            "validation.drift.threshold",
            observed=round(value, 6),
        )
    ]


def _values(counts: pd.Series) -> np.ndarray:
    """Every counted value as often as it occurs (float; the statistics ignore the order)."""
    return np.repeat(counts.index.to_numpy(dtype=float), counts.to_numpy())


def class_balance(
    frame: pd.DataFrame, target: str, suite: ValidationConfig, split: str
) -> list[Outcome]:
    """`balance_of` a frame."""
    return balance_of(chunk_tally(frame, [target]), target, suite, split)


def balance_of(tally: Tally, target: str, suite: ValidationConfig, split: str) -> list[Outcome]:
    """The target has at least `min_classes` classes, each with at least `min_fraction` of rows."""
    check = suite.target_balance
    if check is None or target not in tally.kinds:
        return []
    counts = tally.counts[target]
    shares = counts / counts.sum()
    smallest = float(shares.min()) if len(shares) else 0.0
    ok = len(shares) >= check.min_classes and smallest >= check.min_fraction
    return [
        Outcome(
            split,
            "target_class_balance",
            target,
            check.severity,
            ok,
            f">= {check.min_classes} classes, each >= {check.min_fraction:g} of rows",
            "validation.target_balance",
            observed={"classes": len(shares), "smallest_class_fraction": round(smallest, 6)},
        )
    ]


def summarize(outcomes: list[Outcome], rows: dict[str, int]) -> dict[str, Any]:
    """reports/validation.json: counts per split and severity, drift scores, the failures."""
    splits: dict[str, Any] = {}
    for name in dict.fromkeys([*SPLITS, *(o.split for o in outcomes)]):
        mine = [o for o in outcomes if o.split == name]
        counts = {}
        for severity in ("error", "warning"):  # plural keys: DVC reads a key "error" as a failure
            of = [o for o in mine if o.severity == severity]
            passed = sum(o.success for o in of)
            counts[f"{severity}s"] = {
                "evaluated": len(of),
                "passed": passed,
                "failed": len(of) - passed,
            }
        splits[name] = counts | ({"rows": rows[name]} if name in rows else {})
    drift = {
        o.column: o.observed for o in outcomes if o.expectation.endswith("_drift_below_threshold")
    }
    failures = [
        {k: v for k, v in asdict(o).items() if k != "success"} for o in outcomes if not o.success
    ]
    return {
        "success": not any(f["severity"] == "error" for f in failures),
        "splits": splits,
        "drift": drift,
        "failures": failures,
    }


def failure_lines(
    outcomes: list[Outcome], limit: int = 10, named: int = 10, time_split: bool = False
) -> list[str]:
    """One line per failed expectation, errors first: column, expectation, observed vs expected.

    At most `limit` lines, then one naming the next `named` of the rest (split, severity,
    column, expectation) and counting the others: all of them are in the reports. With a
    `time_split` the drift warnings are one line: a later test period always drifts.
    """
    failed = sorted((o for o in outcomes if not o.success), key=lambda o: o.severity != "error")
    drifted = [
        o
        for o in failed
        if time_split
        and o.severity == "warning"
        and o.expectation.endswith("_drift_below_threshold")
    ]
    failed = [o for o in failed if o not in drifted]
    lines = []
    for o in failed[:limit]:
        fraction = (
            "" if o.unexpected_fraction is None else f", unexpected {o.unexpected_fraction:.2%}"
        )
        where = f"column {o.column!r}" if o.column else "table"
        lines.append(
            f"{o.severity}: {o.split}: {where}: {o.expectation}: "
            f"observed {shown(o.observed)}{fraction}; expected {o.expected} (config key {o.key})"
        )
    if drifted:
        columns = ", ".join(f"{o.column} {o.observed}" for o in drifted[:named])
        lines.append(
            f"warning: {len(drifted)} column(s) drift past validation.drift.threshold ({columns}"
            f"{', ...' if len(drifted) > named else ''}): expected of a time split "
            "(its test period follows the training one)"
        )
    rest = failed[limit:]
    if rest:
        names = "; ".join(
            f"{o.severity}: {o.split}: {o.column or 'table'}: {o.expectation}" for o in rest[:named]
        )
        others = f"; and {len(rest) - named} other(s)" if len(rest) > named else ""
        lines.append(
            f"... and {len(rest)} more failed expectation(s): {names}{others} "
            f"({paths.VALIDATION_REPORT})"
        )
    return lines
