"""MLflow system metrics on a run (tracking/session.py `active_run(system_metrics=...)`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.tracking.session import active_run, connect


def test_system_metrics_are_sampled_only_when_asked(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_dir)
    monkeypatch.delenv("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", raising=False)
    params = load_params(paths.PARAMS)
    assert params.tracking.system_metrics_seconds is not None  # on by default (conf/tracking)
    tracking = connect(params.tracking.experiment)
    with active_run(tracking, system_metrics=0.2) as sampled:
        time.sleep(1.5)
    with active_run(tracking) as plain:
        time.sleep(0.5)
    logged = tracking.client.get_run(sampled.info.run_id).data.metrics
    assert {"system/cpu_utilization_percentage", "system/system_memory_usage_megabytes"} <= set(
        logged
    )
    assert 0 <= logged["system/cpu_utilization_percentage"] <= 100
    history = tracking.client.get_metric_history(
        sampled.info.run_id, "system/cpu_utilization_percentage"
    )
    assert len(history) >= 2  # one per interval
    assert not any(
        k.startswith("system/") for k in tracking.client.get_run(plain.info.run_id).data.metrics
    )
