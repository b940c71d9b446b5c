"""The Airflow DAG's start/nightly/publish/restore (orchestration/airflow_tasks.py, plain
Python), and where a scheduled run's params.yaml comes from. Fast: no Airflow, no stage run."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from commands.compose import compose
from orchestration.airflow_tasks import (
    SNAPSHOT_FILE,
    nightly,
    publish_results,
    restore_workspace,
    start,
)
from orchestration.config import load_run_config
from orchestration.publish import PublishError
from tests.conftest import run


def from_conf(repo: Path) -> str:
    """params.yaml as `conf/` composes it, with no override."""
    with tempfile.TemporaryDirectory() as tmp:
        compose(Path(tmp) / "params.yaml", [], repo / "conf")
        return (Path(tmp) / "params.yaml").read_text()


def test_restore_does_nothing_when_start_refused_the_workspace(tiny_repo: Path) -> None:
    assert start(tiny_repo, True, 0).startswith("start: workspace recorded")  # an earlier run
    assert (tiny_repo / SNAPSHOT_FILE).is_file()  # ... left its record (killed before restore)
    run(["git", "checkout", "-q", "--", "params.yaml"], tiny_repo)
    edited = tiny_repo / "stages/prepare.py"
    edited.write_text("# the user's work in progress\n")
    with pytest.raises(PublishError, match="stages/prepare.py"):
        start(tiny_repo, True, 0)
    assert (
        restore_workspace(tiny_repo, 0) == "restore: nothing to undo (start recorded no workspace)"
    )
    assert (
        edited.read_text() == "# the user's work in progress\n"
    )  # not "restored" from the old record


def test_a_scheduled_run_composes_params_from_conf_and_a_run_once_does_not(tiny_repo: Path) -> None:
    params = tiny_repo / "params.yaml"
    left = params.read_text()  # `data=tiny`, as the last `make orchestrate ARGS=data=tiny` left it
    assert left != from_conf(tiny_repo)
    assert load_run_config(tiny_repo, []).params_text == left  # a run once: params.yaml as it is
    assert load_run_config(tiny_repo, [], from_conf=True).params_text == from_conf(tiny_repo)

    assert start(tiny_repo, False, 0).startswith("start: run once")
    assert params.read_text() == left and not (tiny_repo / SNAPSHOT_FILE).exists()
    settings = load_run_config(tiny_repo, []).orchestrate
    assert publish_results(tiny_repo, settings, False) == ["publish: run once: no branch written"]
    assert run(["git", "branch", "--list", "retrain/*"], tiny_repo).stdout == ""

    start(tiny_repo, True, 0)
    assert params.read_text() == from_conf(tiny_repo)
    assert restore_workspace(tiny_repo, 0).startswith("restore: workspace restored")
    assert params.read_text() == left and not (tiny_repo / SNAPSHOT_FILE).exists()


def test_nightly_ok_publishes_nothing_and_retrain_publishes_the_appended_batch(
    tiny_repo: Path,
) -> None:
    settings = load_run_config(tiny_repo, [], from_conf=True).orchestrate
    decision = tiny_repo / "reports/monitor_decision.json"  # as the DAG's monitor stage writes it
    decision.parent.mkdir(exist_ok=True)
    start(tiny_repo, True, 0)  # params.yaml from conf/: adult
    decision.write_text(
        json.dumps({"decision": "ok", "reasons": ["no drift"], "batches": ["2026-11-30"]})
    )
    assert nightly(tiny_repo, (), True, 0) == [
        "monitor: ok: no drift; nothing retrained, nothing published"
    ]
    assert publish_results(tiny_repo, settings, True) == [
        "publish: nothing published (see the monitor's decision)"
    ]
    assert run(["git", "branch", "--list", "retrain/*"], tiny_repo).stdout == ""

    train = tiny_repo / "data/raw/adult/adult.data.gz"
    before = train.read_bytes()
    batch = tiny_repo / "data/incoming/adult/2026-12-01.csv"
    batch.parent.mkdir(parents=True, exist_ok=True)  # the demo batch lives there
    batch.write_text("38, Private, 89814, HS-grad, 9, Married-civ-spouse, Farming-fishing, "
                     "Husband, White, Male, 0, 0, 50, United-States, >50K\n")  # fmt: skip
    decision.unlink()
    run(["git", "add", "data/incoming"], tiny_repo)
    run(["git", "commit", "-qm", "a batch"], tiny_repo)
    start(tiny_repo, True, 0)
    drift = {"decision": "retrain", "reasons": ["drift"], "batches": ["2026-12-01"]}
    decision.write_text(json.dumps(drift))
    notes = nightly(tiny_repo, (), True, 0)
    assert notes[1] == "appended labelled rows (2026-12-01: 1) as a new data version"
    publish_results(tiny_repo, settings, True)
    branch = run(["git", "branch", "--list", "retrain/*"], tiny_repo).stdout.strip()
    changed = run(["git", "show", "--name-only", "--format=", branch], tiny_repo).stdout.split()
    assert "data/raw/adult/adult.data.gz" in changed
    assert "data/raw/adult/appended_batches.json" in changed
    assert train.read_bytes() == before  # the workspace as `start` recorded it
