"""Paired comparison of two models on the same test rows: the difference of each metric with its
95 % paired-bootstrap interval, and the per-row predictions it is computed from.

Paired: each resample draws the same rows for both models (evaluation/intervals.py
`count_chunks`, seeded), so the interval is of the difference on one set of rows and much
narrower than two separate intervals: the rows both models find hard cancel out. Both models'
replicate metrics are the weighted sums of `intervals.statistic`; no loop runs over rows.

evaluate writes the predictions (`PREDICTIONS`, a cached DVC output: one row per test row, the
target, the prediction and one `proba.<class>` column per class) so that `register` and the
pull-request report compare without re-scoring the candidate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.evaluation.intervals import LEVEL, REPLICATES, count_chunks, statistic
from ml_pipeline.evaluation.metrics import Scored, positive_class, rounded

PROBA_PREFIX = "proba."


@dataclass(frozen=True)
class Paired:
    """candidate − champion of one metric on the same rows, with its 95 % interval."""

    metric: str
    difference: float | None
    ci_lower: float | None
    ci_upper: float | None
    rows: int
    replicates: int

    def excludes_zero(self, direction: str) -> bool:
        """The whole interval is on the better side of zero: the candidate is better beyond
        what the test rows leave in doubt."""
        if self.ci_lower is None or self.ci_upper is None:
            return False
        return self.ci_lower > 0 if direction == "higher" else self.ci_upper < 0

    def shown(self) -> str:
        """`+0.0012 [−0.0008, +0.0031]` (95 % paired bootstrap)."""
        if self.difference is None or self.ci_lower is None or self.ci_upper is None:
            return "undefined"
        return f"{self.difference:+.4g} [{self.ci_lower:+.4g}, {self.ci_upper:+.4g}]"


def predictions_frame(scored: Scored) -> pd.DataFrame:
    """The per-row predictions of `scored` (test rows in file order)."""
    frame = pd.DataFrame({"target": scored.target.to_numpy(), "predicted": scored.predicted})
    if scored.proba is None:
        return frame.astype(float)
    frame = frame.astype(str)
    for index, name in enumerate(scored.classes):
        frame[PROBA_PREFIX + name] = np.asarray(scored.proba, float)[:, index]
    return frame


def from_predictions(frame: pd.DataFrame, positive_label: str | None) -> Scored:
    """A `Scored` (without features or metrics) from `predictions_frame`'s table."""
    classes = [c.removeprefix(PROBA_PREFIX) for c in frame.columns if c.startswith(PROBA_PREFIX)]
    target, predicted = frame["target"], frame["predicted"].to_numpy()
    if not classes:
        return Scored({}, pd.DataFrame(), target, predicted, None, [], None, 0.0)
    proba = frame[[PROBA_PREFIX + c for c in classes]].to_numpy(float)
    positive = positive_class(classes, positive_label)
    return Scored({}, pd.DataFrame(), target, predicted, proba, classes, positive, 0.0)


def same_rows(first: Scored, second: Scored) -> bool:
    """Both scored the same test rows: same targets in the same order, same classes."""
    one, two = first.target.to_numpy(), second.target.to_numpy()
    return first.classes == second.classes and len(one) == len(two) and bool((one == two).all())


def paired_differences(
    candidate: Scored, champion: Scored, seed: int, replicates: int = REPLICATES
) -> dict[str, Paired]:
    """Every metric's candidate − champion on the same rows, with its 95 % paired interval."""
    if not same_rows(candidate, champion):
        raise ValueError("the two models did not score the same test rows")
    rows = len(candidate.target)
    new, old = statistic(candidate), statistic(champion)
    ones = np.ones((1, rows))
    at_once = old(ones)  # the metrics on the rows as they are (every weight 1)
    points = {name: value[0] - at_once[name][0] for name, value in new(ones).items()}
    draws: dict[str, list[np.ndarray]] = {name: [] for name in points}
    for weights in count_chunks(rows, replicates, seed):
        before = old(weights)
        for name, values in new(weights).items():
            draws[name].append(values - before[name])
    tail = 100 * (1 - LEVEL) / 2
    paired = {}
    for name, point in points.items():
        values = np.concatenate(draws[name])
        defined = np.isfinite(point) and np.isfinite(values).any()
        low, high = np.nanpercentile(values, [tail, 100 - tail]) if defined else (None, None)
        shown = rounded({"d": point if defined else None, "low": low, "high": high})
        paired[name] = Paired(name, shown["d"], shown["low"], shown["high"], rows, replicates)
    return paired


def paired_report(paired: Paired | None, note: str) -> dict[str, Any] | None:
    """registration.json's `paired`: the difference, its interval and how it was paired, or why
    there is none (None: no comparison was made)."""
    if not note:
        return None
    if paired is None:
        return {"comparable": False, "reason": note}
    return {"comparable": True, **asdict(paired), "level": LEVEL, "basis": note}
