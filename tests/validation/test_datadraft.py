"""`make suite DATA=<name> TARGET=<col>` drafts conf/data/<name>.yaml and a starter gate from the
file, then the contract (issue 14, item 9). In-process in a plain copy of the repository."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from commands import suite
from commands.suite import load_data_config
from ml_pipeline.core.config import DataConfig


def houses(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    area = rng.uniform(30, 200, n).round(1)
    return pd.DataFrame(
        {
            "listing_id": rng.permutation(np.arange(10_000, 10_000 + n)),
            "sold_on": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "area": area,
            "rooms": rng.integers(1, 6, n),
            "district": rng.choice(["north", "south", "east"], n),
            "street": [f"street {i}" for i in range(n)],
            "price": (area * 3000 + rng.normal(0, 80_000, n)).round(0),  # |corr| < 0.99: no leak
            "sold_fast": rng.choice(["yes", "no"], n, p=[0.3, 0.7]),
        }
    )


@pytest.fixture
def repo(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tiny_dir)
    for own in tiny_dir.glob("conf/*/houses.yaml"):  # a user's own `houses` (docs/configuration.md)
        own.unlink()
    (tiny_dir / "data/raw/houses").mkdir(parents=True)
    houses().to_csv(tiny_dir / "data/raw/houses/houses.csv", index=False)
    return tiny_dir


def test_regression_draft_types_columns_and_leaves_ids_out(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert suite.main(["houses", "--target", "price"]) == 0
    out = capsys.readouterr().out
    assert "task regression" in out and "conf/register/houses.yaml" in out
    text = (repo / "conf/data/houses.yaml").read_text()
    assert "#   listing_id: a distinct whole number on every row, like an ID" in text
    assert "#   street: a distinct value on every row, like an ID" in text
    data, split, _ = load_data_config("houses", repo / "conf")
    assert isinstance(data, DataConfig) and data.task == "regression"
    assert data.numeric == ["area", "rooms"]
    assert data.categorical == ["district", "sold_fast"]
    assert data.time_column == "sold_on" and split.method == "time"
    gate = yaml.safe_load((repo / "conf/register/houses.yaml").read_text())
    assert gate["beat_baseline"] is True and gate["thresholds"] == []
    assert (repo / "conf/validation/houses.yaml").is_file()


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_file_with_another_delimiter_is_drafted_with_it(repo: Path, delimiter: str) -> None:
    """The draft sniffs the delimiter from the header line and writes it into `data.read`, so
    prepare reads the file as the draft did (issue 23, item 10)."""
    houses().to_csv(repo / "data/raw/houses/houses.csv", index=False, sep=delimiter)
    assert suite.main(["houses", "--target", "price"]) == 0
    data, _, _ = load_data_config("houses", repo / "conf")
    assert data.read.delimiter == delimiter
    assert data.numeric == ["area", "rooms"] and data.target == "price"


def test_classification_draft_guesses_the_task_and_positive_label(repo: Path) -> None:
    assert suite.main(["houses", "--target", "sold_fast"]) == 0
    data, split, _ = load_data_config("houses", repo / "conf")
    assert data.task == "classification" and data.positive_label == "yes"
    assert "price" in data.numeric
    gate = yaml.safe_load((repo / "conf/register/houses.yaml").read_text())
    assert gate["primary_metric"] == "roc_auc"


def test_without_a_target_the_draft_is_refused_in_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert suite.main(["houses"]) == 2
    err = capsys.readouterr().err.strip()
    assert "TARGET=<column>" in err and len(err.splitlines()) == 1
    assert not (repo / "conf/data/houses.yaml").exists()


@pytest.mark.slow
@pytest.mark.parametrize("target", ["price", "sold_fast"])
def test_a_drafted_dataset_registers_on_the_first_experiment(tiny_repo: Path, target: str) -> None:
    import sys

    from tests.conftest import run

    (tiny_repo / "data/raw/houses").mkdir(parents=True)
    houses().to_csv(tiny_repo / "data/raw/houses/houses.csv", index=False)
    run([sys.executable, "-m", "commands.suite", "houses", "--target", target], tiny_repo)
    result = run(["dvc", "exp", "run", "-S", "data=houses", "-S", "cv=fast"], tiny_repo)
    assert "register: champion" in result.stdout, result.stdout[-2000:]
