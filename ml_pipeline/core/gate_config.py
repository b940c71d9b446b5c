"""The gates: `register` (thresholds and promotion) and `report` (pull-request tolerances).

A `direction` left out comes from the metric catalog (ml_pipeline/evaluation/catalog.py); one
that contradicts it is refused with the key named.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ml_pipeline.core.config_base import Directed, Direction, Strict
from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES, METRICS


class GateRuleConfig(Directed):
    """`metric` may get worse than the base revision by at most `tolerance` (a fraction)."""

    metric: str
    direction: Direction
    tolerance: float = Field(ge=0)


class ReportConfig(Strict):
    """`make report`: metrics that gate a pull request (tolerance: a fraction of the base)."""

    gate: list[GateRuleConfig]


class ThresholdConfig(Directed):
    """`metric` must be `direction` than or equal to `value` (absolute, on the test split).

    `bound: point` gates the metric itself; `bound: conservative` gates the end of its 95 %
    interval on the bad side (`<metric>.ci_lower` when higher is better, `.ci_upper` when lower
    is better; evaluation/intervals.py): a model passes only when the test data leave little
    doubt that it reaches `value`.
    """

    metric: str
    direction: Direction
    value: float
    bound: Literal["point", "conservative"] = "point"

    @model_validator(mode="after")
    def _bound_has_an_interval(self) -> ThresholdConfig:
        if self.bound == "conservative" and self.metric not in METRICS:
            raise ValueError(
                f"bound 'conservative' needs a test metric with an interval (one of: "
                f"{', '.join(METRICS)}), not {self.metric!r}; write bound: point"
            )
        return self

    def gated(self) -> str:
        """The metrics.json key compared with `value`: the metric, or its conservative bound."""
        if self.bound == "point":
            return self.metric
        lower, upper = INTERVAL_SUFFIXES
        return self.metric + (lower if self.direction == "higher" else upper)


class RegisterConfig(Directed):
    """The registration gate: thresholds, then promotion on the primary metric."""

    METRIC_KEY = "primary_metric"

    primary_metric: str
    direction: Direction
    thresholds: list[ThresholdConfig]
    compare_with_champion: bool
    # Register only a model whose primary metric beats `baseline.<primary_metric>` by a skill
    # score of at least `baseline_margin` (evaluation/baselines.py, registry/promotion.py).
    beat_baseline: bool
    baseline_margin: float = Field(ge=0, lt=1)
    # Refuse a model whose primary metric on a judged slice (data.slices) is worse than the
    # champion's on that slice beyond the slice's 95 % interval (registry/slice_gate.py).
    slice_gate: bool = False
    # Champion only when the paired difference of the primary metric with the champion on the
    # same test rows has a 95 % interval on the better side of zero (registry/pairing.py).
    require_paired_interval: bool = False

    def named_metrics(self) -> list[tuple[str, str]]:
        """(config key, metric) for every metric the gate names."""
        named = [("register.primary_metric", self.primary_metric)]
        named += [
            (f"register.thresholds[{i}].metric", t.metric) for i, t in enumerate(self.thresholds)
        ]
        return named
