"""The registration gate as pure functions: thresholds, comparison, the model card."""

from __future__ import annotations

from typing import Any

from stages.config import Direction, Params, RegisterConfig
from stages.errors import StageError


def check_metrics_exist(config: RegisterConfig, metrics: dict[str, float]) -> None:
    """Every metric the gate names must be in metrics.json (the task decides which exist)."""
    for key, metric in config.named_metrics():
        if metric not in metrics:
            present = ", ".join(sorted(metrics))
            raise StageError(
                f"{key}: metric {metric!r} is not in metrics.json (has: {present}); choose this "
                "dataset's gate with `- override /register: <option>` in its conf/data file"
            )


def at_least(value: float, bound: float, direction: Direction) -> bool:
    """`value` is at least as good as `bound` in `direction`."""
    return value >= bound if direction == "higher" else value <= bound


UNDEFINED = " (not gated: null, undefined on this data)"


def check_thresholds(config: RegisterConfig, metrics: dict[str, float]) -> list[dict[str, Any]]:
    """One entry per threshold: metric, direction, threshold, observed value, passed.

    A metric that is null in metrics.json (MAPE near a zero target) is undefined: not gated."""
    return [
        {
            "metric": t.metric,
            "rule": f"{t.metric} {'>=' if t.direction == 'higher' else '<='} {t.value}"
            + (UNDEFINED if metrics[t.metric] is None else ""),
            "observed": metrics[t.metric],
            "passed": metrics[t.metric] is None
            or at_least(metrics[t.metric], t.value, t.direction),
        }
        for t in config.thresholds
    ]


def model_card(
    params: Params, metrics: dict[str, float], checks: list[dict[str, Any]], decision: str
) -> str:
    """A short model card for the registered version's description."""
    model = params.model.model_dump()
    shown = ", ".join(f"{k}={v}" for k, v in sorted(metrics.items()))
    rules = "; ".join(f"{c['rule']} (observed {c['observed']})" for c in checks) or "none"
    return "\n".join(
        [
            f"Model: scikit-learn Pipeline, family {model.pop('name')} "
            f"({', '.join(f'{k}={v}' for k, v in model.items())}), seed {params.seed}.",
            f"Data: {params.data.name} ({params.data.task}, target {params.data.target!r}), "
            f"split {params.split.method}.",
            f"Test metrics: {shown}.",
            f"Gate: {rules}. Decision: {decision}.",
        ]
    )
