"""The gates: `register` (thresholds and promotion) and `report` (pull-request tolerances).

A `direction` left out comes from the metric catalog (ml_pipeline/evaluation/catalog.py); one
that contradicts it is refused with the key named.
"""

from __future__ import annotations

from pydantic import Field

from ml_pipeline.core.config_base import Directed, Direction, Strict


class GateRuleConfig(Directed):
    """`metric` may get worse than the base revision by at most `tolerance` (a fraction)."""

    metric: str
    direction: Direction
    tolerance: float = Field(ge=0)


class ReportConfig(Strict):
    """`make report`: metrics that gate a pull request (tolerance: a fraction of the base)."""

    gate: list[GateRuleConfig]


class ThresholdConfig(Directed):
    """`metric` must be `direction` than or equal to `value` (absolute, on the test split)."""

    metric: str
    direction: Direction
    value: float


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

    def named_metrics(self) -> list[tuple[str, str]]:
        """(config key, metric) for every metric the gate names."""
        named = [("register.primary_metric", self.primary_metric)]
        named += [
            (f"register.thresholds[{i}].metric", t.metric) for i, t in enumerate(self.thresholds)
        ]
        return named
