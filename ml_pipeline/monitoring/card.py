"""The model card's "Since release" section: how a registered version behaves on scored batches.

`register` writes the section empty (registry/model_card.py); each `monitor` run replaces it in
the champion version's description with its batches and decision.
"""

from __future__ import annotations

from collections.abc import Sequence

from ml_pipeline.core.monitor_config import MonitorConfig
from ml_pipeline.monitoring.policy import BatchEvidence, Decision
from ml_pipeline.monitoring.summary import batch_line, history

HEADING = "### Since release"


def since_release(
    evidence: Sequence[BatchEvidence] | None = None,
    decision: Decision | None = None,
    cfg: MonitorConfig | None = None,
) -> list[str]:
    """The section's lines: one per scored batch and the latest decision, or a note that the
    version has not been monitored yet."""
    if not evidence or decision is None or cfg is None:
        return [HEADING, "- not monitored yet: `make monitor` fills this section after scoring"]
    rows = history(list(evidence), cfg).to_dict("records")
    lines = [HEADING] + [f"- {batch_line(row)}" for row in rows]
    lines.append(f"- Latest decision: **{decision.decision}**: {'; '.join(decision.reasons)}")
    return lines


def with_since_release(description: str, section: list[str]) -> str:
    """`description` with its "Since release" section replaced by `section` (appended when it
    has none); the rest of the card is kept as it was."""
    lines = description.splitlines()
    if HEADING not in lines:
        return "\n".join([*lines, "", *section])
    start = lines.index(HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("### ")), len(lines))
    tail = lines[end:]
    return "\n".join([*lines[:start], *section, *([""] if tail else []), *tail])
