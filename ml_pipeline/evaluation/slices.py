"""Per-slice test metrics (`data.slices`): counts, 95 % intervals, the worst slice, disparities.

fairlearn's `MetricFrame` groups the test rows by each slice column; each group is scored with
evaluation/intervals.py's statistic: at unit weights for its metrics (metrics.py's values), and
over the seeded resamples of the whole test split for its 95 % intervals. A slice of fewer than
`min_count` rows is shown but not judged: it is left out of the worst slice and the disparities
(and the per-slice gate, registry/slice_gate.py). Binary classifiers also get, per column, the
demographic parity difference (spread of the positive-prediction rate) and the equalised odds
difference (the larger spread of the true- and false-positive rates) over the judged slices.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core.data_config import SlicesConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation.catalog import (
    DISPARITIES,
    INTERVAL_SUFFIXES,
    TASK_METRICS,
    WORST_PREFIX,
    direction,
)
from ml_pipeline.evaluation.intervals import LEVEL, Stats, count_chunks, statistic
from ml_pipeline.evaluation.metrics import Scored, mape_defined, rounded

Stat = Callable[[np.ndarray], Stats]  # replicate weights → each metric's values (intervals.py)
MISSING = "(missing)"
# Resamples per slice bound: a quarter of intervals.py's 1,000 keeps the slices' cost below a
# second on adult; their widths stay within about 10 % of 1,000 resamples' (docs/slices.md).
SLICE_REPLICATES = 250
NO_SLICES: dict[str, Any] = {"min_count": None, "columns": {}, "worst": {}}  # data.slices: null
MAX_PREFIX = "slice_max."  # metrics.json: the largest disparity over the slice columns


def slice_labels(features: pd.DataFrame, config: SlicesConfig) -> dict[str, pd.Series]:
    """Each test row's slice per column: its value as text, or its band (`[25, 35)`)."""
    labels = {}
    for column in config.columns:
        if column not in features:
            raise StageError(
                f"data.slices.columns: {column!r} is not a column the model sees (features."
                "raw_features is false?); slice on a raw column the model keeps, or remove it"
            )
        values = features[column]
        if column in config.bands:
            edges = config.bands[column]
            names = band_names(edges)
            cut = pd.cut(values, [-math.inf, *edges, math.inf], right=False, labels=names)
            labels[column] = cut.astype(object).where(cut.notna(), MISSING)
        else:
            labels[column] = values.astype(object).where(values.notna(), MISSING)
    return {column: series.astype(str).reset_index(drop=True) for column, series in labels.items()}


def band_names(edges: list[float]) -> list[str]:
    """`< 25`, `[25, 35)`, …, `>= 65`: the bands of `edges`, in order."""
    inner = [f"[{a:g}, {b:g})" for a, b in zip(edges, edges[1:], strict=False)]
    return [f"< {edges[0]:g}", *inner, f">= {edges[-1]:g}"]


def group_scored(scored: Scored, rows: np.ndarray) -> tuple[Scored, Stat]:
    """`scored` restricted to the test rows at positions `rows`, with their metrics, and its
    bootstrap statistic (intervals.py). The metrics are the statistic at unit weights, which
    gives metrics.py's values (a test checks it) without its per-call cost, and null where a
    slice cannot define one (ROC AUC of one class, R² of one row, MAPE near a zero target)."""
    target = scored.target.iloc[rows]
    proba = None if scored.proba is None else scored.proba[rows]
    part = replace(scored, features=scored.features.iloc[rows], target=target, proba=proba)
    part = replace(part, predicted=np.asarray(scored.predicted)[rows])
    stat = statistic(part)
    with np.errstate(all="ignore"):
        values: dict[str, float | None] = {
            k: float(v[0]) for k, v in stat(np.ones((1, len(rows)))).items()
        }
    if "mape" in values and not mape_defined(target):
        values["mape"] = None
    return replace(part, metrics=rounded(finite(values))), stat


def finite(values: dict[str, float | None]) -> dict[str, float | None]:
    """Null for a value that is not a finite number."""
    return {k: None if v is None or not math.isfinite(v) else v for k, v in values.items()}


# fairlearn's selection_rate, true_positive_rate and false_positive_rate on boolean arrays, as
# numpy means (they ignore the row weights this module never passes; a test compares them).
RATES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "selection_rate": lambda _true, said: said.mean(),
    "true_positive_rate": lambda true, said: said[true].mean() if true.any() else 0.0,
    "false_positive_rate": lambda true, said: said[~true].mean() if (~true).any() else 0.0,
}


def column_slices(
    scored: Scored, labels: pd.Series, min_count: int
) -> tuple[list[dict[str, Any]], pd.DataFrame | None]:
    """One entry per slice of a column (largest first: count, judged, rows, metrics) and, for a
    binary classifier, the slices' rates (`RATES`), from one fairlearn `MetricFrame`. One
    metric function per group: fairlearn copies every argument element by element per call."""
    from fairlearn.metrics import MetricFrame

    def one(true: np.ndarray, said: np.ndarray, rows: np.ndarray) -> dict[str, Any]:
        return {"rows": rows} | {name: rate(true, said) for name, rate in RATES.items()}

    binary = scored.positive is not None and len(scored.classes) == 2
    positive = str(scored.positive)
    frame = MetricFrame(
        metrics={"slice": one},
        y_true=scored.target.astype(str).to_numpy() == positive,  # all false unless binary
        y_pred=np.asarray(scored.predicted).astype(str) == positive,
        sensitive_features=labels,
        sample_params={"slice": {"rows": np.arange(len(labels))}},
    )
    groups = frame.by_group["slice"]
    entries = []
    for name, value in groups.items():  # scored here, by group only (not the overall rows)
        rows = value["rows"]
        part, stat = group_scored(scored, rows)
        entries.append({"slice": str(name), "count": len(rows), "judged": len(rows) >= min_count})
        entries[-1] |= {"metrics": part.metrics, "rows": rows, "stat": stat}
    rates = pd.DataFrame([{k: v[k] for k in RATES} for v in groups], index=groups.index)
    return sorted(entries, key=lambda e: (-e["count"], e["slice"])), rates if binary else None


