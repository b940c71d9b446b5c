"""Brier score, ECE and the reliability curve (evaluation/calibration.py)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from ml_pipeline.evaluation.calibration import BINS, calibration_metrics, reliability_table


def overconfident(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels "no"/"yes" whose true rate is p ** 1.5 where the model says p (too confident)."""
    rng = np.random.default_rng(seed)
    p = rng.random(rows)
    truth = np.where(rng.random(rows) < p**1.5, "yes", "no")
    return truth, np.column_stack([1 - p, p])


def test_binary_brier_and_reliability_curve_are_scikit_learns() -> None:
    truth, proba = overconfident(2000)
    got = calibration_metrics(truth, proba, ["no", "yes"], "yes")
    assert got["brier"] == pytest.approx(brier_score_loss(truth == "yes", proba[:, 1]))
    observed, predicted = calibration_curve(truth == "yes", proba[:, 1], n_bins=BINS)
    table = reliability_table(truth, proba, ["no", "yes"], "yes")
    assert table["observed"].to_numpy() == pytest.approx(observed)
    assert table["mean_predicted"].to_numpy() == pytest.approx(predicted)
    assert table["rows"].sum() == 2000
    # ECE: the bins' |observed − predicted|, weighted by their rows
    expected = float((table["rows"] * (observed - predicted).__abs__()).sum() / 2000)
    assert got["ece"] == pytest.approx(expected)
    assert got["ece"] > 0.05  # the overconfidence shows


def test_the_positive_class_decides_which_probability_is_checked() -> None:
    truth, proba = overconfident(2000, seed=1)
    as_yes = calibration_metrics(truth, proba, ["no", "yes"], "yes")
    as_no = calibration_metrics(truth, proba, ["no", "yes"], "no")
    assert as_yes["brier"] == pytest.approx(as_no["brier"])  # symmetric for two classes
    table = reliability_table(truth, proba, ["no", "yes"], "no")
    assert table["observed"].iloc[-1] == pytest.approx((truth[proba[:, 0] >= 0.9] == "no").mean())


def test_a_calibrated_model_has_a_small_ece_and_probability_one_falls_in_the_last_bin() -> None:
    rng = np.random.default_rng(2)
    p = np.append(rng.random(20_000), 1.0)
    truth = np.where(rng.random(p.size) < p, "yes", "no")
    proba = np.column_stack([1 - p, p])
    assert calibration_metrics(truth, proba, ["no", "yes"], "yes")["ece"] < 0.02
    assert len(reliability_table(truth, proba, ["no", "yes"], "yes")) == BINS


def test_multiclass_brier_sums_over_classes_and_ece_uses_the_top_label() -> None:
    rng = np.random.default_rng(3)
    classes = ["a", "b", "c"]
    proba = rng.dirichlet([1, 1, 1], 600)
    truth = np.array(classes)[[rng.choice(3, p=row) for row in proba]]
    got = calibration_metrics(truth, proba, classes, None)
    assert got["brier"] == pytest.approx(brier_score_loss(truth, proba, labels=classes))
    top, right = proba.max(1), np.array(classes)[proba.argmax(1)] == truth
    observed, predicted = calibration_curve(right, top, n_bins=BINS)
    rows = np.bincount(np.minimum((top * BINS).astype(int), BINS - 1), minlength=BINS)
    expected = float((rows[rows > 0] * np.abs(observed - predicted)).sum() / 600)
    assert got["ece"] == pytest.approx(expected)
