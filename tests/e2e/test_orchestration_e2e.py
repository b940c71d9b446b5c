"""The orchestrators on the real pipeline (`tiny`, a copy of the repository): Prefect's flow in
its ephemeral mode, and Airflow's `dags test` in its own environment. No mocks; faults are real
failing commands wrapped around a stage in the copy's dvc.yaml."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from commands.compose import compose
from orchestration.graph import read_graph
from tests.conftest import ROOT, pipeline_env, run

pytestmark = pytest.mark.slow

FLAKY = """\
import pathlib, sys
log = pathlib.Path(sys.argv[1])
attempt = log.read_text().count("\\n") + 1 if log.exists() else 1
log.open("a").write(f"attempt {attempt}\\n")
if attempt == 1:
    print("ConnectionError: MLflow server at 127.0.0.1 is restarting", file=sys.stderr)
    sys.exit(1)
"""

GATE = """\
import pathlib, sys, time
deadline = time.monotonic() + 600
while not pathlib.Path(sys.argv[1]).exists() and time.monotonic() < deadline:
    time.sleep(0.2)
"""


def today_branch() -> str:
    return f"retrain/{dt.datetime.now(dt.UTC).date().isoformat()}"


def commit_to_conf(repo: Path, *overrides: str) -> None:
    """Make `conf/` itself compose what `repo_copy(*overrides)` put in params.yaml, and commit
    it: a scheduled run composes params.yaml from conf/ (orchestration/config.py)."""
    config = repo / "conf/config.yaml"
    text, values = config.read_text(), {}
    for override in ("data=tiny", *overrides):
        key, value = override.split("=", 1)
        if "." in key:  # a value: in config.yaml's own body, merged last (`_self_`)
            section, name = key.split(".", 1)
            values.setdefault(section, {})[name] = yaml.safe_load(value)
        else:  # a group's option: in the defaults list
            text = re.sub(rf"^  - {key}: \S+$", f"  - {key}: {value}", text, flags=re.M)
    config.write_text(text + (yaml.safe_dump(values, sort_keys=False) if values else ""))
    expected = (repo / "params.yaml").read_text()
    compose(repo / "params.yaml", [], repo / "conf")
    assert (repo / "params.yaml").read_text() == expected
    run(["git", "add", "-A", "conf", "params.yaml"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "conf"], repo)


def flow_env(tmp_path: Path) -> dict[str, str]:
    """Prefect with no API URL (ephemeral server) and its own home in `tmp_path`."""
    env = {k: v for k, v in pipeline_env().items() if not k.startswith("PREFECT_")}
    (tmp_path / "prefect-home").mkdir(parents=True, exist_ok=True)
    return env | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "OMP_NUM_THREADS": "1",
    }


def flow_cmd(repo: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "orchestration.prefect_flow", "run", "--repo", str(repo), *args]


def overrides(*values: str) -> list[str]:
    """`-S key=value` for each value, as `dvc exp run` takes them."""
    return [arg for value in values for arg in ("-S", value)]


def run_flow(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`make orchestrate`'s command, run from the project on the repository copy `repo`."""
    return subprocess.run(
        flow_cmd(repo, *args),
        cwd=ROOT,
        env=flow_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=1800,
    )


def wrap_stage(repo: Path, stage: str, script: Path, arg: Path) -> None:
    """Put `python script arg &&` in front of a stage's command in the copy's dvc.yaml."""
    dvc_yaml = yaml.safe_load((repo / "dvc.yaml").read_text())
    cmd = dvc_yaml["stages"][stage]["cmd"]
    dvc_yaml["stages"][stage]["cmd"] = f"python {script} {arg} && {cmd}"
    (repo / "dvc.yaml").write_text(yaml.safe_dump(dvc_yaml, sort_keys=False))


def own_lines(stderr: str) -> list[str]:
    """What the CLI itself printed (Prefect's log lines start with a time stamp)."""
    return [line for line in stderr.splitlines() if line and " | " not in line[:20]]


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], repo).stdout.strip()


