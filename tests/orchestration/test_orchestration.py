"""Orchestration, fast: the graph read from dvc.yaml, failure sorting, the lock, publishing."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ml_pipeline.core.errors import StageError
from orchestration.config import load_run_config, stages_up_to
from orchestration.graph import read_graph
from orchestration.lock import RepositoryBusy, pipeline_lock
from orchestration.publish import (
    PublishError,
    check_clean,
    commit_results,
    restore,
    snapshot,
)
from orchestration.stage import StageRun, classify
from tests.conftest import ROOT, pipeline_env, run


def dvc_dag(repo: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """Stages and edges of `dvc dag --dot` (the CLI, as people see it).

    The `.dvc` files of data added with `dvc add` (docs/configuration.md, "Add your own
    dataset") are nodes there too; they are no stage to run.
    """
    dot = run(["dvc", "dag", "--dot"], repo).stdout
    nodes = set(re.findall(r'^"([^"]+)";$', dot, flags=re.MULTILINE))
    edges = set(re.findall(r'^"([^"]+)" -> "([^"]+)";$', dot, flags=re.MULTILINE))
    stages = {node for node in nodes if not node.endswith(".dvc")}
    return stages, {edge for edge in edges if set(edge) <= stages}


def test_graph_equals_dvc_dag() -> None:
    graph = read_graph(ROOT)
    nodes, edges = dvc_dag(ROOT)
    assert set(graph.stages) == nodes
    assert graph.edges == edges
    assert graph.stages[0] == "check" and graph.stages[-1] == "score"
    for upstream, downstream in graph.edges:  # an order in which every edge points forward
        assert graph.stages.index(upstream) < graph.stages.index(downstream)


def test_adding_a_stage_to_dvc_yaml_adds_a_task(tiny_repo: Path) -> None:
    dvc_yaml = yaml.safe_load((tiny_repo / "dvc.yaml").read_text())
    dvc_yaml["stages"]["summarise"] = {
        "cmd": "python -c 'print(1)' > reports/summary.txt",
        "deps": ["metrics.json"],
        "outs": ["reports/summary.txt"],
    }
    (tiny_repo / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml, sort_keys=False))
    graph = read_graph(tiny_repo)
    assert graph.stages[-1] == "summarise"
    assert graph.upstream("summarise") == ["evaluate"]
    assert (set(graph.stages), set(graph.edges)) == dvc_dag(tiny_repo)


def test_stages_up_to_a_target_are_its_ancestors() -> None:
    graph = read_graph(ROOT)
    assert stages_up_to(graph.stages, graph.edges, "validate") == ["check", "prepare", "validate"]
    assert stages_up_to(graph.stages, graph.edges, None) == list(graph.stages)
    with pytest.raises(StageError, match="unknown stage 'nope'"):
        stages_up_to(graph.stages, graph.edges, "nope")


# What `dvc repro --single-item validate` prints when the stage rejects the data (seen here).
CONTRACT_FAILURE = """\
validate: error: train: column 'age': expect_column_values_to_be_between: observed {'min': 500.0}
validate: warning: consistency: column 'age': ks_drift_below_threshold: observed 1.0
validate: error: 1 error-level expectation(s) failed (1 warning(s)); details in reports/...
ERROR: failed to reproduce 'validate': failed to run: python -m stages.validate, exited with 2
"""


def test_a_stage_own_error_is_not_retryable_and_keeps_its_first_line() -> None:
    failure = classify(StageRun("validate", 255, "", CONTRACT_FAILURE))
    assert failure is not None and not failure.retryable
    assert failure.line.startswith("validate: error: train: column 'age'")


@pytest.mark.parametrize(
    "stderr",
    [
        # The same line, but the command died another way (a crash, a kill): try again.
        CONTRACT_FAILURE.replace("exited with 2", "exited with 1"),
        "ERROR: failed to reproduce 'train': failed to run: python -m stages.train, exited with -9",
        "ERROR: Unable to acquire lock. Most likely another DVC process is running or was "
        "terminated abruptly. '.dvc/tmp/rwlock' is busy",
        "",
    ],
)
def test_other_failures_are_transient(stderr: str) -> None:
    failure = classify(StageRun("train", 255, "", stderr))
    assert failure is not None and failure.retryable
    assert failure.line.startswith("train: transient failure:")


def test_success_has_a_summary_line() -> None:
    assert classify(StageRun("prepare", 0, "prepare: tiny: 400 rows\n", "")) is None
    assert StageRun("prepare", 0, "x\nprepare: tiny: 400 rows\nUpdating lock\n", "").summary == (
        "prepare: tiny: 400 rows"
    )
    skipped = StageRun("prepare", 0, "Stage 'prepare' didn't change, skipping\n", "")
    assert skipped.summary == "prepare: unchanged (DVC skipped it)"


HOLD = (
    "from orchestration.lock import pipeline_lock; import sys, time\n"
    "with pipeline_lock(__import__('pathlib').Path(sys.argv[1])):\n"
    "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n"
)


def hold_lock(repo: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the repository's lock for `seconds`."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(repo), str(seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_is_refused_while_the_lock_is_held(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path, 30)
    try:
        with pytest.raises(RepositoryBusy, match=f"pid {holder.pid}"), pipeline_lock(tmp_path, 0):
            pass
    finally:
        holder.kill()
        holder.wait()
    with pipeline_lock(tmp_path, 0):  # released when its holder died
        pass


def test_a_second_run_waits_for_the_lock(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path, 2)
    start = time.monotonic()
    with pipeline_lock(tmp_path, timeout=60, poll=0.1):
        waited = time.monotonic() - start
    holder.wait()
    assert 0.5 < waited < 30


def test_orchestrate_config_is_composed_and_bad_overrides_fail_in_one_line(tiny_repo: Path) -> None:
    settings = load_run_config(tiny_repo, ["data=tiny", "orchestrate.retries=5"]).orchestrate
    assert settings.retries == 5 and settings.cron == "0 2 * * *"
    with pytest.raises(StageError) as bad:
        load_run_config(tiny_repo, ["data=tiny", "orchestrate.retries=-1"])
    assert "orchestrate.retries" in str(bad.value) and "\n" not in str(bad.value)
    with pytest.raises(StageError, match="model"):
        load_run_config(tiny_repo, ["model=xgb"])


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], repo).stdout.strip()


def test_results_go_to_a_branch_never_to_head(tiny_repo: Path) -> None:
    head = git(tiny_repo, "rev-parse", "HEAD")
    assert commit_results(tiny_repo, "retrain/x", "master", "m") is None  # nothing changed
    (tiny_repo / "metrics.json").write_text('{"accuracy": 0.5}\n')
    (tiny_repo / "dvc.lock").write_text("schema: '2.0'\n")
    commit = commit_results(tiny_repo, "retrain/x", "master", "results")
    assert commit and git(tiny_repo, "rev-parse", "retrain/x") == commit
    assert git(tiny_repo, "rev-parse", "HEAD") == head  # main (here master) did not move
    assert git(tiny_repo, "show", "retrain/x:metrics.json") == '{"accuracy": 0.5}'
    assert git(tiny_repo, "diff", "--name-only", head, "retrain/x").split() == [
        "dvc.lock",
        "metrics.json",
    ]
    assert commit_results(tiny_repo, "retrain/x", "master", "again") is None  # same results
    (tiny_repo / "metrics.json").write_text('{"accuracy": 0.6}\n')
    second = commit_results(tiny_repo, "retrain/x", "master", "next")
    assert git(tiny_repo, "rev-parse", f"{second}^") == commit
    with pytest.raises(PublishError, match="refusing"):
        commit_results(tiny_repo, "master", "master", "no")


def test_a_scheduled_run_refuses_foreign_changes(tiny_repo: Path) -> None:
    (tiny_repo / "metrics.json").write_text("{}\n")  # a result: fine
    check_clean(tiny_repo)
    (tiny_repo / "stages/prepare.py").write_text("# edited\n")
    with pytest.raises(PublishError, match="stages/prepare.py"):
        check_clean(tiny_repo)


def test_restore_puts_the_workspace_back(tiny_repo: Path) -> None:
    (tiny_repo / "params.yaml").write_text((tiny_repo / "params.yaml").read_text() + "# mine\n")
    before_status = git(tiny_repo, "status", "--porcelain")
    before = snapshot(tiny_repo)
    assert git(tiny_repo, "status", "--porcelain") == before_status  # snapshot changes nothing
    (tiny_repo / "params.yaml").write_text("seed: 1\n")
    (tiny_repo / "dvc.lock").write_text("schema: '2.0'\n")
    restore(tiny_repo, before)
    assert git(tiny_repo, "status", "--porcelain") == before_status
    assert (tiny_repo / "params.yaml").read_text().endswith("# mine\n")


def test_the_team_stack_has_a_prefect_server_of_the_locked_version() -> None:
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    prefect = compose["services"]["prefect"]
    pinned = re.search(r'"prefect==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned and prefect["image"].startswith(f"prefecthq/prefect:{pinned.group(1)}-")
    assert "/api/health" in " ".join(prefect["healthcheck"]["test"])
    assert all(port.startswith("127.0.0.1:") for port in prefect["ports"])
    assert "postgres:5432/prefect" in prefect["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]


def test_schedule_without_a_prefect_server_says_what_to_start() -> None:
    """In a process of its own: importing Prefect configures logging handlers on the stderr of
    the moment, which later tests of the same worker would otherwise write through."""
    env = pipeline_env()
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.prefect_flow", "serve", "--repo", str(ROOT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    err = done.stderr.strip()
    assert err.startswith("orchestrate: error: a schedule needs a Prefect server")
    assert "\n" not in err and "PREFECT_API_URL" in err
