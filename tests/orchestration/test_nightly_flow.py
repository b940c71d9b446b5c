"""The nightly Prefect flow acting on the monitor's decision (issue 24's contract), on a dvc.yaml
of two quick stages standing in for the pipeline and `monitor`: `ok` publishes nothing;
`retrain` appends the labelled batch to the training data, runs the stages again on it and
publishes a branch whose report leads with the monitoring evidence; `ok` on a night whose DAG
ran on changed code publishes as before. Real Prefect, DVC and Git (tests/e2e/test_nightly_e2e.py
runs the real pipeline)."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from commands.compose import compose
from tests.conftest import ROOT, pipeline_env, run

pytestmark = pytest.mark.slow  # two flow runs, each with its ephemeral Prefect server

TRAIN = "data/raw/tiny/tiny.data.gz"
# `rows` counts the training file's lines (the pipeline's stand-in); `monitor` copies the
# decision the test wrote to `decision.json` into reports/monitor_decision.json.
ROWS = f"""\
import gzip, json
json.dump({{"rows": len(gzip.open("{TRAIN}").readlines())}}, open("rows.json", "w"))
"""
DVC_YAML = """\
stages:
  rows:
    cmd: python rows.py
    deps:
      - data/raw/tiny
      - rows.py
    metrics:
      - rows.json:
          cache: false
  monitor:
    cmd: cp decision.json reports/monitor_decision.json
    deps:
      - rows.json
      - decision.json
      - data/incoming
    outs:
      - reports/monitor_decision.json:
          cache: false
"""


def nightly_repo(repo: Path, decision: dict) -> Path:
    """Git + DVC repository with conf/, tiny's data, the two stages, a labelled batch."""
    (repo / "reports").mkdir(parents=True)
    (repo / "dvc.yaml").write_text(DVC_YAML)
    (repo / "rows.py").write_text(ROWS)
    (repo / ".gitignore").write_text("pr-report/\n")  # as the project's
    (repo / "decision.json").write_text(json.dumps(decision))
    shutil.copytree(ROOT / "conf", repo / "conf")
    shutil.copytree(ROOT / "data/raw/tiny", repo / "data/raw/tiny")
    batch = repo / "data/incoming/tiny/2026-12-01.csv"
    batch.parent.mkdir(parents=True, exist_ok=True)  # the demo batch lives there
    test = gzip.decompress((ROOT / "data/raw/tiny/tiny.test.gz").read_bytes()).decode()
    batch.write_text("\n".join(test.splitlines()[1:4]) + "\n")  # three labelled rows
    compose(repo / "params.yaml", ["data=tiny"], repo / "conf")
    run(["git", "init", "-q", "-b", "main"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "repro", "-q"], repo)  # the results of main: committed
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], repo)
    return repo


def nightly(repo: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in pipeline_env().items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home")}
    command = [sys.executable, "-m", "orchestration.prefect_flow", "run", "--repo", str(repo)]
    env |= {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(
        [*command, "-S", "data=tiny", "--publish"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_ok_publishes_nothing_retrain_publishes_the_appended_data_and_a_changed_dag_publishes(
    tmp_path: Path,
) -> None:
    reasons = ["age: PSI 0.41 above 0.2 in 2026-12-01"]
    decision = {
        "decision": "ok",
        "reasons": ["no drift"],
        "batches": ["2026-11-30"],
        "champion_version": "1",
    }
    repo = nightly_repo(tmp_path / "repo", decision)
    data_before = (repo / TRAIN).read_bytes()
    done = nightly(repo, tmp_path)
    logs = done.stdout + done.stderr
    assert done.returncode == 0, logs
    assert "monitor: ok: no drift; nothing retrained, nothing published" in logs
    assert run(["git", "branch", "--list", "retrain/*"], repo).stdout == ""

    drift = {"decision": "retrain", "reasons": reasons, "batches": ["2026-12-01"]}
    (repo / "decision.json").write_text(json.dumps(decision | drift))
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "drift"], repo)
    done = nightly(repo, tmp_path)
    logs = done.stdout + done.stderr
    assert done.returncode == 0, logs
    assert "appended labelled rows (2026-12-01: 3) as a new data version" in logs
    assert logs.count("Running stage 'rows'") == 1  # unchanged in the DAG; again on the new rows
    branch = run(["git", "branch", "--list", "retrain/*"], repo).stdout.strip()
    assert branch, logs
    shown = run(["git", "show", f"{branch}:rows.json"], repo).stdout
    assert json.loads(shown) == {"rows": 403}  # tiny's 400 training rows and the batch's 3
    ledger = run(["git", "show", f"{branch}:data/raw/tiny/appended_batches.json"], repo).stdout
    assert json.loads(ledger) == ["2026-12-01"]
    report = (repo / "pr-report/report.md").read_text()
    assert report.startswith("## Monitoring evidence: retrain\n")
    assert f"- {reasons[0]}" in report and "2026-12-01: 3 row(s)" in report
    # The workspace is as the run found it: the new version lives on the branch.
    assert (repo / TRAIN).read_bytes() == data_before
    assert not (repo / "data/raw/tiny/appended_batches.json").exists()

    # An `ok` night whose DAG ran on changed code: its results are published as before.
    tip = run(["git", "rev-parse", branch], repo).stdout.strip()
    ok = decision | {"batches": ["2026-12-01"]}
    (repo / "decision.json").write_text(json.dumps(ok))
    (repo / "rows.py").write_text(ROWS.replace('"rows"', '"lines"'))
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "code"], repo)
    done = nightly(repo, tmp_path)
    logs = done.stdout + done.stderr
    assert done.returncode == 0, logs
    assert "nothing retrained, the DAG's results changed (data, code or params)" in logs
    assert run(["git", "rev-parse", f"{branch}^"], repo).stdout.strip() == tip
    assert json.loads(run(["git", "show", f"{branch}:rows.json"], repo).stdout) == {"lines": 400}
    assert (repo / "pr-report/report.md").read_text().startswith("## Monitoring evidence: ok\n")
