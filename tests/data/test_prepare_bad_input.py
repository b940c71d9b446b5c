"""Bad input to `prepare`: one clear line, a non-zero exit, and no output left behind.

In-process (`main([])`, capsys); tests/project/test_entry_points.py runs the module once for real.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import yaml

from stages import prepare

OUTPUTS = ["data/prepared/train.parquet", "data/prepared/test.parquet", "reports/prepare.json"]


def set_params(repo: Path, section: str, **values: object) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def write_gz(path: Path, text: str) -> None:
    with gzip.open(path, "wt") as handle:
        handle.write(text)


@pytest.fixture(autouse=True)
def in_repo(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tiny_dir)


@pytest.fixture
def assert_fails(capsys: pytest.CaptureFixture[str]):
    def check(repo: Path, *needles: str) -> None:
        status = prepare.main([])
        err = capsys.readouterr().err
        assert status == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("prepare: error: ")
        for needle in needles:
            assert needle in lines[0]
        for output in OUTPUTS:
            assert not (repo / output).exists(), output

    return check


def test_missing_source_file(tiny_dir: Path, assert_fails) -> None:
    (tiny_dir / "data/raw/tiny/tiny.data.gz").unlink()
    assert_fails(tiny_dir, "tiny.data.gz", "data.train_file", "not found")


def test_truncated_gzip_is_one_line(tiny_dir: Path, assert_fails) -> None:
    path = tiny_dir / "data/raw/tiny/tiny.data.gz"
    path.write_bytes(path.read_bytes()[:-200])
    assert_fails(tiny_dir, "tiny.data.gz", "truncated or damaged", "data.train_file")


def tiny_lines(repo: Path) -> list[str]:
    with gzip.open(repo / "data/raw/tiny/tiny.data.gz", "rt") as handle:
        return handle.read().splitlines()


def test_headerless_file_with_a_dropped_column(tiny_dir: Path, assert_fails) -> None:
    lines = [line.rsplit(",", 1)[0] for line in tiny_lines(tiny_dir)]
    write_gz(tiny_dir / "data/raw/tiny/tiny.data.gz", "\n".join(lines) + "\n")
    assert_fails(tiny_dir, "tiny.data.gz", "14 column(s) found", "data.read.columns lists 15")


def test_headerless_file_with_another_delimiter(tiny_dir: Path, assert_fails) -> None:
    lines = [line.replace(", ", ";") for line in tiny_lines(tiny_dir)]
    write_gz(tiny_dir / "data/raw/tiny/tiny.data.gz", "\n".join(lines) + "\n")
    assert_fails(tiny_dir, "tiny.data.gz", "1 column(s) found", "delimiter")


@pytest.mark.parametrize("rows", [5, 0], ids=["header-and-rows", "header-only"])
def test_header_line_in_a_headerless_file(tiny_dir: Path, assert_fails, rows: int) -> None:
    columns = yaml.safe_load((tiny_dir / "params.yaml").read_text())["data"]["read"]["columns"]
    lines = [", ".join(columns), *tiny_lines(tiny_dir)[:rows]]
    write_gz(tiny_dir / "data/raw/tiny/tiny.data.gz", "\n".join(lines) + "\n")
    assert_fails(tiny_dir, "tiny.data.gz", "looks like a header", "data.read.header: true")


def test_target_column_not_in_file(tiny_dir: Path, assert_fails) -> None:
    set_params(tiny_dir, "data", target="salary")
    assert_fails(tiny_dir, "'salary'", "data.target")


def test_empty_file(tiny_dir: Path, assert_fails) -> None:
    write_gz(tiny_dir / "data/raw/tiny/tiny.test.gz", "")
    assert_fails(tiny_dir, "tiny.test.gz", "empty", "data.test_file")


def test_single_class_target(tiny_dir: Path, assert_fails) -> None:
    source = tiny_dir / "data/raw/tiny/tiny.data.gz"
    with gzip.open(source, "rt") as handle:
        rows = [line for line in handle if line.rstrip().endswith("<=50K")]
    write_gz(source, "".join(rows))
    assert_fails(tiny_dir, "'income'", "data.target", "single class")


def test_non_numeric_regression_target(tiny_dir: Path, assert_fails) -> None:
    params = yaml.safe_load((tiny_dir / "params.yaml").read_text())
    categorical = [c for c in params["data"]["categorical"] if c != "workclass"]
    set_params(
        tiny_dir,
        "data",
        task="regression",
        target="workclass",
        positive_label=None,
        categorical=categorical,
    )
    set_params(tiny_dir, "register", primary_metric="rmse", direction="lower", thresholds=[])
    assert_fails(tiny_dir, "'workclass'", "data.target", "data.task", "non-numeric")


@pytest.mark.parametrize(
    ("section", "values", "needle"),
    [
        ("model", {"max_iter": "many"}, "model.max_iter"),
        (
            "model",
            {"depth": 3},
            "unknown key 'model.depth'; allowed keys here: calibration, name, learning_rate",
        ),
        ("model", {"name": "xgb"}, "'hgb', 'rf', 'linear'"),
        ("split", {"method": "by_month"}, "split.method"),
        ("data", {"task": "ranking"}, "data.task"),
    ],
)
def test_bad_parameter_fails_before_any_work(
    tiny_dir: Path, assert_fails, section: str, values: dict, needle: str
) -> None:
    set_params(tiny_dir, section, **values)
    assert_fails(tiny_dir, "params.yaml", needle)
