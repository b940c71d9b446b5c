"""The pages of monitoring/html.py put together: the monitoring report and the data profile."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ml_pipeline.core.monitor_config import MonitorConfig
from ml_pipeline.monitoring import html
from ml_pipeline.monitoring.policy import BatchEvidence, Decision, drifted
from ml_pipeline.monitoring.summary import batch_line, history, shadow_line


def monitor_page(
    title: str,
    evidence: Sequence[BatchEvidence],
    shadows: Sequence[Mapping[str, float | None]],
    decision: Decision,
    reference: pd.DataFrame | None,
    batches: Mapping[str, pd.DataFrame],
    cfg: MonitorConfig,
    task: str,
) -> str:
    """Decision and reasons, the history over batches, then each batch newest first: its line,
    shadow numbers, and per column the drift statistics and both distributions."""
    sections = [html.banner(decision.decision, decision.reasons)]
    table = history(list(evidence), cfg)
    lines = dict(zip(table["batch"], map(batch_line, table.to_dict("records")), strict=True))
    if evidence:
        names = list(table["batch"])
        realised = [None if pd.isna(v) else float(v) for v in table["realised"]]
        metric = evidence[-1].metric
        sections += [
            "<h2>Over time</h2>",
            html.history_svg(list(table["drift_score"]), names, "Drift score (largest column PSI)"),
            html.history_svg(realised, names, f"Realised {metric} (labelled rows)"),
            html.key(),
        ]
    for e, shadow in reversed(list(zip(evidence, shadows, strict=True))):
        sections.append(f"<h2>Batch {html.esc(e.name)}</h2><p>{html.esc(lines[e.name])}</p>")
        if shadow:
            shown = shadow_line(shadow, e.metric, task)
            sections.append(f"<p>Shadow scoring: {html.esc(shown)}</p>")
        if reference is not None:
            drifts = [*e.columns, *([e.prediction] if e.prediction else [])]
            flagged = {d.column for d in drifts if drifted(d, cfg)}
            sections.append(
                html.columns_table(drifts, flagged, reference, batches[e.name], cfg.psi_threshold)
            )
    subtitle = f"{len(evidence)} scored batch(es); thresholds from conf/monitor/ (params.yaml)"
    return html.page(title, subtitle, sections)


def profile_page(
    title: str, frame: pd.DataFrame, numeric: list[str], categorical: list[str]
) -> str:
    """The data profile: one dataset's columns, as the monitoring report shows a reference."""
    subtitle = f"{len(frame):,} rows, {frame.shape[1]} columns"
    return html.page(title, subtitle, [html.profile_table(frame, numeric, categorical)])
