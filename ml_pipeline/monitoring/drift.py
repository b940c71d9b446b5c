"""Per-column drift of a batch against the champion's reference sample: PSI with a KS test for
numbers, PSI with a chi² test for categories, the missing-rate change and new categories.

Pure functions over pandas and scipy.stats (Evidently 0.7 does not import with pandas 3: see
docs/monitoring.md). Which of these numbers count as drift is the policy's (monitoring/policy.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SHARE_FLOOR = 1e-4  # a bin's share in PSI is at least this: an empty bin is not infinite drift
PREDICTION = "prediction"  # the name a prediction's drift is reported under


@dataclass(frozen=True)
class ColumnDrift:
    """One column of a batch against the reference; `test` is `ks` or `chi2`."""

    column: str
    kind: str  # numeric | categorical
    psi: float
    test: str
    statistic: float
    p_value: float
    missing_reference: float
    missing_batch: float
    new_categories: tuple[str, ...] = ()
    new_share: float = 0.0  # share of the batch's non-missing values in new categories

    @property
    def missing_change(self) -> float:
        return self.missing_batch - self.missing_reference


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins:
    Σ (a − e) · ln(a / e) over the shares, each floored at SHARE_FLOOR."""
    e = np.maximum(expected / max(expected.sum(), 1), SHARE_FLOOR)
    a = np.maximum(actual / max(actual.sum(), 1), SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def missing_share(values: pd.Series) -> float:
    return float(values.isna().mean()) if len(values) else 0.0


def _drift(
    column: str,
    kind: str,
    test: str,
    figures: tuple[float, float, float],
    reference: pd.Series,
    batch: pd.Series,
    unseen: tuple[str, ...] = (),
    unseen_share: float = 0.0,
) -> ColumnDrift:
    """A `ColumnDrift` of (PSI, statistic, p-value), rounded as reports show them."""
    value, statistic, p_value = figures
    return ColumnDrift(
        column,
        kind,
        round(value, 6),
        test,
        round(statistic, 6),
        float(f"{p_value:.6g}"),
        round(missing_share(reference), 6),
        round(missing_share(batch), 6),
        unseen,
        round(unseen_share, 6),
    )


def numeric_drift(column: str, reference: pd.Series, batch: pd.Series, bins: int) -> ColumnDrift:
    """PSI over the reference's quantile bins and the two-sample KS test."""
    from scipy.stats import ks_2samp

    ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(float)
    new = pd.to_numeric(batch, errors="coerce").dropna().to_numpy(float)
    if len(ref) == 0 or len(new) == 0:
        value, statistic, p_value = 0.0, 0.0, 1.0
    else:
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
        count = len(edges) + 1
        value = psi(
            np.bincount(np.searchsorted(edges, ref, side="right"), minlength=count),
            np.bincount(np.searchsorted(edges, new, side="right"), minlength=count),
        )
        test = ks_2samp(ref, new)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    return _drift(column, "numeric", "ks", (value, statistic, p_value), reference, batch)


def categorical_drift(column: str, reference: pd.Series, batch: pd.Series) -> ColumnDrift:
    """PSI over the categories of both, the chi² test of their counts, and the categories the
    reference never had."""
    from scipy.stats import chi2_contingency

    ref = reference.dropna().astype(str).value_counts()
    new = batch.dropna().astype(str).value_counts()
    levels = sorted(set(ref.index) | set(new.index))
    expected, actual = (counts.reindex(levels, fill_value=0).to_numpy() for counts in (ref, new))
    value, statistic, p_value = psi(expected, actual), 0.0, 1.0
    if len(levels) > 1 and expected.sum() and actual.sum():
        test = chi2_contingency(np.vstack([expected, actual]))
        statistic, p_value = float(test.statistic), float(test.pvalue)
    unseen = tuple(level for level in levels if level not in ref.index)
    unseen_share = float(new[list(unseen)].sum() / new.sum()) if unseen else 0.0
    figures = (value, statistic, p_value)
    return _drift(column, "categorical", "chi2", figures, reference, batch, unseen, unseen_share)


def column_drifts(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    bins: int,
) -> list[ColumnDrift]:
    """Every configured column present in both frames, numbers first, in config order."""
    both = [c for c in [*numeric, *categorical] if c in reference and c in batch]
    return [
        numeric_drift(c, reference[c], batch[c], bins)
        if c in numeric
        else categorical_drift(c, reference[c], batch[c])
        for c in both
    ]


def prediction_drift(
    reference: pd.DataFrame, batch: pd.DataFrame, bins: int, column: str | None = None
) -> ColumnDrift | None:
    """The champion's output on the batch against its output on the reference: the positive
    class's probability (`score`) when there is one, else the prediction (numbers: KS; labels:
    chi²). None when either side lacks it."""
    column = column or ("score" if "score" in reference and "score" in batch else PREDICTION)
    if column not in reference or column not in batch:
        return None
    ref, new = reference[column], batch[column]
    if pd.api.types.is_numeric_dtype(ref) and pd.api.types.is_numeric_dtype(new):
        found = numeric_drift(PREDICTION, ref, new, bins)
    else:
        found = categorical_drift(PREDICTION, ref, new)
    return found
