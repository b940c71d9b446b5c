"""Pure pieces of validation (drift, consistency, balance, summary), the shipped suites on the
shipped datasets, the starter-suite command, and `validate` inside the real `dvc repro`."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ml_pipeline.core.config import ValidationConfig, load_params, parse_params
from ml_pipeline.validation.checks import (
    Outcome,
    class_balance,
    consistency,
    failure_lines,
    ks_statistic,
    psi,
    summarize,
)
from tests.conftest import ROOT, run
from tests.core.test_config import composed

SUITE = ValidationConfig.model_validate(
    {
        "columns": {"x": {"type": "numeric"}, "c": {"type": "string"}, "y": {"type": "string"}},
        "target_balance": {"min_classes": 2, "min_fraction": 0.2},
        "unseen_categories": {"max_fraction": 0.0, "severity": "warning"},
        "drift": {"statistic": "ks", "threshold": 0.2},
    }
)


def frame(n: int, shift: float = 0.0, cats: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, n),
            "c": [cats[i % len(cats)] for i in range(n)],
            "y": ["yes" if i % 2 else "no" for i in range(n)],
        }
    )


def test_ks_statistic() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, 5000)
    assert ks_statistic(a, a) == 0.0
    assert ks_statistic(a, rng.normal(0, 1, 5000)) < 0.05
    assert ks_statistic(a, a + 10) == 1.0
    assert 0.3 < ks_statistic(a, a + 1) < 0.45  # 2*Phi(0.5)-1 = 0.383
    assert ks_statistic(a, np.array([np.nan])) == 0.0


def test_psi() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(0, 1, 5000)
    assert psi(a, a) == pytest.approx(0.0, abs=1e-9)
    assert psi(a, rng.normal(0, 1, 5000)) < 0.02
    assert psi(a, rng.normal(1, 1, 5000)) > 0.25


def test_consistency_same_data_passes() -> None:
    outcomes = consistency(frame(200), frame(100), SUITE)
    assert all(o.success for o in outcomes)
    assert {o.expectation for o in outcomes} == {
        "same_columns_and_types",
        "test_categories_seen_in_train",
        "ks_drift_below_threshold",
    }


def test_consistency_finds_shift_unseen_categories_and_type_change() -> None:
    test = frame(100, shift=2.0, cats=("a", "b", "z"))
    test["y"] = 1.0
    failed = {o.expectation: o for o in consistency(frame(200), test, SUITE) if not o.success}
    assert failed["ks_drift_below_threshold"].observed > 0.5
    unseen = failed["test_categories_seen_in_train"]
    assert unseen.observed == ["z"] and unseen.severity == "warning"
    assert unseen.unexpected_fraction == pytest.approx(33 / 100)
    assert failed["same_columns_and_types"].column == "y"


def test_psi_statistic_is_selectable() -> None:
    suite = SUITE.model_copy(update={"drift": SUITE.drift.model_copy(update={"statistic": "psi"})})
    outcomes = consistency(frame(200), frame(100, shift=2.0), suite)
    (drift,) = [o for o in outcomes if o.column == "x"]
    assert drift.expectation == "psi_drift_below_threshold" and not drift.success


def test_class_balance() -> None:
    (ok,) = class_balance(frame(100), "y", SUITE, "train")
    assert ok.success and ok.observed == {"classes": 2, "smallest_class_fraction": 0.5}
    skewed = pd.DataFrame({"y": ["no"] * 90 + ["yes"] * 10})
    (low,) = class_balance(skewed, "y", SUITE, "train")
    assert not low.success and low.key == "validation.target_balance"
    (single,) = class_balance(skewed.iloc[:90], "y", SUITE, "test")
    assert not single.success and single.observed["classes"] == 1


def test_summary_counts_by_split_and_severity() -> None:
    outcomes = consistency(frame(200), frame(100, shift=2.0, cats=("z",)), SUITE)
    summary = summarize(outcomes, {"train": 200, "test": 100})
    assert summary["splits"]["train"]["rows"] == 200
    counts = summary["splits"]["consistency"]
    assert counts["errors"] == {"evaluated": 2, "passed": 1, "failed": 1}  # same_columns, drift
    assert counts["warnings"]["failed"] == 1
    assert summary["success"] is False
    assert {f["expectation"] for f in summary["failures"]} == {
        "ks_drift_below_threshold",
        "test_categories_seen_in_train",
    }


def test_console_lines_put_errors_first_and_stop_at_the_limit() -> None:
    def failed(severity: str, column: str | None) -> Outcome:
        return Outcome("train", "expect_x", column, severity, False, "x", "validation.k", 1)

    outcomes = [failed("warning", "w")] + [failed("error", f"c{i}") for i in range(11)]
    lines = failure_lines(outcomes + [failed("error", None)], limit=10)
    assert len(lines) == 11 and lines[0].startswith("error: train: column 'c0': expect_x")
    assert lines[-1] == (  # the rest named, not only counted (issue 23, item 16)
        "... and 3 more failed expectation(s): error: train: c10: expect_x; error: train: table: "
        "expect_x; warning: train: w: expect_x (reports/validation.json)"
    )
    many = failure_lines([failed("error", f"c{i}") for i in range(5)], limit=1, named=2)
    assert many[-1].endswith("train: c2: expect_x; and 2 other(s) (reports/validation.json)")
    assert failure_lines([failed("error", None)])[0].startswith("error: train: table: ")


@pytest.mark.parametrize("data", ["adult", "diamonds", "tiny"])
def test_dataset_selects_its_own_suite(tmp_path: Path, data: str) -> None:
    params = parse_params(composed(tmp_path, f"data={data}"))
    columns = set(params.validation.columns)
    assert columns == {*params.data.features, params.data.target}
    other = parse_params(composed(tmp_path, f"data={data}", "validation=diamonds"))
    assert set(other.validation.columns) == set(
        parse_params(composed(tmp_path, "data=diamonds")).validation.columns
    )


def test_invalid_suite_names_the_key(tmp_path: Path) -> None:
    raw = composed(tmp_path, "data=adult")
    raw["validation"]["columns"]["age"]["nulls"]["max_fraction"] = 1.5
    with pytest.raises(Exception, match=r"validation\.columns\.age\.nulls\.max_fraction"):
        parse_params(raw)
    raw = composed(tmp_path, "data=adult")
    raw["validation"]["drift"]["severity"] = "fatal"
    with pytest.raises(Exception, match=r"validation\.drift\.severity"):
        parse_params(raw)


@pytest.mark.slow
@pytest.mark.parametrize("data", ["adult", "diamonds"])
def test_shipped_datasets_pass_their_suite(tmp_path: Path, data: str, monkeypatch) -> None:
    from stages import prepare, validate

    monkeypatch.chdir(ROOT)
    params = parse_params(composed(tmp_path, f"data={data}"))
    train, test, _ = prepare.run(params)
    outcomes = validate.run(params, train, test)
    errors = [o for o in outcomes if not o.success and o.severity == "error"]
    assert not errors, errors
    assert len(outcomes) > 60


@pytest.mark.slow
def test_suite_command_writes_a_starter_that_passes(tiny_repo: Path) -> None:
    target = tiny_repo / "conf/validation/tiny.yaml"
    refused = run([sys.executable, "-m", "commands.suite", "tiny"], tiny_repo, check=False)
    assert refused.returncode == 2 and "FORCE=1" in refused.stderr
    run([sys.executable, "-m", "commands.suite", "tiny", "--force"], tiny_repo)
    suite = yaml.safe_load(target.read_text())
    assert suite["columns"]["age"]["type"] == "numeric"
    assert suite["columns"]["sex"]["categories"]["values"] == ["Female", "Male"]
    assert 0 < suite["columns"]["workclass"]["nulls"]["max_fraction"] < 0.2
    low, high = suite["columns"]["age"]["range"]["min"], suite["columns"]["age"]["range"]["max"]
    assert 0 < low < 20 and 70 < high < 120  # tiny's observed ages, widened
    run([sys.executable, "-m", "commands.compose", "data=tiny"], tiny_repo)
    assert load_params(tiny_repo / "params.yaml").validation.row_count.min == 100
    run(["dvc", "repro", "validate"], tiny_repo)
    report = json.loads((tiny_repo / "reports/validation.json").read_text())
    assert report["success"] is True


def stages_run(output: str) -> list[str]:
    return [line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage")]


@pytest.mark.slow
def test_repro_on_corrupted_raw_data_never_trains(tiny_repo: Path) -> None:
    """Ages of 500 pass `prepare` (it only types the data) and are stopped by `validate`."""
    source = tiny_repo / "data/raw/tiny/tiny.test.gz"
    with gzip.open(source, "rt") as handle:
        lines = handle.read().splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if "," in line][:10]
    for i in rows:
        lines[i] = "500" + lines[i][lines[i].index(",") :]
    with gzip.open(source, "wt") as handle:
        handle.write("".join(lines))
    result = run(["dvc", "repro"], tiny_repo, check=False)
    assert result.returncode != 0
    assert stages_run(result.stdout) == ["check", "prepare", "validate"]
    assert "Running stage 'train'" not in result.stdout
    assert "column 'age': expect_column_values_to_be_between" in result.stderr
    assert "validation.columns.age.range" in result.stderr
    assert not (tiny_repo / "models/model").exists()
    report = json.loads((tiny_repo / "reports/validation.json").read_text())
    assert report["success"] is False
    assert report["failures"][0]["column"] == "age"
    assert "age" in (tiny_repo / "reports/validation.html").read_text()


@pytest.mark.slow
def test_metrics_diff_shows_a_data_change(tiny_repo: Path) -> None:
    run(["dvc", "repro", "validate"], tiny_repo)
    run(["git", "add", "-A"], tiny_repo)
    run(["git", "commit", "-q", "-m", "validated"], tiny_repo)
    source = tiny_repo / "data/raw/tiny/tiny.data.gz"
    with gzip.open(source, "rt") as handle:
        lines = handle.read().splitlines(keepends=True)
    with gzip.open(source, "wt") as handle:
        handle.write("".join(lines[:-50]))
    run(["dvc", "repro", "validate"], tiny_repo)
    diff = json.loads(run(["dvc", "metrics", "diff", "--json"], tiny_repo).stdout)
    changed = diff["reports/validation.json"]
    assert changed["splits.train.rows"] == {"old": 400, "new": 350, "diff": -50}
    assert "drift.age" in changed
    shown = run(["dvc", "metrics", "show", "reports/validation.json"], tiny_repo)
    assert "failed to load" not in shown.stderr  # DVC takes any key named "error" for a failure


def test_a_huge_unseen_category_is_capped_in_the_report_and_the_line() -> None:
    """One 5 MB field must not become a 5 MB console line and report (issue 23, item 8)."""
    test = frame(100, cats=("a", "b" * 5_000_000))
    (unseen,) = [o for o in consistency(frame(200), test, SUITE) if o.column == "c"]
    assert unseen.observed == ["b" * 200 + "… (5,000,000 characters)"]
    assert len(json.dumps(summarize([unseen], {}))) < 2_000
    (line,) = failure_lines([unseen])
    assert len(line) < 1_000 and "characters)" in line


def test_a_huge_category_outside_the_contract_is_capped_in_the_report() -> None:
    from ml_pipeline.validation.expectations import run_suite

    suite = ValidationConfig.model_validate(
        {"columns": {"c": {"type": "string", "categories": {"values": ["a"]}}}}
    )
    rows = pd.DataFrame({"c": ["a", "b" * 1_000_000]})
    (outside,) = [o for o in run_suite({"train": rows}, suite) if o.key.endswith(".values")]
    assert not outside.success and outside.observed == ["b" * 200 + "… (1,000,000 characters)"]


def test_a_time_split_says_its_drift_once() -> None:
    """5-11 KS warnings on every time-series run become one line (issue 23, item 16)."""

    def drift(column: str, severity: str = "warning") -> Outcome:
        return Outcome(
            "consistency", "ks_drift_below_threshold", column, severity, False, "ks <= 0.1",
            "validation.drift.threshold", 0.4,
        )  # fmt: skip

    outcomes = [drift(f"lag_{i}") for i in range(6)] + [drift("volume", "error")]
    assert len(failure_lines(outcomes)) == 7  # a random split: each drift is news
    lines = failure_lines(outcomes, time_split=True)
    assert len(lines) == 2 and lines[0].startswith("error: consistency: column 'volume'")
    assert lines[1].startswith("warning: 6 column(s) drift past validation.drift.threshold (lag_0")
    assert "expected of a time split" in lines[1]
