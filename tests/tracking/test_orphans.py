"""A run whose process was killed (`kill -9`) is marked KILLED by the next stage (issue 14, item 4).

A real subprocess starts a real run on a real SQLite store and is killed with SIGKILL; the next
`connect` (every tracked stage's first call) reconciles it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ml_pipeline.tracking.orphans import HOST, PID, REASON, process_tags
from ml_pipeline.tracking.session import Tracking, active_run, connect
from tests.conftest import seed_store

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from ml_pipeline.tracking.session import active_run, connect
with active_run(connect("ml-pipeline")) as run:
    print(run.info.run_id, flush=True)
    time.sleep(600)
"""


def test_a_killed_stage_run_is_marked_killed_by_the_next_one(
    tmp_path: Path,
    migrated_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    seed_store(migrated_db, tmp_path)  # where the stages' default store is: ./mlflow.db
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MLFLOW_TRACKING_URI", None)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        orphan = holder.stdout.readline().strip()
        assert orphan, "the holder process started no run"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()

    tracking: Tracking = connect("ml-pipeline")
    run = tracking.client.get_run(orphan)
    assert run.info.status == "KILLED"
    assert f"process {holder.pid}" in run.data.tags[REASON]
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1 and "marked 1 run(s) KILLED" in line and orphan in line

    # A live run of this process, and one of another repository, are left alone.
    with active_run(tracking) as mine:
        other = tracking.client.create_run(tracking.experiment_id)
        foreign = process_tags(tmp_path / "elsewhere") | {PID: str(holder.pid)}
        for key, value in foreign.items():
            tracking.client.set_tag(other.info.run_id, key, value)
        tags = tracking.client.get_run(mine.info.run_id).data.tags
        assert tags[PID] == str(os.getpid()) and HOST in tags
        connect("ml-pipeline")
        assert tracking.client.get_run(mine.info.run_id).info.status == "RUNNING"
    assert tracking.client.get_run(other.info.run_id).info.status == "RUNNING"


def test_a_command_that_opens_the_store_reconciles_too(
    tmp_path: Path,
    migrated_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`dvc repro` restored every stage from its run cache: no stage connected. The next
    command that opens the store (here `reproduce`, which fails on its URI) reconciles."""
    from commands import reproduce

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    seed_store(migrated_db, tmp_path)
    tracking = connect("ml-pipeline")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    orphan = tracking.client.create_run(tracking.experiment_id).info.run_id
    for key, value in (process_tags(tracking.store.root) | {PID: str(gone.pid)}).items():
        tracking.client.set_tag(orphan, key, value)
    capsys.readouterr()

    assert reproduce.main(["models:/no-such-model/1"]) == 2

    assert tracking.client.get_run(orphan).info.status == "KILLED"
    err = capsys.readouterr().err
    assert "marked 1 run(s) KILLED" in err and orphan in err
    assert "reproduce: error: models:/no-such-model/1: no such model version" in err