def test_prefect_flow_equals_dvc_repro_and_publishes_a_branch(
    repo_copy: Callable[..., Path], tmp_path: Path
) -> None:
    plain = repo_copy("cv=fast")
    run(["dvc", "repro"], plain)

    repo = repo_copy("cv=fast", "orchestrate.base_branch=master")
    commit_to_conf(repo, "cv=fast", "orchestrate.base_branch=master")
    main = git(repo, "rev-parse", "master")
    done = run_flow(repo, tmp_path, "--publish")
    assert done.returncode == 0, done.stdout + done.stderr
    logs = done.stdout + done.stderr
    for stage in read_graph(repo).stages:  # one task per stage of dvc.yaml
        assert f"Task run '{stage}' - Finished in state Completed()" in logs
    assert (repo / "metrics.json").read_bytes() == (plain / "metrics.json").read_bytes()

    branch = today_branch()
    assert git(repo, "rev-parse", "master") == main  # main untouched
    assert git(repo, "branch", "--show-current") == "master"
    committed = git(repo, "show", f"{branch}:metrics.json")
    assert json.loads(committed) == json.loads((plain / "metrics.json").read_text())
    assert "dvc.lock" in git(repo, "diff", "--name-only", main, branch).split()
    tip = git(repo, "rev-parse", branch)

    # Nothing changed since: nothing is committed.
    again = run_flow(repo, tmp_path, "--publish")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing changed: nothing committed" in again.stdout + again.stderr
    assert git(repo, "rev-parse", branch) == tip

    # A reviewer merges it; the next run changes a parameter: a new commit and a report.
    run(["git", "update-ref", "refs/heads/master", tip], repo)  # merged upstream, as a PR
    run(["git", "reset", "-q"], repo)  # the workspace already holds that commit's files
    assert git(repo, "status", "--porcelain") == ""
    changed = run_flow(
        repo,
        tmp_path,
        "--publish",
        *overrides("data=tiny", "cv=fast", "orchestrate.base_branch=master", "model.max_iter=30"),
    )
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert git(repo, "rev-parse", f"{branch}^") == tip
    report = (repo / "pr-report/report.md").read_text()
    assert "max_iter" in report and f"`{branch}` vs `master`" in report


def test_a_transient_fault_is_retried_and_the_flow_succeeds(
    tiny_repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "flaky.py").write_text(FLAKY)
    attempts = tmp_path / "attempts.txt"
    wrap_stage(tiny_repo, "prepare", tmp_path / "flaky.py", attempts)
    done = run_flow(
        tiny_repo,
        tmp_path,
        "--target",
        "prepare",
        *overrides("data=tiny", "orchestrate.retries=1", "orchestrate.retry_delay_seconds=0"),
    )
    logs = done.stdout + done.stderr
    assert done.returncode == 0, logs
    assert attempts.read_text().splitlines() == ["attempt 1", "attempt 2"]
    assert "MLflow server at 127.0.0.1 is restarting" in logs  # the fault is in the logs
    assert "Retry 1/1 will start" in logs
    assert (tiny_repo / "data/prepared/train.parquet").is_file()


def test_bad_data_fails_at_validate_without_retries_and_registers_nothing(
    tiny_repo: Path, tmp_path: Path, migrated_db: Path
) -> None:
    import gzip

    raw = tiny_repo / "data/raw/tiny/tiny.data.gz"
    with gzip.open(raw, "rt") as source:
        lines = source.read().splitlines()
    bad = ["500" + line[line.index(",") :] if line.strip() else line for line in lines]
    with gzip.open(raw, "wt") as out:
        out.write("\n".join(bad) + "\n")
    run(["git", "commit", "-qam", "new data"], tiny_repo)
    status = git(tiny_repo, "status", "--porcelain")

    done = run_flow(
        tiny_repo,
        tmp_path,
        "--publish",
        *overrides("data=tiny", "orchestrate.retries=2", "orchestrate.retry_delay_seconds=0"),
    )
    logs = done.stdout + done.stderr
    assert done.returncode == 2, logs
    last = own_lines(done.stderr)[-1]
    assert last.startswith("validate: error: train: column 'age'"), last
    assert logs.count("Running stage 'validate'") == 1  # not retried
    assert "Retry" not in logs and "Traceback" not in logs
    assert "Task run 'train'" in logs and "Running stage 'train'" not in logs
    assert not (tiny_repo / "reports/registration.json").exists()
    # Nothing trained, nothing registered: the embedded store is the empty one it was seeded with.
    assert (tiny_repo / "mlflow.db").read_bytes() == migrated_db.read_bytes()
    assert git(tiny_repo, "status", "--porcelain") == status  # workspace as it was
    assert git(tiny_repo, "branch", "--list", "retrain/*") == ""


def test_a_second_flow_is_refused_while_one_runs(tiny_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "gate.py").write_text(GATE)
    release = tmp_path / "release"
    wrap_stage(tiny_repo, "prepare", tmp_path / "gate.py", release)
    first = subprocess.Popen(
        flow_cmd(tiny_repo, "--target", "prepare"),
        cwd=ROOT,
        env=flow_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a cleanup also stops Prefect's server
    )
    try:
        lock = tiny_repo / ".dvc/tmp/orchestrate.lock"
        deadline = time.monotonic() + 600
        while not (lock.exists() and lock.read_text() == str(first.pid)):
            assert first.poll() is None and time.monotonic() < deadline, "first flow never locked"
            time.sleep(0.5)
        second = run_flow(tiny_repo, tmp_path / "second", "--target", "prepare")
        assert second.returncode == 2, second.stdout + second.stderr
        assert own_lines(second.stderr)[-1].startswith("orchestrate: error: another pipeline run")
        assert first.poll() is None  # the first one is still running, untouched
        release.touch()
        out, _ = first.communicate(timeout=900)
        assert first.returncode == 0, out
    finally:
        release.touch()
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    assert (
        "Data and pipelines are up to date" in run(["dvc", "status", "prepare"], tiny_repo).stdout
    )


