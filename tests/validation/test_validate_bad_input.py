"""Bad prepared data through the real `validate` stage: it fails (or warns, per severity) with a
line naming the column and the expectation, and reports/validation.json describes it.

The stage runs in-process (`validate.main([])`, real Great Expectations) in a plain copy of the
repository per case; `test_entry_points.py` runs `python -m stages.validate` itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from stages import prepare
from stages import validate as validate_stage

pytestmark = pytest.mark.slow

TRAIN, TEST = "data/prepared/train.parquet", "data/prepared/test.parquet"


@pytest.fixture(scope="session")
def prepared_template(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plain `tiny` copy with `prepare` already run (copied by each case)."""
    dest = tmp_path_factory.mktemp("prepared") / "repo"
    shutil.copytree(template_dir, dest)
    with contextlib.chdir(dest), contextlib.redirect_stdout(io.StringIO()):
        assert prepare.main([]) == 0
    return dest


@dataclass(frozen=True)
class Result:
    repo: Path
    code: int
    stderr: str
    report: dict


CASES: dict[str, Callable[[Path], None]] = {}


def case(setup: Callable[[Path], None]) -> Callable[[Path], None]:
    """Register how a copy of the prepared repository is broken before `validate` runs."""
    CASES[setup.__name__] = setup
    return setup


