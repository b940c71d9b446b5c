"""The Prefect flow on a two-stage dvc.yaml whose first stage fails with its own error line.

Fast: no pipeline, only Prefect's ephemeral server and DVC on commands that take no time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from commands.compose import compose
from tests.conftest import ROOT, pipeline_env, run

FAIL = """\
import sys
print("first: error: column 'x' is bad", file=sys.stderr)
sys.exit(2)
"""

DVC_YAML = """\
stages:
  first:
    cmd: python fail.py
    outs:
      - a.txt
  second:
    cmd: python -c "open('b.txt', 'w').write('b')"
    deps:
      - a.txt
    outs:
      - b.txt
"""


def failing_repo(repo: Path) -> Path:
    """A Git and DVC repository with the project's conf/ (params.yaml composed from it: a run
    that publishes composes it again) and the two stages, committed."""
    repo.mkdir()
    (repo / "fail.py").write_text(FAIL)
    (repo / "dvc.yaml").write_text(DVC_YAML)
    shutil.copytree(ROOT / "conf", repo / "conf")
    settings = repo / "conf/orchestrate/default.yaml"
    orchestrate = yaml.safe_load(settings.read_text())
    orchestrate |= {"retries": 2, "retry_delay_seconds": 0}  # a retry would show
    settings.write_text(yaml.safe_dump(orchestrate, sort_keys=False))
    compose(repo / "params.yaml", [], repo / "conf")
    run(["git", "init", "-q", "-b", "master"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], repo)
    return repo


def test_a_failing_stage_fails_the_flow_with_its_line_and_exit_2_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    repo = failing_repo(tmp_path / "repo")
    # What another run left in params.yaml (here without `orchestrate`): a run that publishes
    # composes its own from conf/, and restores this one after the failure.
    left = yaml.safe_load((repo / "params.yaml").read_text())
    del left["orchestrate"]
    (repo / "params.yaml").write_text(yaml.safe_dump(left, sort_keys=False))
    left_text = (repo / "params.yaml").read_text()
    env = {k: v for k, v in pipeline_env().items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home")}
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.prefect_flow", "run", "--repo", str(repo)]
        + ["--publish"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    logs = done.stdout + done.stderr
    assert done.returncode == 2, logs
    own = [line for line in done.stderr.splitlines() if line and " | " not in line[:20]]
    assert own[-1] == "first: error: column 'x' is bad", logs  # the stage's line, last
    assert "Traceback" not in logs and "Retry" not in logs
    assert logs.count("Running stage 'first'") == 1  # its own error: not retried
    assert "Running stage 'second'" not in logs and not (repo / "b.txt").exists()
    assert run(["git", "branch", "--list", "retrain/*"], repo).stdout == ""  # nothing published
    status = run(["git", "status", "--porcelain"], repo).stdout
    assert status == " M params.yaml\n" and (repo / "params.yaml").read_text() == left_text