def airflow_env(repo: Path, tmp_path: Path) -> dict[str, str]:
    """Airflow in .venv-airflow on the repository copy `repo`, its home in `tmp_path`."""
    airflow = ROOT / ".venv-airflow/bin/airflow"
    env = {k: v for k, v in pipeline_env().items() if not k.startswith(("AIRFLOW", "PREFECT"))}
    env |= {
        "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "orchestration"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(ROOT),
        "ML_PIPELINE_REPO": str(repo),
        "OMP_NUM_THREADS": "1",
    }
    env["PATH"] = f"{airflow.parent}{os.pathsep}{env['PATH']}"
    return env


def dags_test(env: dict[str, str]) -> str:
    """`airflow dags test ml_pipeline` (a scheduled run, publishing); its logs."""
    test = subprocess.run(
        [
            str(ROOT / ".venv-airflow/bin/airflow"),
            "dags",
            "test",
            "ml_pipeline",
            "-f",
            str(ROOT / "orchestration/airflow_dag.py"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    logs = test.stdout + test.stderr
    assert test.returncode == 0, logs[-5000:]
    return logs


def test_airflow_dag_imports_and_runs_on_tiny(
    repo_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """In its own environment (.venv-airflow from uv.lock, `make airflow-setup`), with the
    monitor's decision through the DAG's `nightly` task (tests/e2e/test_nightly_e2e.py does it
    on Prefect): the first night trains and meets a random batch, `ok`, and publishes as before
    (the DAG changed); a shifted batch the next night retrains and publishes."""
    from tests.e2e.test_nightly_e2e import CASES, batches, commit, shown, write_batch

    run(["make", "airflow-setup"], ROOT, timeout=1800)
    repo = repo_copy("cv=fast", "orchestrate.base_branch=master", "orchestrate.retries=0")
    commit_to_conf(repo, "cv=fast", "orchestrate.base_branch=master", "orchestrate.retries=0")
    batch = batches(repo, "tiny")
    write_batch(repo, "tiny", "2026-12-01", batch[0])
    commit(repo, "a batch", "data/incoming")
    airflow = ROOT / ".venv-airflow/bin/airflow"
    env = airflow_env(repo, tmp_path)
    shape = subprocess.run(
        [
            str(airflow.parent / "python"),
            "-c",
            "from orchestration.airflow_dag import dag; import json; print(json.dumps({"
            "'tasks': sorted(t.task_id for t in dag.tasks), 'max_active_runs': dag.max_active_runs,"
            "'catchup': dag.catchup, 'retries': dag.default_args['retries']}))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert shape.returncode == 0, shape.stderr
    assert json.loads(shape.stdout.splitlines()[-1]) == {
        "tasks": sorted([*read_graph(repo).stages, "start", "nightly", "publish", "restore"]),
        "max_active_runs": 1,
        "catchup": False,
        "retries": 0,
    }
    migrate = subprocess.run(
        [str(airflow), "db", "migrate"], env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    logs = dags_test(env)
    assert "Returned value was: evaluate: accuracy=" in logs  # the summary line is the XCom
    assert "monitor: ok: " in logs and "published as before" in logs, logs[-5000:]
    branch = today_branch()
    assert json.loads(git(repo, "show", f"{branch}:metrics.json"))["accuracy"] > 0.7
    assert git(repo, "branch", "--show-current") == "master"
    assert (repo / "pr-report/report.md").read_text().startswith("## Monitoring evidence: ok\n")
    assert "appended_batches.json" not in git(repo, "show", "--name-only", branch)

    # A reviewer merges the branch; a batch with a covariate shift arrives: `retrain`, its rows
    # appended, trained again, published.
    run(["git", "update-ref", "refs/heads/master", git(repo, "rev-parse", branch)], repo)
    run(["git", "reset", "-q"], repo)  # the workspace already holds that commit's files
    tip = git(repo, "rev-parse", branch)
    write_batch(repo, "tiny", "2026-12-04", CASES["tiny"].shifted(batch[3]))
    commit(repo, "a shifted batch", "data/incoming")
    logs = dags_test(env)
    assert "appended labelled rows (2026-12-04: 1000) as a new data version" in logs, logs[-5000:]
    assert git(repo, "rev-parse", f"{branch}^") == tip
    ledger = shown(repo, branch, "data/raw/tiny/appended_batches.json")
    assert json.loads(ledger) == ["2026-12-04"]
    report = (repo / "pr-report/report.md").read_text()
    assert report.startswith("## Monitoring evidence: retrain\n"), report[:2000]
    assert "age (PSI" in report.split("\n#", 1)[0]
    assert not (repo / "data/raw/tiny/appended_batches.json").exists()  # the workspace restored
