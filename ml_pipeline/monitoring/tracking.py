"""Monitoring in MLflow, linked to the champion's version: a run per `monitor` execution tagged
with the model name and version (its metrics are monitor.json's `latest.*` numbers, its
artifacts the report and the decision), and on the version the latest decision, the run that
made it and the card's "Since release" section."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from ml_pipeline.core import paths
from ml_pipeline.monitoring.card import with_since_release
from ml_pipeline.registry.model_card import fitted
from ml_pipeline.tracking.lineage import (
    MONITOR_DECISION,
    MONITOR_MODEL,
    MONITOR_RUN,
    MONITOR_VERSION,
)
from ml_pipeline.tracking.session import Tracking, active_run, log_batch, log_files

NOT_IN_A_KEY = re.compile(r"[^A-Za-z0-9_\-. /]")  # what MLflow refuses in a metric name


def metric_key(name: str) -> str:
    return NOT_IN_A_KEY.sub("_", name)


def log_monitoring(
    tracking: Tracking,
    model: str,
    version: str,
    decision: str,
    numbers: dict[str, float | int],
    staged: dict[Path, Path],
    card: list[str],
) -> str:
    """Log the monitoring run, then tag the version and update its card; return the run id."""
    tags = {MONITOR_MODEL: model, MONITOR_VERSION: version, MONITOR_DECISION: decision}
    with active_run(tracking, None, None, **tags) as run:  # no system metrics: seconds long
        latest = {k: v for k, v in numbers.items() if not k.startswith("batch.")}
        log_batch(tracking, run.info.run_id, metrics={metric_key(k): v for k, v in latest.items()})
        with tempfile.TemporaryDirectory() as tmp:  # under their own names, not the staged ones
            for path in (paths.MONITOR_HTML, paths.MONITOR_DECISION, paths.MONITOR_REPORT):
                shutil.copyfile(staged[path], Path(tmp) / path.name)
            log_files(sorted(Path(tmp).iterdir()), "monitoring")
    client, run_id = tracking.client, run.info.run_id
    with tracking.timer("registry"):
        client.set_model_version_tag(model, version, MONITOR_DECISION, decision)
        client.set_model_version_tag(model, version, MONITOR_RUN, run_id)
        description = client.get_model_version(model, version).description or ""
        described = fitted(with_since_release(description, card))
        client.update_model_version(model, version, described)
    return run_id
