"""Readable pages (the PR report, the model card): the primary metric, its interval and the
worst slice first; the rest folded in `<details>`; per-slice tables from reports/slices.json.

GitHub folds `<details>`; MLflow's description renderer drops the tag and shows its content
unfolded (its sanitizer allows `summary`, not `details`), so a folded part reads the same there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ml_pipeline.evaluation.catalog import CV_METRICS, DISPARITIES, INTERVAL_SUFFIXES, METRICS


def folded(summary: str, body: str) -> str:
    """`body` under a one-line `summary` a reader opens (blank lines keep its Markdown)."""
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def with_interval(values: Mapping[str, Any], name: str) -> str:
    """`0.9273 (95 %: 0.9233 to 0.9316)`, `0.9273` without bounds, `null` when undefined."""
    value = values.get(name)
    if value is None:
        return "null"
    low, high = (values.get(name + suffix) for suffix in INTERVAL_SUFFIXES)
    bounds = f" (95 %: {low:.4g} to {high:.4g})" if low is not None and high is not None else ""
    return f"{value:.4g}{bounds}"


def worst_slice(slices: Mapping[str, Any] | None, metric: str) -> str:
    """`age >= 65 (751 rows): 0.8724 (95 %: 0.8397 to 0.905)`, or why there is none."""
    if not slices or not slices.get("columns"):
        return "no slices configured (data.slices)"
    worst = slices["worst"].get(metric)
    if worst is None:
        return f"no judged slice (each has fewer than {slices['min_count']} test rows)"
    values = {metric: worst["value"]} | {
        metric + suffix: worst.get(suffix.removeprefix(".")) for suffix in INTERVAL_SUFFIXES
    }
    where = f"{worst['column']} `{worst['slice']}` ({worst['count']:,} rows)"
    return f"{where}: {with_interval(values, metric)}"


def lead(
    metrics: Mapping[str, Any],
    slices: Mapping[str, Any] | None,
    primary: str,
    base: Mapping[str, Any] | None = None,
    verdict: str = "",
) -> str:
    """The lines a reader needs first: the primary metric with its interval (and the base's,
    with the `verdict` on the change), and its worst judged slice."""
    shown = f"**{primary} {with_interval(metrics, primary)}**"
    if base is not None:
        shown += f" · base {with_interval(base, primary)}" + (f": {verdict}" if verdict else "")
    return f"{shown}  \nWorst slice for {primary}: {worst_slice(slices, primary)}"


def slice_tables(
    slices: Mapping[str, Any], primary: str, base: Mapping[str, Any] | None = None
) -> str:
    """One table per slice column: rows, the primary metric (the `base` report's beside it when
    given) and the task's CV metric, each with its interval; the disparities under it."""
    names = [primary]
    task = METRICS[primary].task if primary in METRICS else "classification"
    if CV_METRICS[task] != primary:
        names.append(CV_METRICS[task])
    parts = []
    for column, content in slices.get("columns", {}).items():
        before = (base or {}).get("columns", {}).get(column, {}).get("slices", [])
        theirs = {e["slice"]: e["metrics"] for e in before}
        header = ["slice", "rows", *([f"{primary} base"] if base is not None else []), *names]
        lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
        for entry in content["slices"]:
            shown = entry["slice"] + ("" if entry["judged"] else " (small: not judged)")
            cells = [shown, f"{entry['count']:,}"]
            if base is not None:
                cells.append(with_interval(theirs.get(entry["slice"], {}), primary))
            cells += [with_interval(entry["metrics"], name) for name in names]
            lines.append("| " + " | ".join(cells) + " |")
        gaps = [
            f"{k.replace('_', ' ')} {v:.4g}"
            for k, v in content.items()
            if k in DISPARITIES and v is not None
        ]
        gaps = [f"Over the judged slices: {'; '.join(gaps)}"] if gaps else []
        parts.append("\n\n".join([f"**{column}**", "\n".join(lines), *gaps]))
    return "\n\n".join(parts) or "No slices configured (data.slices)."


def slice_table(report: Mapping[str, Any]) -> pd.DataFrame:
    """reports/slices.json flat: one row per slice (column, slice, count, judged, then each
    metric and its bounds), as MLflow shows a table artifact."""
    rows = [
        {"column": column, "slice": e["slice"], "count": e["count"], "judged": e["judged"]}
        | e["metrics"]
        for column, content in report.get("columns", {}).items()
        for e in content["slices"]
    ]
    return pd.DataFrame(rows)
