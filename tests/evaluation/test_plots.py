"""Plot tables and their one drawing per kind (evaluation/plots.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from commands.report import render_comparison
from ml_pipeline.evaluation.calibration import reliability_table
from ml_pipeline.evaluation.plots import (
    PLOT_SPECS,
    classification_plots,
    every_table,
    regression_plots,
    render_pngs,
    write_tables,
)


def test_curves_are_thinned_keeping_both_ends() -> None:
    rng = np.random.default_rng(0)
    actual = pd.Series(rng.choice(["no", "yes"], size=500))
    scores = rng.random(500)
    tables = classification_plots(actual, np.where(scores > 0.5, "yes", "no"), scores, "yes", 20)
    roc = tables["roc.csv"]
    assert 2 < len(roc) <= 20
    assert roc.iloc[0].tolist() == [0.0, 0.0] and roc.iloc[-1].tolist() == [1.0, 1.0]
    assert len(tables["precision_recall.csv"]) <= 20
    assert len(tables["confusion.csv"]) == 500  # one row per test row


def test_every_kind_is_drawn_for_the_stage_and_the_report(tmp_path: Path) -> None:
    actual = pd.Series(["no", "yes", "yes", "no"] * 5)
    scores = np.linspace(0, 1, 20)
    tables = classification_plots(actual, np.where(scores > 0.5, "yes", "no"), scores, "yes", 50)
    values = pd.Series(np.arange(20.0))
    interval = {"level": 0.9, "half_width": 1.0, "residuals": 20}
    tables |= regression_plots(values, values.to_numpy() + 0.5, 10, seed=0, interval=interval)
    tables["importance.csv"] = pd.DataFrame({"feature": ["a", "b"], "importance": [0.2, 0.1]})
    tables["learning_curve.csv"] = pd.DataFrame({"iteration": [1, 2, 3], "loss": [0.6, 0.5, 0.45]})
    proba = np.column_stack([1 - scores, scores])
    tables["calibration.csv"] = reliability_table(actual.to_numpy(), proba, ["no", "yes"], "yes")
    assert set(tables) == set(PLOT_SPECS)
    render_pngs(tables, tmp_path / "figures")
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(
        name.replace(".csv", ".png") for name in PLOT_SPECS
    )
    for name, table in tables.items():  # the report draws base and new with the same code
        render_comparison(name, None if name == "roc.csv" else table, table, tmp_path / "c.png")
        assert (tmp_path / "c.png").stat().st_size > 1000


def test_an_empty_table_gets_no_figure_and_no_report_chart(tmp_path: Path) -> None:
    """A header-only learning curve (no boosting): no PNG, and the PR report skips it."""
    from commands.report import plot_table

    empty = pd.DataFrame({"iteration": [], "loss": []})
    roc = pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})
    render_pngs({"learning_curve.csv": empty, "roc.csv": roc}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roc.png"]
    assert plot_table("iteration,loss\n") is None and plot_table(None) is None
    assert plot_table("iteration,loss\n1,0.5\n") is not None


def test_every_plot_file_is_written_header_only_when_it_does_not_apply(tmp_path: Path) -> None:
    """`dvc exp apply` of a linear winner must overwrite the boosting model's learning curve
    (it keeps files the experiment's commit lacks), not leave it to be drawn as the winner's."""
    (tmp_path / "learning_curve.csv").write_text("iteration,loss\n1,0.5\n")  # the stale one
    roc = pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})
    write_tables(every_table({"roc.csv": roc}), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PLOT_SPECS)
    assert (tmp_path / "learning_curve.csv").read_text() == "iteration,loss\n"
    assert (tmp_path / "confusion.csv").read_text() == "predicted,actual\n"
    assert (tmp_path / "roc.csv").read_text() == "fpr,tpr\n0,0\n1,1\n"
