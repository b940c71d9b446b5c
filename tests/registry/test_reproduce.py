"""Reproduction from Git: clone + pull is up to date, and old data versions come back."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from commands.compose import compose
from commands.reproduce import differences, lineage_from_tags, parse_uri
from ml_pipeline.core.errors import StageError
from tests.conftest import ROOT, run

slow = pytest.mark.slow


def commit(repo: Path, message: str) -> None:
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", message], repo)


def use_remote(repo: Path, remote: Path) -> None:
    run(["dvc", "remote", "add", "-f", "-d", "local", str(remote)], repo)


def test_default_remote_is_outside_the_work_tree() -> None:
    config = (ROOT / ".dvc/config").read_text()
    assert "remote = local" in config
    assert "url = ~/.cache/ml-pipeline/dvc-remote" in config


@slow
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

    # Determinism: a forced run of every stage gives the same bytes (metrics and importance,
    # whose permutations are seeded).
    run(["dvc", "repro", "-f"], clone)
    for name in ("metrics.json", "reports/plots/importance.csv"):
        assert (clone / name).read_bytes() == (tiny_repo / name).read_bytes(), name


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
  - override /register: diamonds
  - override /validation: houses
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
  slices: null
"""


@slow
def test_checkout_of_an_old_commit_restores_its_data_and_metrics(tiny_repo: Path) -> None:
    data = tiny_repo / "data/raw/houses/houses.csv"
    (tiny_repo / "conf/data/houses.yaml").write_text(HOUSES)

    versions = []
    for rows in (slice(0, 1500), slice(20000, 21500)):
        write_houses(data, rows)
        run(["dvc", "add", "data/raw/houses"], tiny_repo)
        # The data contract is profiled from (and versioned with) each data version.
        run(["python", "-m", "commands.suite", "houses", "--force"], tiny_repo)
        overrides = ["data=houses", "model=linear", "cv=fast"]
        compose(tiny_repo / "params.yaml", overrides, tiny_repo / "conf")
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


LINEAGE = {"git.commit": "a" * 40, "git.dirty": "false", "metric.accuracy": "0.8125"}


def test_lineage_of_a_version_comes_from_its_tags() -> None:
    lineage = lineage_from_tags("models:/m/1", LINEAGE | {"data.md5.test": "abc"})
    assert lineage.commit == "a" * 40
    assert lineage.metrics == {"accuracy": 0.8125}
    assert lineage.data_md5 == {"test": "abc"} and lineage.params_run_id is None
    modified = LINEAGE | {"git.params_modified": "true", "mlflow.run_id": "r1"}
    assert lineage_from_tags("models:/m/1", modified).params_run_id == "r1"
    assert parse_uri("models:/m/12") == ("m", "12")


@pytest.mark.parametrize(
    ("uri", "tags", "message"),
    [
        ("models:/m@champion", LINEAGE, "expected models:/<name>/<version>"),
        ("models:/m/1", {}, "has no lineage (no git.commit tag)"),
        ("models:/m/1", LINEAGE | {"git.dirty": "true"}, "uncommitted changes"),
        ("models:/m/1", LINEAGE | {"git.params_modified": "true"}, "names no run to fetch it"),
        ("models:/m/1", {"git.commit": "a" * 40, "git.dirty": "false"}, "no metric.* tags"),
    ],
)
def test_versions_that_cannot_be_reproduced_are_refused(uri, tags, message) -> None:
    with pytest.raises(StageError, match=re.escape(message)):
        lineage_from_tags(parse_uri(uri) and uri, tags)


def test_differences_name_each_metric_not_given_back_exactly() -> None:
    recorded = {"accuracy": 0.8125, "f1": 0.5, "roc_auc": 0.9}
    assert differences(recorded, dict(recorded)) == []
    assert differences(recorded, {"accuracy": 0.8125, "f1": 0.50001}) == [
        "f1: recorded 0.5, reproduced 0.50001",
        "roc_auc: recorded 0.9, reproduced nothing",
    ]


def reproduce(repo: Path, uri: str, check: bool = True):
    return run(["python", "-m", "commands.reproduce", uri], repo, check=check, timeout=600)


@slow
def test_reproduce_a_registered_version_from_its_lineage(tiny_repo: Path) -> None:
    # The dataset under DVC, as a user's own data would be, so reproduction must fetch it.
    run(["git", "rm", "-rq", "--cached", "data/raw/tiny"], tiny_repo)
    run(["dvc", "add", "data/raw/tiny"], tiny_repo)
    commit(tiny_repo, "tiny under DVC")
    run(["dvc", "repro"], tiny_repo)
    commit(tiny_repo, "results")
    uri = "models:/ml-pipeline-tiny/1"

    result = reproduce(tiny_repo, uri)
    assert f"{uri} reproduces exactly" in result.stdout
    recorded = json.loads((tiny_repo / "metrics.json").read_text())
    for name, value in recorded.items():
        assert f"{name}" in result.stdout and str(value) in result.stdout
    assert run(["git", "worktree", "list"], tiny_repo).stdout.count("\n") == 1

    # An experiment's version: the commit plus the params.yaml its run logged.
    run(
        ["dvc", "exp", "run", "-S", "data=tiny", "-S", "model=hgb", "-S", "model.max_iter=50"],
        tiny_repo,
    )
    import mlflow

    store = f"sqlite:///{tiny_repo}/mlflow.db"  # registry too: not a global of earlier tests
    client = mlflow.MlflowClient(store, registry_uri=store)
    tags = client.get_model_version("ml-pipeline-tiny", "2").tags
    head = run(["git", "rev-parse", "HEAD"], tiny_repo).stdout.strip()
    assert (tags["git.commit"], tags["git.dirty"], tags["git.params_modified"]) == (
        head,  # the experiment's baseline, not DVC's temporary commit
        "false",
        "true",
    )
    experiment = reproduce(tiny_repo, "models:/ml-pipeline-tiny/2")
    assert "with the params.yaml of run" in experiment.stdout
    assert "models:/ml-pipeline-tiny/2 reproduces exactly" in experiment.stdout

    unknown = reproduce(tiny_repo, "models:/ml-pipeline-tiny/7", check=False)
    assert unknown.returncode == 2
    assert unknown.stderr.strip().count("\n") == 0
    assert "no such model version" in unknown.stderr

    shutil.rmtree(tiny_repo / ".dvc/cache")  # no cache, no remote: the data cannot be found
    missing = reproduce(tiny_repo, uri, check=False)
    assert missing.returncode == 2
    assert "fetching the data of" in missing.stderr
    assert missing.stderr.strip().count("\n") == 0
