"""What the pull-request comment says of each metric: better, worse, within noise, or not ranked."""

from __future__ import annotations

from ml_pipeline.evaluation.catalog import direction


def verdict(metric: str, old: object, new: object, noise: float | None) -> str:
    """✅ better / ❌ worse (by more than `noise`), ≈ within it, unchanged, or — (not ranked:
    a spread, a timing, a metric the catalog does not know)."""
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
