"""95 % bootstrap intervals of the test metrics: `<metric>.ci_lower` and `<metric>.ci_upper`.

Percentile bootstrap over the test rows: `REPLICATES` resamples drawn from `seed` (the same bytes
on every run), each kept as a row of counts (how often each row was drawn), so a replicate's
metric is a weighted sum over the rows: one matrix product for every count-based metric and
grouped sums over the rows sorted by score for ROC AUC. No Python loop runs over rows or
replicates (only over chunks of replicates, to bound memory, and over classes).

The point estimates stay those of evaluation/metrics.py (scikit-learn); a null metric (MAPE near
a zero target) gets null bounds. Which names the bounds are, and that they are not ranked, is the
catalog's (evaluation/catalog.py `INTERVAL_SUFFIXES`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ml_pipeline.evaluation.calibration import calibration_stats, reliability
from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES
from ml_pipeline.evaluation.metrics import Scored, rounded

REPLICATES = 1000
LEVEL = 0.95
CHUNK = 125  # replicates per count matrix: 125 × 16,281 adult rows ≈ 16 MB of float64

Stats = dict[str, np.ndarray]  # metric → its value in each replicate of a chunk


def intervals(scored: Scored, seed: int, replicates: int = REPLICATES) -> dict[str, float | None]:
    """`<metric>.ci_lower`/`.ci_upper` for every metric of `scored` (null where it is null)."""
    stats = statistic(scored)
    chunks = [stats(weights) for weights in count_chunks(len(scored.target), replicates, seed)]
    tail = 100 * (1 - LEVEL) / 2
    lower_suffix, upper_suffix = INTERVAL_SUFFIXES
    bounds: dict[str, float | None] = {}
    for name, point in scored.metrics.items():
        if point is None or name not in chunks[0]:
            bounds[name + lower_suffix] = bounds[name + upper_suffix] = None
            continue
        values = np.concatenate([chunk[name] for chunk in chunks])
        low, high = np.nanpercentile(values, [tail, 100 - tail])
        bounds[name + lower_suffix], bounds[name + upper_suffix] = float(low), float(high)
    return rounded(bounds)


def count_chunks(rows: int, replicates: int, seed: int) -> Iterator[np.ndarray]:
    """Chunks of (replicates × rows) float counts: row i of a chunk counts how often each test
    row was drawn in that resample (n draws with replacement; one bincount per replicate, which
    is faster than one over the whole chunk)."""
    rng = np.random.default_rng(seed)
    for start in range(0, replicates, CHUNK):
        counts = np.empty((rows, min(CHUNK, replicates - start)))  # transposed: see auc_statistic
        for replicate in counts.T:
            replicate[:] = np.bincount(rng.integers(0, rows, size=rows), minlength=rows)
        yield counts.T


def statistic(scored: Scored) -> Callable[[np.ndarray], Stats]:
    """The function from a chunk of counts to each metric's replicate values."""
    truth = scored.target.to_numpy()
    if scored.proba is None:
        return regression_statistic(truth.astype(float), np.asarray(scored.predicted, float))
    return classification_statistic(truth.astype(str), scored)


def regression_statistic(y: np.ndarray, predicted: np.ndarray) -> Callable[[np.ndarray], Stats]:
    error = y - predicted
    columns = np.column_stack(
        [np.ones_like(y), error**2, np.abs(error), y, y**2, np.abs(error) / np.abs(y).clip(1e-300)]
    )

    def stats(weights: np.ndarray) -> Stats:
        n, sse, sae, total, squares, ape = (weights @ columns).T
        spread = squares - total**2 / n
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(spread > 0, 1 - sse / spread, np.nan)
        return {"rmse": np.sqrt(sse / n), "mae": sae / n, "r2": r2, "mape": ape / n}

    return stats


def classification_statistic(y: np.ndarray, scored: Scored) -> Callable[[np.ndarray], Stats]:
    """Accuracy, balanced accuracy, precision, recall, F1 (the positive class, or the macro
    average), log loss, ROC AUC (one-vs-rest macro for multi-class), Brier score and ECE per
    replicate (calibration: its own product, so the other sums stay bit for bit)."""
    classes, proba = scored.classes, np.asarray(scored.proba, float)
    predicted = np.asarray(scored.predicted).astype(str)
    scored_classes = [str(scored.positive)] if len(classes) == 2 else classes
    true = np.column_stack([y == c for c in scored_classes])
    said = np.column_stack([predicted == c for c in scored_classes])
    every_true = np.column_stack([y == c for c in classes])
    eps = np.finfo(proba.dtype).eps
    picked = proba[every_true].clip(eps, 1 - eps)  # the true class's probability, per row
    k, m = len(scored_classes), len(classes)
    columns = np.column_stack(
        [
            predicted == y,
            -np.log(picked),
            true & said,
            true,
            said,
            every_true & (predicted == y)[:, None],
            every_true,
        ]
    ).astype(float)
    aucs = [auc_statistic(proba[:, classes.index(c)], y == c) for c in scored_classes]
    calibration = reliability(y, proba, classes, scored.positive).columns()

    def stats(weights: np.ndarray) -> Stats:
        sums = weights @ columns
        n = weights.sum(1)
        hits, true_pos = sums[:, 2 : 2 + k], sums[:, 2 + k : 2 + 2 * k]
        said_pos = sums[:, 2 + 2 * k : 2 + 3 * k]
        recall_all = sums[:, 2 + 3 * k : 2 + 3 * k + m] / sums[:, 2 + 3 * k + m :].clip(1)
        precision = (hits / said_pos.clip(1)).mean(1)
        recall = (hits / true_pos.clip(1)).mean(1)
        f1 = (2 * hits / (true_pos + said_pos).clip(1)).mean(1)
        present = sums[:, 2 + 3 * k + m :] > 0
        return {
            "accuracy": sums[:, 0] / n,
            "balanced_accuracy": (recall_all * present).sum(1) / present.sum(1),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "roc_auc": np.mean([auc(weights) for auc in aucs], axis=0),
            "log_loss": sums[:, 1] / n,
        } | calibration_stats(weights @ calibration, n)

    return stats


def auc_statistic(score: np.ndarray, positive: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Weighted ROC AUC per replicate (Mann-Whitney): a positive counts the negatives scored
    below it plus half the tied ones. Rows are summed into groups of equal score, positives and
    negatives apart, by one sparse product."""
    from scipy import sparse

    values, group = np.unique(score, return_inverse=True)
    size = len(values)
    to_groups = sparse.csr_matrix(
        (np.ones(len(score)), (np.arange(len(score)), group + size * ~positive)),
        shape=(len(score), 2 * size),
    ).T.tocsr()

    def auc(weights: np.ndarray) -> np.ndarray:
        grouped = to_groups @ weights.T  # (2 groups × replicates); weights.T is C-ordered
        pos, neg = grouped[:size], grouped[size:]
        wins = np.einsum("gb,gb->b", pos, np.cumsum(neg, axis=0))
        wins -= np.einsum("gb,gb->b", pos, neg) / 2  # a tie counts half
        pairs = pos.sum(0) * neg.sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(pairs > 0, wins / pairs, np.nan)

    return auc
