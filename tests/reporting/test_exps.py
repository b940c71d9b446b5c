"""`make exps`: the compared columns, best first, never wider than 80 columns."""

from __future__ import annotations

import io

import pandas as pd

from commands.exps import table

# The shape of `dvc exp show --csv` (a few of its many columns).
CSV = """Experiment,rev,typ,Created,parent,accuracy,cv_rmse_mean,cv_rmse_std,rmse,decision,\
data.name,model.name,validation.columns.age.range.min
,workspace,baseline,,,,812.5,12.25,800.1,champion,diamonds,hgb,0
,main,baseline,2026-11-29T17:19:36,,,812.5,12.25,800.1,champion,diamonds,hgb,0
a-very-long-experiment-name-that-goes-on,3f2a1b,branch_commit,2026-11-29,main,,790.0,10.0,780.4,champion,diamonds,rf,0
quick-linear,9e8d7c,branch_base,2026-11-29,main,,1500.0,40.0,1490.0,rejected,diamonds,linear,0
"""


def test_exps_table_keeps_the_compared_columns_best_first_within_80_columns() -> None:
    text = table(pd.read_csv(io.StringIO(CSV)), "rmse", "lower")
    lines = text.splitlines()
    assert lines[0].split() == [
        "experiment",
        "model",
        "primary",
        "cv",
        "mean±std",
        "registered",
        "as",
    ]
    assert all(len(line) <= 80 for line in lines)
    assert lines[2] == "diamonds: rmse (lower is better)"
    assert lines[3].startswith("a-very-long-experiment") and "780.4" in lines[3]
    assert lines[-2].startswith("quick-linear") and "rejected" in lines[-2]
    assert "790±10" in lines[3] and "workspace" in text
    assert "validation" not in text
    assert lines[-1].startswith("registered as: the decision when it ran, not the registry now")


def test_higher_is_better_sorts_the_other_way() -> None:
    frame = pd.DataFrame({"Experiment": ["a", "b"], "roc_auc": [0.8, 0.9]})
    lines = table(frame, "roc_auc", "higher").splitlines()
    assert lines[3].startswith("b") and lines[4].startswith("a")


def test_datasets_are_grouped_each_by_its_own_primary_metric() -> None:
    """adult's roc_auc and diamonds' rmse are not sorted under one header (issue 23, item 22)."""
    frame = pd.DataFrame(
        {
            "Experiment": ["d-good", "a-bad", "d-bad", "a-good"],
            "data.name": ["diamonds", "adult", "diamonds", "adult"],
            "register.primary_metric": ["rmse", "roc_auc", "rmse", "roc_auc"],
            "roc_auc": [None, 0.80, None, 0.92],
            "rmse": [500.0, None, 900.0, None],
        }
    )
    lines = table(frame, "roc_auc", "higher").splitlines()
    assert lines[2:8] == [
        "adult: roc_auc (higher is better)",
        *[line for line in lines if line.startswith(("a-good", "a-bad"))],
        "diamonds: rmse (lower is better)",
        *[line for line in lines if line.startswith(("d-good", "d-bad"))],
    ]
    assert lines[3].startswith("a-good") and lines[6].startswith("d-good") and "500" in lines[6]
