"""What the Airflow DAG's `start`, `publish` and `restore` tasks do, in plain Python (no Airflow).

A scheduled run (`publishing`) refuses a workspace with foreign changes, records it in
SNAPSHOT_FILE, and composes params.yaml from conf/; `publish` keeps the results on a branch and
`restore` undoes a failed run from the record. A run once (`make airflow-test`) does none of it:
it runs the stages on params.yaml as it is and publishes nothing. `restore` without a record
(`start` refused the workspace, or a run once) does nothing: it never restores a stale record.
`nightly` acts on the monitor's decision (orchestration/nightly.py) and keeps its outcome in
NIGHTLY_FILE for `publish`: `ok` publishes nothing, `retrain` the appended data and its evidence.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ml_pipeline.core.config import OrchestrateConfig, parse_params
from orchestration.config import load_run_config, write_params
from orchestration.lock import pipeline_lock
from orchestration.nightly import act_on_decision, load_outcome, publish_outcome, save_outcome
from orchestration.publish import Snapshot, check_clean, restore, snapshot
from orchestration.stage import run_stage

SNAPSHOT_FILE = ".dvc/tmp/orchestrate-snapshot.json"
NIGHTLY_FILE = ".dvc/tmp/orchestrate-nightly.json"


def start(repo: Path, publishing: bool, lock_timeout: float) -> str:
    """Before the stages: forget an old record; when publishing, check, record, compose."""
    recorded = repo / SNAPSHOT_FILE
    with pipeline_lock(repo, lock_timeout):
        recorded.unlink(missing_ok=True)
        (repo / NIGHTLY_FILE).unlink(missing_ok=True)
        if not publishing:
            return "start: run once: params.yaml as it is, nothing published"
        check_clean(repo)
        before = snapshot(repo)
        recorded.parent.mkdir(parents=True, exist_ok=True)
        recorded.write_text(
            json.dumps({"commit": before.commit, "untracked": sorted(before.untracked)})
        )
        write_params(repo, load_run_config(repo, [], from_conf=True))
    return "start: workspace recorded; params.yaml composed from conf/"


def nightly(
    repo: Path, stages: tuple[str, ...], publishing: bool, lock_timeout: float
) -> list[str]:
    """After the stages: act on the monitor's decision (`retrain`: append, run `stages` again)."""
    with pipeline_lock(repo, lock_timeout):
        data = parse_params(yaml.safe_load((repo / "params.yaml").read_text())).data
        outcome = act_on_decision(
            repo, data, publishing, lambda: [run_stage(repo, stage) for stage in stages]
        )
        save_outcome(repo / NIGHTLY_FILE, outcome)
    return list(outcome.notes)


def publish_results(repo: Path, settings: OrchestrateConfig, publishing: bool) -> list[str]:
    """After `nightly`: the results on a `retrain/<date>` branch (nothing for a run once, or
    when the monitor said `ok`); after a retrain, the workspace as `start` recorded it."""
    if not publishing:
        return ["publish: run once: no branch written"]
    with pipeline_lock(repo, settings.lock_timeout_seconds):
        outcome = load_outcome(repo / NIGHTLY_FILE)
        try:
            notes = list(publish_outcome(repo, settings, outcome)) or [
                "publish: nothing published (see the monitor's decision)"
            ]
        finally:
            if outcome.extra:  # the new data version and its results live on the branch
                restore(repo, _recorded(repo))
        (repo / SNAPSHOT_FILE).unlink(missing_ok=True)
        (repo / NIGHTLY_FILE).unlink(missing_ok=True)
    return notes


def restore_workspace(repo: Path, lock_timeout: float) -> str:
    """After a failure: the workspace as `start` recorded it, or nothing when it recorded none."""
    recorded = repo / SNAPSHOT_FILE
    with pipeline_lock(repo, lock_timeout):
        if not recorded.is_file():
            return "restore: nothing to undo (start recorded no workspace)"
        restore(repo, _recorded(repo))
        recorded.unlink()
        (repo / NIGHTLY_FILE).unlink(missing_ok=True)
    return "restore: workspace restored; no branch written"


def _recorded(repo: Path) -> Snapshot:
    """The workspace as `start` recorded it."""
    saved = json.loads((repo / SNAPSHOT_FILE).read_text())
    return Snapshot(saved["commit"], frozenset(saved["untracked"]))
