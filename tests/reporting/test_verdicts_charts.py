"""The PR comment: direction-aware verdicts and Mermaid charts built from plot tables."""

from __future__ import annotations

import pandas as pd

from ml_pipeline.evaluation.paired import Paired
from ml_pipeline.reporting.charts import chart
from ml_pipeline.reporting.verdicts import direction, verdict


def test_direction_knows_which_metrics_are_better_lower() -> None:
    assert direction("accuracy") == "higher" and direction("cv_accuracy_mean") == "higher"
    assert direction("log_loss") == "lower" and direction("rmse") == "lower"
    assert direction("cv_rmse_mean") == "lower"
    assert direction("cv_accuracy_std") is None and direction("fit_seconds") is None


def test_verdict_is_direction_aware_and_knows_the_noise() -> None:
    assert verdict("accuracy", 0.80, 0.85, noise=0.01) == "✅ better"
    assert verdict("accuracy", 0.80, 0.75, noise=0.01) == "❌ worse"
    assert verdict("log_loss", 0.30, 0.40, noise=0.01) == "❌ worse"
    assert verdict("log_loss", 0.30, 0.20, noise=0.01) == "✅ better"
    assert verdict("rmse", 100.0, 100.5, noise=1.0) == "≈ worse (within noise)"
    assert verdict("accuracy", 0.8, 0.8, noise=None) == "unchanged"
    assert verdict("accuracy", None, 0.8, noise=None) == "—"


def test_a_paired_interval_decides_instead_of_the_cv_noise() -> None:
    """Both revisions scored the same rows: better or worse only beyond the paired interval."""
    significant = Paired("roc_auc", 0.002, 0.0012, 0.0029, rows=16276, replicates=1000)
    within = Paired("accuracy", 0.0022, -0.0001, 0.0045, rows=16276, replicates=1000)
    # a change below the CV noise, yet beyond the paired interval: better
    assert verdict("roc_auc", 0.927, 0.929, 0.01, significant).startswith("✅ better (paired")
    # a change above the CV noise, yet within the paired interval: ≈
    assert verdict("accuracy", 0.8715, 0.8737, 0.001, within) == (
        "≈ better (paired 95 % CI +0.0022 [-0.0001, +0.0045] includes 0)"
    )
    worse = Paired("log_loss", 0.004, 0.002, 0.006, rows=100, replicates=10)
    assert verdict("log_loss", 0.27, 0.274, 0.01, worse).startswith("❌ worse (paired")
    better = Paired("log_loss", -0.004, -0.006, -0.002, rows=100, replicates=10)
    assert verdict("log_loss", 0.274, 0.27, 0.01, better).startswith("✅ better (paired")
    undefined = Paired("mape", None, None, None, rows=100, replicates=10)
    assert verdict("mape", 0.2, 0.3, 0.01, undefined) == "❌ worse"  # the CV noise again


def test_a_skill_score_is_better_when_higher_whatever_its_metric() -> None:
    """skill.log_loss rises when the log loss falls below the baseline's: that is ✅ better."""
    assert verdict("skill.log_loss", 0.40, 0.49, noise=0.01) == "✅ better"
    assert verdict("skill.rmse", 0.30, 0.20, noise=0.01) == "❌ worse"
    assert verdict("baseline.log_loss", 0.55, 0.50, noise=0.01) == "✅ better"
    assert verdict("cv_rmse_std", 1.0, 2.0, noise=None) == "—"


def test_curve_chart_resamples_both_revisions_in_grey_and_blue() -> None:
    roc = pd.DataFrame({"fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 0.9, 1.0]})
    text = chart("roc.csv", "line", "fpr", "tpr", "ROC", roc, roc.assign(tpr=[0.0, 0.5, 1.0]))
    assert text.startswith("```mermaid\n%%{init:") and text.endswith("```")
    assert '"plotColorPalette": "#9e9e9e, #1f77b4"' in text
    lines = [line for line in text.splitlines() if line.strip().startswith("line [")]
    assert len(lines) == 2
    values = [float(v) for v in lines[1].split("[")[1].rstrip("]").split(",")]
    assert len(values) == 21 and values[10] == 0.5  # fpr 0.5 → tpr 0.5 on the new curve


def test_importance_chart_shows_the_new_top_features_by_value() -> None:
    new = pd.DataFrame({"feature": ["a", "b", "c"], "importance": [0.1, 0.3, 0.2]})
    text = chart("importance.csv", "bar", "importance", "feature", "Imp", None, new)
    assert 'x-axis ["b", "c", "a"]' in text and "bar [0.3, 0.2, 0.1]" in text
    assert "line [" not in text


def test_confusion_matrix_is_a_table_with_base_to_new_counts() -> None:
    base = pd.DataFrame({"actual": ["x", "x", "y"], "predicted": ["x", "y", "y"]})
    new = pd.DataFrame({"actual": ["x", "x", "y"], "predicted": ["x", "x", "y"]})
    text = chart("confusion.csv", "confusion", "predicted", "actual", "CM", base, new)
    assert "| **x** | 1 → 2 | 1 → 0 |" in text and "| **y** | 0 | 1 |" in text


def test_learning_curves_of_different_lengths_share_the_iteration_axis() -> None:
    base = pd.DataFrame({"iteration": [1, 2], "loss": [0.6, 0.5]})
    new = pd.DataFrame({"iteration": [1, 2, 3, 4], "loss": [0.6, 0.5, 0.4, 0.3]})
    text = chart("learning_curve.csv", "line", "iteration", "loss", "Loss", base, new)
    assert 'x-axis "iteration" 1 --> 4' in text
    assert "line [0.6, 0.5, 0.5, 0.5]" in text and "line [0.6, 0.5, 0.4, 0.3]" in text
    single = pd.DataFrame({"iteration": [1], "loss": [0.6]})
    assert "line [0.6]" in chart(
        "learning_curve.csv", "line", "iteration", "loss", "L", None, single
    )
