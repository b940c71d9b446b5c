"""What the pull-request comment says of each metric: better, worse, within noise, or not ranked."""

from __future__ import annotations

# Metrics where a smaller value is better; every other model metric is better when larger.
LOWER_IS_BETTER = ("log_loss", "rmse", "mae", "mape", "mse", "brier", "loss", "error")
NOT_RANKED = ("_std", "seconds", "_ms_per_row")  # spread and timings: no better or worse


def direction(metric: str) -> str | None:
    """`higher`, `lower`, or None for a value that is not better or worse (a spread, a time)."""
    if metric.endswith(NOT_RANKED):
        return None
    name = metric.removeprefix("cv_").removesuffix("_mean")
    return "lower" if any(part in name for part in LOWER_IS_BETTER) else "higher"


def verdict(metric: str, old: object, new: object, noise: float | None) -> str:
    """✅ better / ❌ worse (by more than `noise`), ≈ within it, unchanged, or — (not ranked)."""
    if not isinstance(old, int | float) or not isinstance(new, int | float):
        return "—"
    towards = direction(metric)
    if towards is None:
        return "—"
    if new == old:
        return "unchanged"
    better = new > old if towards == "higher" else new < old
    word = "better" if better else "worse"
    if noise and abs(new - old) <= noise:
        return f"≈ {word} (within noise)"
    return f"✅ {word}" if better else f"❌ {word}"
