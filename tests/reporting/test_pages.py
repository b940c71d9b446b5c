"""Readable pages: the primary metric, its interval and the worst slice first, the rest folded
(ml_pipeline/reporting/pages.py, the model card, the PR report)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from commands.report import page_sections
from ml_pipeline.core import paths
from ml_pipeline.registry.model_card import model_card
from ml_pipeline.reporting.pages import folded, lead, slice_tables, with_interval, worst_slice
from tests.configs import shipped_params, shipped_params_dict
from tests.conftest import run

METRICS = {"roc_auc": 0.9273, "roc_auc.ci_lower": 0.9233, "roc_auc.ci_upper": 0.9316}
METRICS |= {"accuracy": 0.8715, "cv_accuracy_mean": 0.87, "cv_accuracy_std": 0.002}


def entry(name: str, count: int, roc_auc: float, judged: bool = True) -> dict:
    bounds = {"roc_auc.ci_lower": roc_auc - 0.01, "roc_auc.ci_upper": roc_auc + 0.01}
    values = {"roc_auc": roc_auc, "accuracy": 0.8, "accuracy.ci_lower": 0.79} | bounds
    return {"slice": name, "count": count, "judged": judged, "metrics": values}


SLICES = {
    "min_count": 100,
    "columns": {
        "race": {
            "slices": [entry("White", 13941, 0.92), entry("Other", 35, 0.5, judged=False)],
            "demographic_parity_difference": 0.1745,
            "equalized_odds_difference": None,
        },
        "sex": {"slices": [entry("Male", 10856, 0.9091), entry("Female", 5420, 0.9457)]},
    },
    "worst": {
        "roc_auc": {"column": "sex", "slice": "Male", "count": 10856, "value": 0.9091}
        | {"ci_lower": 0.904, "ci_upper": 0.9143}
    },
}


def test_a_value_is_shown_with_its_interval_or_alone() -> None:
    assert with_interval(METRICS, "roc_auc") == "0.9273 (95 %: 0.9233 to 0.9316)"
    assert with_interval(METRICS, "accuracy") == "0.8715"
    assert with_interval({"mape": None}, "mape") == "null"


def test_the_worst_slice_says_where_and_how_bad_or_why_there_is_none() -> None:
    assert (
        worst_slice(SLICES, "roc_auc") == "sex `Male` (10,856 rows): 0.9091 (95 %: 0.904 to 0.9143)"
    )
    assert worst_slice(SLICES, "accuracy") == "no judged slice (each has fewer than 100 test rows)"
    assert worst_slice({"columns": {}, "worst": {}}, "roc_auc").startswith("no slices configured")


def test_the_lead_gives_the_base_and_the_verdict() -> None:
    text = lead(METRICS, SLICES, "roc_auc", {"roc_auc": 0.92}, "≈ better (within noise)")
    first, second = text.split("  \n")
    assert (
        first == "**roc_auc 0.9273 (95 %: 0.9233 to 0.9316)** · base 0.92: ≈ better (within noise)"
    )
    assert second.startswith("Worst slice for roc_auc: sex `Male`")


def test_slice_tables_mark_small_slices_and_show_the_base() -> None:
    base = {"columns": {"sex": {"slices": [entry("Male", 10856, 0.95)]}}}
    text = slice_tables(SLICES, "roc_auc", base)
    assert "| slice | rows | roc_auc base | roc_auc | accuracy |" in text
    assert "| Other (small: not judged) | 35 | null | 0.5 (95 %: 0.49 to 0.51) | 0.8 |" in text
    assert "| Male | 10,856 | 0.95 (95 %: 0.94 to 0.96) | 0.9091 (95 %: 0.8991 to 0.9191) |" in text
    assert "Over the judged slices: demographic parity difference 0.1745" in text
    assert "equalized odds" not in text  # null: not shown
    assert slice_tables({}, "roc_auc") == "No slices configured (data.slices)."


def test_the_model_card_leads_with_the_metric_the_worst_slice_and_the_decision() -> None:
    card = model_card(shipped_params(), METRICS, [], "passed, champion", slices=SLICES)
    lines = card.splitlines()
    assert lines[0] == "**adult · hgb** · **roc_auc 0.9273 (95 %: 0.9233 to 0.9316)**  "
    assert lines[1].startswith("Worst slice for roc_auc: sex `Male` (10,856 rows)")
    assert lines[2] == "Decision: passed, champion."
    slices_at, details_at = (
        card.index("Per-slice metrics (race, sex)"),
        card.index("### Intended use"),
    )
    assert card.index("<details>") < slices_at < details_at
    assert card.count("<details>") == card.count("</details>") == 2
    assert "| Female | 5,420 | 0.9457 (95 %: 0.9357 to 0.9557) |" in card  # per-sex, with counts
    assert "| White | 13,941 |" in card  # per-race
    plain = model_card(shipped_params(), METRICS, [], "passed, champion")
    assert "no slices configured" in plain and "Per-slice metrics" not in plain


def test_the_pr_report_leads_and_folds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git repository whose HEAD has params.yaml only (the base has no metrics)."""
    monkeypatch.chdir(tmp_path)
    paths.PARAMS.write_text(yaml.safe_dump(shipped_params_dict()))  # adult: roc_auc
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *command], tmp_path)
    paths.METRICS.write_text(json.dumps(METRICS))
    paths.SLICES.parent.mkdir(exist_ok=True)
    paths.SLICES.write_text(json.dumps(SLICES))
    sections = page_sections("HEAD", None, {}, {}, [], [])
    assert sections[0] == "# Pipeline report: `workspace` vs `HEAD`"
    assert sections[2].startswith("**roc_auc 0.9273 (95 %: 0.9233 to 0.9316)** · base null")
    assert "Worst slice for roc_auc: sex `Male`" in sections[2]
    assert all(folded("", "")[:18] in section for section in sections[3:])
    (slices,) = [s for s in sections if s.startswith("## Slices")]
    assert "| Male | 10,856 | 0.9091 (95 %: 0.8991 to 0.9191) |" in slices