@pytest.fixture(scope="module")
def results(prepared_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the real stage once per case."""
    base = tmp_path_factory.mktemp("cases")
    found = {}
    for name, setup in CASES.items():
        repo = base / name
        shutil.copytree(prepared_template, repo)
        setup(repo)
        found[name] = Result(repo, *validate(repo))
    return found


def edit(repo: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = repo / name
    change(pd.read_parquet(path)).to_parquet(path, index=False)


def set_validation(repo: Path, change: Callable[[dict], None]) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    change(params["validation"])
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def validate(repo: Path) -> tuple[int, str, dict]:
    err = io.StringIO()
    quiet = contextlib.redirect_stdout(io.StringIO())
    with contextlib.chdir(repo), contextlib.redirect_stderr(err), quiet:
        code = validate_stage.main([])
    report_path = repo / "reports/validation.json"
    if not report_path.exists():
        return code, err.getvalue(), {}
    report = json.loads(report_path.read_text())
    assert (repo / "reports/validation.html").read_text().startswith("<!doctype html>")
    return code, err.getvalue(), report


def assert_fails(result: Result, column: str | None, expectation: str, key: str) -> dict:
    repo, code, stderr, report = result.repo, result.code, result.stderr, result.report
    assert code == 2, stderr
    assert stderr.strip().splitlines()[-1].startswith("validate: error: ")
    named = [line for line in stderr.splitlines() if expectation in line and key in line]
    assert named, stderr
    if column:
        assert f"column {column!r}" in named[0] or column in named[0], named[0]
    assert report["success"] is False
    failures = [f for f in report["failures"] if f["expectation"] == expectation]
    assert failures and failures[0]["severity"] == "error"
    if column:
        assert column in failures[0]["column"]
    assert not (repo / "models/model").exists()
    return failures[0]


def put(column: str, rows: slice, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if not isinstance(value, float | int):
            frame[column] = frame[column].astype(object)
        frame.loc[frame.index[rows], column] = value
        return frame

    return change


@case
def clean(repo: Path) -> None:
    pass


def test_clean_tiny_passes(results: dict) -> None:
    result = results["clean"]
    assert result.code == 0, result.stderr
    report = result.report
    assert report["success"] is True
    assert [f["severity"] for f in report["failures"]] in ([], ["warning"])
    assert report["splits"]["train"]["rows"] == 400
    assert report["splits"]["test"]["errors"]["evaluated"] > 30
    assert set(report["drift"]) == {
        "age",
        "fnlwgt",
        "education_num",
        "capital_gain",
        "capital_loss",
        "hours_per_week",
    }
    page = (result.repo / "reports/validation.html").read_text()
    assert page.count("<tr class=") == sum(
        s[sev]["evaluated"] for s in report["splits"].values() for sev in ("errors", "warnings")
    )


@case
def missing_column(repo: Path) -> None:
    edit(repo, TEST, lambda f: f.drop(columns=["age"]))


def test_missing_required_column(results: dict) -> None:
    failure = assert_fails(
        results["missing_column"],
        "age",
        "expect_column_to_exist",
        "validation.columns.age.required",
    )
    assert failure["split"] == "test" and failure["observed"] == "missing"


@case
def extra_column(repo: Path) -> None:
    edit(repo, TRAIN, lambda f: f.assign(zip_code=1.0))


@case
def extra_column_allowed(repo: Path) -> None:
    edit(repo, TRAIN, lambda f: f.assign(zip_code=1.0))
    edit(repo, TEST, lambda f: f.assign(zip_code=1.0))
    set_validation(repo, lambda v: v["extra_columns"].update(allow=True))


def test_unexpected_extra_column(results: dict) -> None:
    failure = assert_fails(
        results["extra_column"],
        "zip_code",
        "expect_table_columns_to_match_set",
        "extra_columns.allow",
    )
    assert failure["observed"] == ["zip_code"]
    allowed = results["extra_column_allowed"]
    assert allowed.code == 0, allowed.stderr


@case
def string_in_numeric(repo: Path) -> None:
    """Parquet keeps one type per column: a numeric column holding text arrives as strings."""
    edit(repo, TRAIN, lambda f: f.assign(age=f["age"].astype(str).where(f.index > 0, "forty")))


def test_string_in_numeric_column(results: dict) -> None:
    failure = assert_fails(
        results["string_in_numeric"],
        "age",
        "expect_column_values_to_be_in_type_list",
        "validation.columns.age.type",
    )
    assert failure["observed"] == "str"
    assert "forty" not in json.dumps(results["string_in_numeric"].report)  # never cell values


@case
def sixty_percent_null(repo: Path) -> None:
    edit(repo, TRAIN, put("hours_per_week", slice(0, 240), np.nan))


def test_column_becomes_sixty_percent_null(results: dict) -> None:
    failure = assert_fails(
        results["sixty_percent_null"],
        "hours_per_week",
        "expect_column_values_to_not_be_null",
        "validation.columns.hours_per_week.nulls.max_fraction",
    )
    assert failure["unexpected_fraction"] == pytest.approx(0.6)


@case
def out_of_range(repo: Path) -> None:
    edit(repo, TEST, put("age", slice(0, 5), 1000.0))


def test_values_far_out_of_range(results: dict) -> None:
    failure = assert_fails(
        results["out_of_range"],
        "age",
        "expect_column_values_to_be_between",
        "validation.columns.age.range",
    )
    assert failure["observed"]["max"] == 1000.0
    assert failure["unexpected_fraction"] == pytest.approx(5 / 200)


@case
def category_not_allowed(repo: Path) -> None:
    edit(repo, TEST, put("race", slice(0, 3), "Martian"))


def test_category_outside_the_allowed_list(results: dict) -> None:
    failure = assert_fails(
        results["category_not_allowed"],
        "race",
        "expect_column_values_to_be_in_set",
        "validation.columns.race.categories.values",
    )
    assert failure["observed"] == ["Martian"]


def unseen_country(repo: Path) -> str:
    """A country the contract allows but the training split never saw."""
    train = pd.read_parquet(repo / TRAIN)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    allowed = params["validation"]["columns"]["native_country"]["categories"]["values"]
    return next(c for c in allowed if c not in set(train["native_country"]))


@case
def unseen_category_warning(repo: Path) -> None:
    edit(repo, TEST, put("native_country", slice(0, 20), unseen_country(repo)))


@case
def unseen_category_error(repo: Path) -> None:
    unseen_category_warning(repo)
    set_validation(repo, lambda v: v["unseen_categories"].update(severity="error"))


def test_unseen_category_in_test_fails_at_error_severity(results: dict) -> None:
    result = results["unseen_category_error"]
    failure = assert_fails(
        result,
        "native_country",
        "test_categories_seen_in_train",
        "validation.unseen_categories.max_fraction",
    )
    assert unseen_country(result.repo) in failure["observed"]
    assert failure["unexpected_fraction"] >= 20 / 200


def test_unseen_category_in_test_warns_at_warning_severity(results: dict) -> None:
    result = results["unseen_category_warning"]
    assert result.code == 0, result.stderr
    assert "warning: consistency: column 'native_country': test_categories_seen_in_train" in (
        result.stderr
    )
    assert result.report["success"] is True
    assert result.report["splits"]["consistency"]["warnings"]["failed"] == 1
    (failure,) = result.report["failures"]
    assert failure["column"] == "native_country" and failure["severity"] == "warning"
    assert unseen_country(result.repo) in failure["observed"]


@case
def empty_split(repo: Path) -> None:
    edit(repo, TEST, lambda f: f.iloc[:0])


def test_empty_split(results: dict) -> None:
    failure = assert_fails(
        results["empty_split"],
        None,
        "expect_table_row_count_to_be_between",
        "validation.row_count",
    )
    assert failure["observed"] == 0 and failure["split"] == "test"


@case
def duplicate_ids(repo: Path) -> None:
    edit(repo, TRAIN, lambda f: f.assign(id=np.r_[np.arange(len(f) - 1), 0].astype(float)))
    edit(repo, TEST, lambda f: f.assign(id=np.arange(len(f), dtype=float) + 1000))
    set_validation(repo, lambda v: v["columns"].update(id={"type": "numeric", "unique": {}}))


def test_duplicate_ids(results: dict) -> None:
    failure = assert_fails(
        results["duplicate_ids"],
        "id",
        "expect_column_values_to_be_unique",
        "validation.columns.id.unique",
    )
    assert failure["split"] == "train"
    assert failure["unexpected_fraction"] == pytest.approx(2 / 400)


@case
def single_class(repo: Path) -> None:
    edit(repo, TRAIN, lambda f: f.assign(income="<=50K"))


def test_single_class_target(results: dict) -> None:
    failure = assert_fails(
        results["single_class"], "income", "target_class_balance", "validation.target_balance"
    )
    assert failure["observed"]["classes"] == 1


@case
def drift(repo: Path) -> None:
    edit(repo, TEST, lambda f: f.assign(age=f["age"] + 15))


def test_drift_is_reported_at_its_severity(results: dict) -> None:
    result = results["drift"]
    assert result.code == 0, result.stderr  # drift is a warning in the shipped suite
    assert result.report["drift"]["age"] > 0.3
    assert "column 'age': ks_drift_below_threshold" in result.stderr
    assert "validation.drift.threshold" in result.stderr


@case
def missing_prepared_file(repo: Path) -> None:
    (repo / TEST).unlink()


def test_missing_prepared_file_is_one_line(results: dict) -> None:
    result = results["missing_prepared_file"]
    assert result.code == 2
    assert result.stderr.strip() == (
        f"validate: error: {TEST}: not found; run the `prepare` stage first (dvc repro prepare)"
    )
    assert not (result.repo / "reports/validation.json").exists()
