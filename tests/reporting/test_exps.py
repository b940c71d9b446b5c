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
    assert lines[0].split() == ["experiment", "data", "model", "rmse", "cv", "mean±std", "decision"]
    assert all(len(line) <= 80 for line in lines)
    assert lines[2].startswith("a-very-long-experiment") and "780.4" in lines[2]
    assert lines[-1].startswith("quick-linear") and "rejected" in lines[-1]
    assert "790±10" in lines[2] and "workspace" in text
    assert "validation" not in text


def test_higher_is_better_sorts_the_other_way() -> None:
    frame = pd.DataFrame({"Experiment": ["a", "b"], "roc_auc": [0.8, 0.9]})
    lines = table(frame, "roc_auc", "higher").splitlines()
    assert lines[2].startswith("b") and lines[3].startswith("a")
