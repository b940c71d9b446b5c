"""Paired bootstrap of two models on the same test rows (evaluation/paired.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.evaluation.intervals import count_chunks, intervals
from ml_pipeline.evaluation.metrics import Scored, classification_metrics
from ml_pipeline.evaluation.paired import (
    Paired,
    from_predictions,
    paired_differences,
    paired_report,
    predictions_frame,
)

CLASSES = ["no", "yes"]


def scored(truth: np.ndarray, p_yes: np.ndarray) -> Scored:
    proba = np.column_stack([1 - p_yes, p_yes])
    predicted = np.where(p_yes >= 0.5, "yes", "no")
    target = pd.Series(truth)
    metrics = classification_metrics(target, predicted, proba, CLASSES, None)
    return Scored(metrics, pd.DataFrame(), target, predicted, proba, CLASSES, "yes", 0.0)


def two_models(rows: int, seed: int = 0) -> tuple[Scored, Scored]:
    """A champion and a slightly better candidate sharing most of their errors (as two boosted
    models of one dataset do)."""
    rng = np.random.default_rng(seed)
    truth = np.where(rng.random(rows) < 0.25, "yes", "no")
    shared = rng.normal(0.2, 0.2, rows)
    champion = np.clip(0.5 * (truth == "yes") + shared + rng.normal(0, 0.05, rows), 0.01, 0.99)
    candidate = np.clip(0.53 * (truth == "yes") + shared + rng.normal(0, 0.05, rows), 0.01, 0.99)
    return scored(truth, candidate), scored(truth, champion)


def test_the_interval_is_the_percentiles_of_scikit_learns_differences_on_the_same_rows() -> None:
    candidate, champion = two_models(300)
    got = paired_differences(candidate, champion, seed=4, replicates=40)
    weights = next(count_chunks(300, 40, seed=4)).astype(int)
    differences: dict[str, list[float]] = {}
    for counts in weights:
        rows = np.repeat(np.arange(300), counts)
        new, old = (
            classification_metrics(
                pd.Series(s.target.to_numpy()[rows]),
                s.predicted[rows],
                s.proba[rows],
                CLASSES,
                None,
            )
            for s in (candidate, champion)
            if s.proba is not None
        )
        for name in new:
            differences.setdefault(name, []).append(new[name] - old[name])  # type: ignore[operator]
    for name, values in differences.items():
        low, high = np.percentile(values, [2.5, 97.5])
        assert got[name].ci_lower == pytest.approx(low, abs=2e-6), name
        assert got[name].ci_upper == pytest.approx(high, abs=2e-6), name
        point = candidate.metrics[name] - champion.metrics[name]  # type: ignore[operator]
        assert got[name].difference == pytest.approx(point, abs=2e-6), name
        assert (got[name].rows, got[name].replicates) == (300, 40)


def test_pairing_narrows_the_interval_of_a_difference() -> None:
    candidate, champion = two_models(5000, seed=1)
    paired = paired_differences(candidate, champion, seed=0, replicates=300)["roc_auc"]
    apart = [intervals(s, seed=0, replicates=300) for s in (candidate, champion)]
    widths = [b["roc_auc.ci_upper"] - b["roc_auc.ci_lower"] for b in apart]  # type: ignore[operator]
    assert paired.ci_lower is not None and paired.ci_upper is not None
    assert paired.ci_upper - paired.ci_lower < 0.5 * np.hypot(*widths)
    assert paired.excludes_zero("higher")  # the better candidate is found better


def test_a_model_against_itself_differs_by_exactly_zero() -> None:
    candidate, _ = two_models(500)
    for paired in paired_differences(candidate, candidate, seed=0, replicates=50).values():
        assert (paired.difference, paired.ci_lower, paired.ci_upper) == (0.0, 0.0, 0.0)
        assert not paired.excludes_zero("higher") and not paired.excludes_zero("lower")


def test_other_rows_are_refused() -> None:
    candidate, champion = two_models(500)
    fewer = Scored({}, pd.DataFrame(), champion.target[:-1], *list(champion.__dict__.values())[3:])
    with pytest.raises(ValueError, match="same test rows"):
        paired_differences(candidate, fewer, seed=0)


@pytest.mark.parametrize(
    ("low", "high", "higher", "lower"),
    [(0.001, 0.003, True, False), (-0.003, -0.001, False, True), (-0.001, 0.002, False, False)],
)
def test_excluding_zero_is_on_the_better_side(
    low: float, high: float, higher: bool, lower: bool
) -> None:
    paired = Paired("m", (low + high) / 2, low, high, rows=10, replicates=5)
    assert (paired.excludes_zero("higher"), paired.excludes_zero("lower")) == (higher, lower)
    assert Paired("m", None, None, None, 10, 5).excludes_zero("higher") is False


def test_predictions_round_trip_to_the_same_paired_statistic(tmp_path: object) -> None:
    candidate, champion = two_models(400)
    frame = predictions_frame(candidate)
    assert list(frame.columns) == ["target", "predicted", "proba.no", "proba.yes"]
    back = from_predictions(frame, None)
    assert back.positive == "yes" and back.classes == CLASSES
    direct = paired_differences(candidate, champion, seed=2, replicates=30)
    assert paired_differences(back, champion, seed=2, replicates=30) == direct
    report = paired_report(direct["accuracy"], "how")
    assert report is not None and report["comparable"] and report["basis"] == "how"
    assert paired_report(None, "why not") == {"comparable": False, "reason": "why not"}
    assert paired_report(None, "") is None


def test_regression_predictions_pair_on_their_errors() -> None:
    rng = np.random.default_rng(6)
    truth = rng.normal(10, 3, 400)
    champion = truth + rng.normal(0, 1.0, 400)
    candidate = truth + rng.normal(0, 0.5, 400)
    frames = [
        predictions_frame(Scored({}, pd.DataFrame(), pd.Series(truth), p, None, [], None, 0.0))
        for p in (candidate, champion)
    ]
    assert list(frames[0].columns) == ["target", "predicted"]
    new, old = (from_predictions(frame, None) for frame in frames)
    paired = paired_differences(new, old, seed=0, replicates=100)["rmse"]
    rmse = [np.sqrt(np.mean((p - truth) ** 2)) for p in (candidate, champion)]
    assert paired.difference == pytest.approx(rmse[0] - rmse[1], abs=1e-6)
    assert paired.excludes_zero("lower") and not paired.excludes_zero("higher")
