"""Reproduction from Git: clone + pull is up to date, and old data versions come back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from stages.compose import compose
from tests.conftest import ROOT, run

pytestmark = pytest.mark.slow


def commit(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", message], repo)


def use_remote(repo: Path, remote: Path) -> None:
    run(["dvc", "remote", "add", "-f", "-d", "local", str(remote)], repo)


def test_default_remote_is_outside_the_work_tree() -> None:
    config = (ROOT / ".dvc/config").read_text()
    assert "remote = local" in config
    assert "url = ~/.cache/ml-pipeline/dvc-remote" in config


def test_clone_and_pull_is_up_to_date_and_forced_repro_is_identical(
    tiny_repo: Path, tmp_path: Path
) -> None:
    use_remote(tiny_repo, tmp_path / "remote")
    run(["dvc", "repro"], tiny_repo)
    commit(tiny_repo, "results")
    run(["dvc", "push"], tiny_repo)

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(tiny_repo), str(clone)], tmp_path)
    run(["dvc", "pull"], clone)
    status = run(["dvc", "status"], clone)
    assert "Data and pipelines are up to date" in status.stdout
    repro = run(["dvc", "repro"], clone)
    assert "Running stage" not in repro.stdout
    assert (clone / "models/model/MLmodel").is_file()

    run(["dvc", "repro", "-f"], clone)
    assert (clone / "metrics.json").read_bytes() == (tiny_repo / "metrics.json").read_bytes()


def write_houses(path: Path, rows: slice) -> None:
    """A user's own dataset: a slice of diamonds as a plain CSV with a header."""
    with gzip.open(ROOT / "data/raw/diamonds/diamonds.csv.gz", "rt") as handle:
        lines = handle.read().splitlines()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([lines[0], *lines[1:][rows]]) + "\n")


HOUSES = """\
# @package _global_
defaults:
  - override /split: random
data:
  name: houses
  task: regression
  dir: data/raw/houses
  train_file: houses.csv
  test_file: null
  read: {header: true, columns: [], na_values: [], comment: null}
  target: price
  target_map: []
  positive_label: null
  numeric: [carat, depth, table, x, y, z]
  categorical: [cut, color, clarity]
  ordinal: {}
  time_column: null
"""


def test_checkout_of_an_old_commit_restores_its_data_and_metrics(tiny_repo: Path) -> None:
    data = tiny_repo / "data/raw/houses/houses.csv"
    (tiny_repo / "conf/data/houses.yaml").write_text(HOUSES)
    compose(
        tiny_repo / "params.yaml", ["data=houses", "model=linear", "cv=fast"], tiny_repo / "conf"
    )

    versions = []
    for rows in (slice(0, 1500), slice(20000, 21500)):
        write_houses(data, rows)
        run(["dvc", "add", "data/raw/houses"], tiny_repo)
        run(["dvc", "repro"], tiny_repo)
        commit(tiny_repo, f"houses rows {rows.start}")
        versions.append((data.read_bytes(), (tiny_repo / "metrics.json").read_bytes()))
    assert versions[0] != versions[1]

    run(["git", "checkout", "-q", "HEAD~1"], tiny_repo)
    run(["dvc", "checkout"], tiny_repo)
    assert data.read_bytes() == versions[0][0]
    assert (tiny_repo / "metrics.json").read_bytes() == versions[0][1]
    assert "Data and pipelines are up to date" in run(["dvc", "status"], tiny_repo).stdout
    metrics = json.loads(versions[0][1])
    assert metrics["r2"] > 0.5
