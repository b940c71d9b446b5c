"""The trigger: from each batch's evidence and the policy (conf/monitor/), `retrain` or `ok`
with the reasons in plain words. Pure functions; the stage gathers the evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ml_pipeline.core.monitor_config import MonitorConfig
from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES, direction
from ml_pipeline.monitoring.drift import ColumnDrift

RETRAIN, OK = "retrain", "ok"


@dataclass(frozen=True)
class BatchEvidence:
    """What `monitor` measured on one scored batch (realised: empty without labels)."""

    name: str
    rows: int
    labelled: int
    metric: str  # register.primary_metric
    columns: tuple[ColumnDrift, ...] = ()
    prediction: ColumnDrift | None = None
    realised: Mapping[str, float | None] = field(default_factory=dict)
    champion_value: float | None = None  # the champion's test value of `metric`


@dataclass(frozen=True)
class Decision:
    decision: str  # retrain | ok
    reasons: tuple[str, ...]
    batches: tuple[str, ...]


def drifted(column: ColumnDrift, cfg: MonitorConfig) -> bool:
    """A shift that matters (PSI) and is not chance (the test), a missing rate that moved, or
    values in categories the reference never had."""
    shifted = column.psi >= cfg.psi_threshold and column.p_value < cfg.p_value
    missing = abs(column.missing_change) >= cfg.missing_rate_change
    return shifted or missing or column.new_share >= cfg.new_category_share


def drift_score(evidence: BatchEvidence) -> float:
    """The batch's largest column PSI (0 without columns): the history's drift score."""
    return max((c.psi for c in evidence.columns), default=0.0)


def drift_reason(evidence: BatchEvidence, cfg: MonitorConfig) -> str | None:
    """Why the batch's inputs or predictions call for retraining, or None."""
    moved = [c for c in evidence.columns if drifted(c, cfg)]
    parts = []
    if len(moved) >= cfg.drifted_columns:
        shown = ", ".join(f"{c.column} (PSI {c.psi:.2f})" for c in moved[:5])
        more = f" and {len(moved) - 5} more" if len(moved) > 5 else ""
        parts.append(
            f"{len(moved)} of {len(evidence.columns)} columns drifted: {shown}{more} "
            f"(monitor.drifted_columns: {cfg.drifted_columns})"
        )
    if cfg.prediction_drift and evidence.prediction and drifted(evidence.prediction, cfg):
        parts.append(f"the predictions drifted (PSI {evidence.prediction.psi:.2f})")
    return f"batch {evidence.name}: " + "; ".join(parts) if parts else None


def metric_reason(evidence: BatchEvidence, cfg: MonitorConfig) -> str | None:
    """Why the realised metric calls for retraining: worse than the champion's test value by
    more than the tolerance, and the batch's interval excludes that value. None otherwise."""
    metric, before = evidence.metric, evidence.champion_value
    now = evidence.realised.get(metric)
    low, high = (evidence.realised.get(metric + s) for s in INTERVAL_SUFFIXES)
    if evidence.labelled < cfg.min_rows or None in (now, low, high, before):
        return None
    assert now is not None and low is not None and high is not None and before is not None
    higher = direction(metric) != "lower"
    drop = before - now if higher else now - before
    outside = high < before if higher else low > before
    if drop <= cfg.metric_tolerance or not outside:
        return None
    return (
        f"batch {evidence.name}: realised {metric} {now:.4f} (95 %: {low:.4f} to {high:.4f}) on "
        f"{evidence.labelled} labelled rows is worse than the champion's test {before:.4f} by "
        f"{drop:.4f} (monitor.metric_tolerance: {cfg.metric_tolerance})"
    )


def age_reason(age_days: float | None, version: str, cfg: MonitorConfig) -> str | None:
    limit = cfg.max_champion_age_days
    if age_days is None or limit is None or age_days <= limit:
        return None
    return (
        f"champion v{version} is {age_days:.0f} days old (monitor.max_champion_age_days: {limit:g})"
    )


def batch_note(evidence: BatchEvidence, cfg: MonitorConfig, drift_counts: bool) -> str:
    """One plain line about a batch that triggered nothing."""
    if evidence.rows < cfg.min_rows:
        return (
            f"batch {evidence.name}: {evidence.rows} rows, fewer than monitor.min_rows "
            f"({cfg.min_rows}): shown, not judged"
        )
    moved = sum(drifted(c, cfg) for c in evidence.columns)
    note = f"batch {evidence.name}: {moved} of {len(evidence.columns)} columns drifted"
    if not drift_counts:
        note += " (time-ordered data: drift is shown, not a trigger)"
    value = evidence.realised.get(evidence.metric)
    if value is not None and evidence.champion_value is not None:
        note += f"; realised {evidence.metric} {value:.4f} vs test {evidence.champion_value:.4f}"
    return note


def decide(
    evidence: list[BatchEvidence],
    cfg: MonitorConfig,
    version: str | None,
    age_days: float | None = None,
    time_split: bool = False,
) -> Decision:
    """`retrain` when a judged batch drifted or lost accuracy beyond its interval, or the
    champion is too old; else `ok`. A batch under monitor.min_rows is never judged; on a
    time-ordered dataset drift counts only with monitor.drift_on_time_split."""
    drift_counts = cfg.drift_on_time_split or not time_split
    judged = [e for e in evidence if e.rows >= cfg.min_rows]
    triggers: list[tuple[str, str]] = []
    for e in judged:
        found = [drift_reason(e, cfg) if drift_counts else None, metric_reason(e, cfg)]
        triggers += [(e.name, r) for r in found if r]
    old = age_reason(age_days, version, cfg) if version else None
    names = tuple(e.name for e in evidence)
    if triggers or old:
        reasons = tuple(r for _, r in triggers) + ((old,) if old else ())
        return Decision(RETRAIN, reasons, tuple(dict.fromkeys(n for n, _ in triggers)) or names)
    if not evidence:
        return Decision(OK, ("no scored batch: nothing to judge",), ())
    return Decision(OK, tuple(batch_note(e, cfg, drift_counts) for e in evidence), names)
