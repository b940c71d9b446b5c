"""The pull-request report: gate logic on its own, then on two real commits of a temp repo."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from commands.report import dataset_warning, gate_failures, metrics_table
from ml_pipeline.core.config import GateRuleConfig
from tests.conftest import run

ACCURACY = GateRuleConfig(metric="accuracy", direction="higher", tolerance=0.01)
RMSE = GateRuleConfig(metric="rmse", direction="lower", tolerance=0.01)


def diff(**entries: tuple[float | None, float | None]) -> dict:
    return {"metrics.json": {k: {"old": old, "new": new} for k, (old, new) in entries.items()}}


def test_gate_passes_within_tolerance_and_fails_past_it() -> None:
    assert gate_failures(diff(accuracy=(0.80, 0.795)), [ACCURACY]) == []
    (failure,) = gate_failures(diff(accuracy=(0.80, 0.70)), [ACCURACY])
    assert failure.startswith("accuracy: 0.8 → 0.7 is worse")


def test_gate_knows_lower_is_better() -> None:
    assert gate_failures(diff(rmse=(100.0, 90.0)), [RMSE]) == []
    assert len(gate_failures(diff(rmse=(100.0, 120.0)), [RMSE])) == 1


def test_gate_fails_on_a_missing_metric_and_skips_other_tasks() -> None:
    assert "missing" in gate_failures(diff(accuracy=(0.8, None)), [ACCURACY])[0]
    assert gate_failures(diff(accuracy=(0.8, 0.8)), [RMSE]) == []


def test_metrics_table_flags_changes_larger_than_the_cv_noise() -> None:
    table = metrics_table(
        {
            "metrics.json": {
                "f1": {"old": 0.5, "new": 0.6, "diff": 0.1},
                "recall": {"old": 0.5, "new": 0.501, "diff": 0.001},
            }
        },
        noise=0.01,
    )
    f1_row, recall_row = table.splitlines()[2:]
    assert f1_row.endswith("| ✅ better |")
    assert recall_row.endswith("| ≈ better (within noise) |")


def test_a_gated_metric_is_judged_by_its_gate_tolerance_not_the_cv_noise() -> None:
    """accuracy −0.021 was "≈ within noise" beside a gate failing on it (issue 23, item 22)."""
    entries = {"accuracy": {"old": 0.87, "new": 0.849, "diff": -0.021}}
    entries |= {"recall": {"old": 0.6, "new": 0.59, "diff": -0.01}}
    table = metrics_table({"metrics.json": entries}, noise=0.03, gate=[ACCURACY])
    accuracy_row, recall_row = table.splitlines()[2:]
    assert gate_failures({"metrics.json": entries}, [ACCURACY]) != []
    assert accuracy_row.endswith("| ❌ worse (report.gate) |")
    assert recall_row.endswith("| ≈ worse (within noise) |")  # not gated: the CV noise


def test_different_datasets_are_said_at_the_top() -> None:
    adult, tiny = "data:\n  name: adult\n", "data:\n  name: tiny\n"
    (line,) = dataset_warning(adult, tiny)
    assert line.startswith("> **Different datasets**: base `adult`, new `tiny`")
    assert dataset_warning(adult, adult) == [] and dataset_warning(None, tiny) == []


def test_metrics_table_hides_unchanged_report_values_but_not_model_metrics() -> None:
    table = metrics_table(
        {
            "metrics.json": {"f1": {"old": 0.5, "new": 0.5, "diff": 0}},
            "reports/validation.json": {
                "splits.train.rows": {"old": 400, "new": 400, "diff": 0},
                "splits.test.rows": {"old": 200, "new": 150, "diff": -50},
            },
        },
        noise=None,
    )
    assert "| metrics.json | f1 | 0.5 | 0.5 | +0 |" in table
    assert "splits.test.rows | 200 | 150 | -50" in table
    assert "splits.train.rows" not in table
    assert table.endswith("1 unchanged report value(s) not shown.")


@pytest.mark.slow
def test_report_on_two_commits(tiny_repo: Path) -> None:
    report = [sys.executable, "-m", "commands.report", "--output", "out"]
    no_metrics = run([*report, "--base", "HEAD"], tiny_repo, check=False)
    assert no_metrics.returncode == 1
    assert "has no metrics.json" in no_metrics.stderr

    run(["dvc", "repro"], tiny_repo)
    run(["git", "add", "-A"], tiny_repo)
    run(["git", "commit", "-qm", "baseline"], tiny_repo)

    same = run([*report, "--base", "HEAD"], tiny_repo)
    assert "Gate: passed" in (tiny_repo / "out/report.md").read_text()
    assert same.returncode == 0

    params = yaml.safe_load((tiny_repo / "params.yaml").read_text())
    params["model"].update(max_iter=1, learning_rate=0.01)  # a model that barely learns
    (tiny_repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["dvc", "repro"], tiny_repo)
    worse = run([*report, "--base", "HEAD"], tiny_repo, check=False)
    text = (tiny_repo / "out/report.md").read_text()
    assert worse.returncode == 1, worse.stderr
    assert "Gate: FAILED" in text and "accuracy:" in text
    assert "| model.max_iter | 200 | 1 |" in text
    assert "| metrics.json | roc_auc |" in text
    # roc, precision-recall, importance, learning curve, reliability curve as Mermaid; the
    # confusion matrix a table
    assert text.count("```mermaid") == 5 and "| **<=50K** |" in text
    # the same test rows in both (HEAD's predictions from the DVC cache): paired verdicts
    assert "Test rows: paired on the same" in text
    assert "| metrics.json | roc_auc |" in text and "(paired 95 % CI " in text
    for image in ["roc.png", "confusion.png", "importance.png", "precision_recall.png"]:
        assert f"`{image}`" in text
        assert (tiny_repo / "out" / image).read_bytes()[:4] == b"\x89PNG"
