"""The monitoring policy: when `monitor` says `retrain` (defaults: conf/monitor/default.yaml)."""

from __future__ import annotations

from pydantic import Field

from ml_pipeline.core.config_base import Strict


class MonitorConfig(Strict):
    """Drift thresholds, how many drifted columns, the metric drop, minimum rows, champion age."""

    psi_threshold: float = Field(gt=0)
    p_value: float = Field(gt=0, lt=1)
    bins: int = Field(ge=2, le=100)
    missing_rate_change: float = Field(gt=0, le=1)
    new_category_share: float = Field(gt=0, le=1)
    drifted_columns: int = Field(ge=1)
    prediction_drift: bool
    metric_tolerance: float = Field(ge=0)
    min_rows: int = Field(ge=1)
    max_champion_age_days: float | None = Field(gt=0)
    drift_on_time_split: bool
