"""What the pull-request comment says of each metric: better, worse, within noise, or not ranked."""

from __future__ import annotations

from ml_pipeline.evaluation.catalog import direction
from ml_pipeline.evaluation.paired import Paired


def verdict(
    metric: str, old: object, new: object, noise: float | None, paired: Paired | None = None
) -> str:
    """✅ better / ❌ worse (by more than `noise`), ≈ within it, unchanged, or — (not ranked:
    a spread, a timing, a metric the catalog does not know). With `paired` (both revisions
    scored the same rows), better or worse means its 95 % interval excludes zero."""
    if not isinstance(old, int | float) or not isinstance(new, int | float):
        return "—"
    towards = direction(metric)
    if towards is None:
        return "—"
    if new == old:
        return "unchanged"
    better = new > old if towards == "higher" else new < old
    word = "better" if better else "worse"
    if paired is not None and paired.ci_lower is not None:
        shown = f"paired 95 % CI {paired.shown()}"
        if paired.excludes_zero(towards):
            return f"✅ better ({shown})"
        if paired.excludes_zero(opposite(towards)):
            return f"❌ worse ({shown})"
        return f"≈ {word} ({shown} includes 0)"
    if noise and abs(new - old) <= noise:
        return f"≈ {word} (within noise)"
    return f"✅ {word}" if better else f"❌ {word}"


def opposite(towards: str) -> str:
    return "lower" if towards == "higher" else "higher"
