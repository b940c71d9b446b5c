"""Drift statistics (monitoring/drift.py) on data whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ml_pipeline.monitoring.drift import (
    categorical_drift,
    column_drifts,
    numeric_drift,
    prediction_drift,
    psi,
)

RNG = np.random.default_rng(0)
NORMAL = pd.Series(RNG.normal(0, 1, 5000))


def test_psi_is_zero_for_equal_shares_and_matches_its_formula() -> None:
    assert psi(np.array([10, 20, 30]), np.array([1, 2, 3])) == 0.0
    expected = (0.75 - 0.5) * math.log(0.75 / 0.5) + (0.25 - 0.5) * math.log(0.25 / 0.5)
    assert psi(np.array([5, 5]), np.array([3, 1])) == pytest.approx(expected, rel=1e-9)


def test_an_empty_bin_is_floored_not_infinite() -> None:
    assert np.isfinite(psi(np.array([10, 0]), np.array([5, 5])))


def test_a_sample_of_the_same_distribution_does_not_move() -> None:
    found = numeric_drift("x", NORMAL, pd.Series(RNG.normal(0, 1, 2000)), bins=10)
    assert found.psi < 0.02 and found.p_value > 0.01 and found.test == "ks"


def test_a_shifted_distribution_moves_with_the_ks_of_scipy() -> None:
    shifted = pd.Series(RNG.normal(1, 1, 2000))
    found = numeric_drift("x", NORMAL, shifted, bins=10)
    assert found.psi > 0.5
    assert found.statistic == round(stats.ks_2samp(NORMAL, shifted).statistic, 6)


def test_missing_shares_are_measured_on_each_side() -> None:
    batch = pd.Series([1.0, None, None, 4.0])
    found = numeric_drift("x", NORMAL, batch, bins=10)
    assert (found.missing_reference, found.missing_batch, found.missing_change) == (0, 0.5, 0.5)


def test_new_categories_and_their_share() -> None:
    reference = pd.Series(["a"] * 50 + ["b"] * 50)
    found = categorical_drift("c", reference, pd.Series(["a"] * 6 + ["z"] * 3 + ["y"]))
    assert found.new_categories == ("y", "z") and found.new_share == 0.4
    assert found.test == "chi2" and found.p_value < 0.01
    same = categorical_drift("c", reference, pd.Series(["a", "b"] * 20))
    assert same.new_categories == () and same.psi == 0.0 and same.p_value > 0.5


def test_column_drifts_follow_the_config_and_skip_absent_columns() -> None:
    reference = pd.DataFrame({"n": NORMAL[:100], "c": ["a"] * 100, "t": range(100)})
    batch = reference.drop(columns="c")
    found = column_drifts(reference, batch, ["n"], ["c"], bins=10)
    assert [(d.column, d.kind) for d in found] == [("n", "numeric")]


def test_prediction_drift_reads_the_score_when_there_is_one() -> None:
    reference = pd.DataFrame({"prediction": ["a"] * 100, "score": np.linspace(0, 1, 100)})
    batch = pd.DataFrame({"prediction": ["a"] * 100, "score": np.linspace(0.5, 1, 100)})
    found = prediction_drift(reference, batch, bins=10)
    assert found is not None and found.kind == "numeric" and found.psi > 0.2
    labels = prediction_drift(reference.drop(columns="score"), batch.drop(columns="score"), 10)
    assert labels is not None and labels.kind == "categorical" and labels.psi == 0.0
    assert prediction_drift(reference, batch.drop(columns=["prediction", "score"]), 10) is None
