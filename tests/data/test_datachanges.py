"""prepare says what it changed in the data on its own line, and refuses target classes that
differ only in case or spaces (issue 14, item 7). In-process on `tiny`."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from ml_pipeline.core.errors import StageError
from ml_pipeline.data.changes import check_class_spelling
from stages import prepare

TRAIN = "data/raw/tiny/tiny.data.gz"


def rewrite(repo: Path, edit) -> None:  # noqa: ANN001 - list[str] -> list[str]
    with gzip.open(repo / TRAIN, "rt") as handle:
        lines = handle.read().splitlines()
    with gzip.open(repo / TRAIN, "wt") as handle:
        handle.write("\n".join(edit(lines)) + "\n")


@pytest.fixture(autouse=True)
def in_repo(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tiny_dir)


def test_prepare_line_shows_coerced_values_and_dropped_duplicates(
    tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(lines: list[str]) -> list[str]:
        ages = ["unknown" + line[line.index(",") :] for line in lines[:3]]
        return [*ages, *lines[3:], lines[10], lines[11]]

    rewrite(tiny_dir, edit)
    assert prepare.main([]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("prepare: tiny: ")
    assert "values made missing: age 3" in line
    assert "2 duplicate rows dropped" in line
    assert "(reports/prepare.json)" in line


def test_target_classes_differing_in_case_or_spaces_are_refused(
    tiny_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(lines: list[str]) -> list[str]:
        return [
            line.replace(">50K", ">50k ") if i % 7 == 0 else line for i, line in enumerate(lines)
        ]

    rewrite(tiny_dir, edit)
    assert prepare.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("prepare: error: "), err
    assert "'>50K', '>50k '" in err and "data.target_map" in err
    assert not (tiny_dir / "data/prepared/train.parquet").exists()


def test_class_spelling_suggests_a_target_map() -> None:
    labels = pd.Series(["yes", "Yes ", "YES", "no", None])
    with pytest.raises(StageError) as caught:
        check_class_spelling(labels, "y")
    message = str(caught.value)
    assert "'YES', 'Yes ', 'yes'" in message
    assert "{old: 'Yes ', new: 'YES'}" in message and "{old: 'yes', new: 'YES'}" in message
    check_class_spelling(pd.Series(["yes", "no", "maybe"]), "y")  # distinct classes pass