def add_intervals(
    scored: Scored, entries: list[dict[str, Any]], seed: int, replicates: int
) -> None:
    """Each slice's 95 % bounds (`<metric>.ci_lower`/`.ci_upper` beside its metrics), from one
    bootstrap of the whole test split (intervals.py's resamples under `seed`, the first
    `replicates`): a replicate's slice value is the metric over the slice's rows it drew."""
    stats = [e.pop("stat") for e in entries]
    drawn: list[dict[str, list[np.ndarray]]] = [{} for _ in entries]
    with np.errstate(all="ignore"):
        for weights in count_chunks(len(scored.target), replicates, seed):
            by_row = weights.T  # C-ordered rows × replicates, as intervals.py builds them
            for entry, stat, values in zip(entries, stats, drawn, strict=True):
                for name, value in stat(by_row[entry["rows"]].T).items():
                    values.setdefault(name, []).append(value)
    tail = 100 * (1 - LEVEL) / 2
    lower, upper = INTERVAL_SUFFIXES
    for entry, values in zip(entries, drawn, strict=True):
        bounds: dict[str, float | None] = {}
        for name, point in entry["metrics"].items():
            low, high = (
                np.nanpercentile(np.concatenate(values[name]), [tail, 100 - tail])
                if point is not None and name in values
                else (math.nan, math.nan)
            )
            bounds[name + lower], bounds[name + upper] = float(low), float(high)
        entry["metrics"] = entry["metrics"] | rounded(finite(bounds))
        del entry["rows"]


def disparities(rates: pd.DataFrame, judged: list[str]) -> dict[str, float | None]:
    """Demographic parity difference (spread of the selection rate) and equalised odds
    difference (the larger spread of the true- and false-positive rates) over the judged
    slices; null with fewer than two."""
    if len(judged) < 2:
        return dict.fromkeys(DISPARITIES)
    spread = rates.loc[judged].max() - rates.loc[judged].min()
    values = [
        spread["selection_rate"],
        max(spread["true_positive_rate"], spread["false_positive_rate"]),
    ]
    return rounded(dict(zip(DISPARITIES, values, strict=True)))


def slice_report(scored: Scored, config: SlicesConfig, seed: int, task: str) -> dict[str, Any]:
    """reports/slices.json: per column its slices (and disparities), then the worst judged
    slice per metric."""
    columns: dict[str, Any] = {}
    for column, labels in slice_labels(scored.features, config).items():
        entries, rates = column_slices(scored, labels.rename(column), config.min_count)
        if column in config.bands:  # bands in their order, values by size
            order = [*band_names(config.bands[column]), MISSING]
            entries.sort(key=lambda e: order.index(e["slice"]))
        columns[column] = {"slices": entries}
        if rates is not None:
            columns[column] |= disparities(rates, [e["slice"] for e in entries if e["judged"]])
    entries = [e for c in columns.values() for e in c["slices"]]
    add_intervals(scored, entries, seed, SLICE_REPLICATES)
    return {"min_count": config.min_count, "columns": columns, "worst": worst(columns, task)}


def worst(columns: dict[str, Any], task: str) -> dict[str, Any]:
    """Per metric, the judged slice with the worst value (the catalog's direction): column,
    slice, count, value and its bounds."""
    found: dict[str, Any] = {}
    for metric in TASK_METRICS[task]:
        sign = 1 if direction(metric) == "higher" else -1
        candidates = [
            (sign * entry["metrics"][metric], column, entry)
            for column, content in columns.items()
            for entry in content["slices"]
            if entry["judged"] and entry["metrics"].get(metric) is not None
        ]
        if candidates:
            _, column, entry = min(candidates, key=lambda c: c[0])
            found[metric] = {"column": column, "slice": entry["slice"], "count": entry["count"]}
            bounds = [metric + suffix for suffix in INTERVAL_SUFFIXES]
            found[metric] |= {"value": entry["metrics"][metric]}
            found[metric] |= {k.removeprefix(metric + "."): entry["metrics"][k] for k in bounds}
    return found


def summary(report: dict[str, Any], primary: str) -> dict[str, float | None]:
    """The few metrics.json keys: the primary metric on the worst judged slice and, for binary
    classifiers, the largest disparity over the slice columns."""
    keys: dict[str, float | None] = {
        WORST_PREFIX + primary: report["worst"].get(primary, {}).get("value")
    }
    for name in DISPARITIES:
        values = [c[name] for c in report["columns"].values() if c.get(name) is not None]
        if any(name in c for c in report["columns"].values()):
            keys[MAX_PREFIX + name] = max(values) if values else None
    return keys
