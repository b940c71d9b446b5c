"""Calibration of a classifier's probabilities: Brier score, expected calibration error (ECE) and
the reliability curve, from per-row terms so that a bootstrap replicate is one weighted sum.

Binary tasks look at the positive class's probability (is the row positive?); multi-class tasks
at the top-label confidence (is the most probable class right?). The Brier score is the mean
squared error of the probabilities (the positive class's; summed over the classes for
multi-class). ECE bins rows by that probability into `BINS` equal-width bins of [0, 1] (the last
one closed) and averages |observed rate − mean probability| over the bins, weighted by rows:
ECE = Σ_b |Σ_{i∈b} (hit_i − p_i)| / n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BINS = 10


@dataclass(frozen=True)
class Reliability:
    """Per row: the probability looked at, whether the event happened, its bin, its Brier term."""

    probability: np.ndarray
    hit: np.ndarray
    bin: np.ndarray
    brier: np.ndarray

    def columns(self) -> np.ndarray:
        """(rows × 1 + BINS): the Brier term, then hit − probability in the row's bin column."""
        gap = np.zeros((len(self.hit), BINS))
        gap[np.arange(len(self.hit)), self.bin] = self.hit - self.probability
        return np.column_stack([self.brier, gap])


def reliability(
    y: np.ndarray, proba: np.ndarray, classes: list[str], positive: str | None
) -> Reliability:
    """The per-row terms of `y` (labels as str) against `proba` (columns in `classes` order)."""
    proba = np.asarray(proba, float)
    truth = np.column_stack([y == c for c in classes]).astype(float)
    if len(classes) == 2:
        column = classes.index(str(positive))
        probability, hit = proba[:, column], truth[:, column]
        brier = (probability - hit) ** 2
    else:
        top = proba.argmax(1)
        probability, hit = proba[np.arange(len(y)), top], truth[np.arange(len(y)), top]
        brier = ((proba - truth) ** 2).sum(1)
    bins = np.minimum((probability * BINS).astype(int), BINS - 1)
    return Reliability(probability, hit, bins, brier)


def calibration_stats(sums: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
    """Brier score and ECE per replicate from the weighted sums of `Reliability.columns`."""
    return {"brier": sums[:, 0] / n, "ece": np.abs(sums[:, 1:]).sum(1) / n}


def calibration_metrics(
    y: np.ndarray, proba: np.ndarray, classes: list[str], positive: str | None
) -> dict[str, float]:
    """Brier score and ECE on the rows as they are (every weight 1)."""
    columns = reliability(y, proba, classes, positive).columns()
    stats = calibration_stats(columns.sum(0)[None, :], np.array([float(len(y))]))
    return {name: float(values[0]) for name, values in stats.items()}


def reliability_table(
    y: np.ndarray, proba: np.ndarray, classes: list[str], positive: str | None
) -> pd.DataFrame:
    """The reliability curve (reports/plots/calibration.csv): per non-empty bin, the mean
    probability, the observed rate (of the positive class; of right top labels for
    multi-class) and the rows."""
    terms = reliability(y, proba, classes, positive)
    frame = pd.DataFrame({"bin": terms.bin, "p": terms.probability, "hit": terms.hit})
    grouped = frame.groupby("bin", sort=True)
    return pd.DataFrame(
        {
            "mean_predicted": grouped["p"].mean().to_numpy(),
            "observed": grouped["hit"].mean().to_numpy(),
            "rows": grouped.size().to_numpy(),
        }
    )
