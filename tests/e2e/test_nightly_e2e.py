"""Issue 24's loop end to end: the Prefect nightly flow on the REAL dvc.yaml (prepare → … →
register → score → monitor), acting on the decision the real `monitor` stage makes, for batches
built from the shipped data (the shipped policy, conf/monitor/default.yaml).

`tiny` (adult): the champion is trained once (`dvc repro`, committed as `master`), then two
nights:
1. a random sample, a shift too small to matter and a batch that breaks the contract → `ok`:
   nothing published, training data unchanged, no new model version, the bad batch refused;
2. a labelled batch with a covariate shift arrives → `retrain`: its rows (only its rows)
   appended as a new data version, the pipeline run again, a branch published whose report
   leads with the monitoring evidence; the workspace is left as the night found it.
diamonds: one night (CI time) that trains the champion and meets the four batches at once.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT, run
from tests.e2e.test_orchestration_e2e import commit_to_conf, git, run_flow, today_branch

pytestmark = pytest.mark.slow

ROWS = 1000  # per batch: above monitor.min_rows (200), so every batch is judged
Shift = Callable[[pd.DataFrame], pd.DataFrame]


def _plus(column: str, by: float, most: float) -> Shift:
    """Move a numeric column by `by`, kept inside the contract's range (else it is refused)."""
    return lambda f: f.assign(**{column: (pd.to_numeric(f[column]) + by).clip(upper=most)})


def _times(columns: dict[str, float], most: dict[str, float]) -> Shift:
    def shift(f: pd.DataFrame) -> pd.DataFrame:
        moved = {
            c: (pd.to_numeric(f[c]) * k).clip(upper=most[c]).round(2) for c, k in columns.items()
        }
        return f.assign(**moved)

    return shift


@dataclass(frozen=True)
class Case:
    """A dataset's overrides, its training file, and the four batches' shifts."""

    overrides: tuple[str, ...]
    train_file: str
    shifted: Shift  # → retrain
    small: Shift  # → ok
    broken: str  # a numeric column given text in every row: refused by its null limit
    moved: tuple[str, ...]  # the columns `shifted` moves


CASES = {
    "tiny": Case(
        ("data=tiny", "model=hgb", "cv=fast"),
        "data/raw/tiny/tiny.data.gz",
        lambda f: _plus("hours_per_week", 10, 108)(_plus("age", 15, 97)(f)),
        _plus("age", 1, 97),
        "age",
        ("age", "hours_per_week"),
    ),
    "diamonds": Case(
        ("data=diamonds", "model=hgb", "cv=fast"),
        "data/raw/diamonds/diamonds.csv.gz",
        _times({"carat": 1.5, "x": 1.15, "y": 1.15}, {"carat": 5.49, "x": 11.8, "y": 64.7}),
        _times({"carat": 1.01}, {"carat": 5.49}),
        "carat",
        ("carat", "x", "y"),
    ),
}


def source_rows(repo: Path, dataset: str) -> pd.DataFrame:
    """Rows the champion never trained on, as text in the raw file's columns: adult's test file
    for `tiny` (a sample of adult), the prepared test split for diamonds (a random split)."""
    if dataset == "tiny":
        columns = yaml.safe_load((ROOT / "conf/data/adult.yaml").read_text())["data"]["read"]
        return pd.read_csv(
            ROOT / "data/raw/adult/adult.test.gz",
            header=None,
            names=columns["columns"],
            comment="|",
            skipinitialspace=True,
            dtype=str,
            keep_default_na=False,
        )
    test = pd.read_parquet(repo / "data/prepared/test.parquet")
    raw = pd.read_csv(ROOT / CASES[dataset].train_file, nrows=0).columns
    return test[list(raw)].astype(str)


def write_batch(repo: Path, dataset: str, name: str, rows: pd.DataFrame) -> None:
    """`data/incoming/<dataset>/<name>.csv` in the raw format (adult's: no header)."""
    path = repo / "data/incoming" / dataset / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(path, header=dataset != "tiny", index=False)


def commit(repo: Path, message: str, *paths: str) -> None:
    run(["git", "add", "-A", *paths], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], repo)


def versions(repo: Path, dataset: str) -> list[str]:
    client = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    found = client.search_model_versions(f"name='ml-pipeline-{dataset}'")
    return sorted(v.version for v in found)


def shown(repo: Path, revision: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"{revision}:{path}"], cwd=repo, capture_output=True, check=True
    ).stdout


def data_rows(content: bytes, dataset: str) -> int:
    lines = [line for line in gzip.decompress(content).splitlines() if line.strip()]
    return len(lines) - (dataset != "tiny")  # diamonds has a header line


def monitored(logs: str) -> dict[str, str]:
    """Each batch's line as the night's first `monitor` run printed it (the decision's evidence;
    a retrain runs `monitor` again, with the new champion)."""
    lines: dict[str, str] = {}
    for batch, line in re.findall(r"monitor: (\d{4}-\d\d-\d\d): (\d[^\n]*)", logs):
        lines.setdefault(batch, line)
    return lines


def drifted(line: str) -> int:
    return int(re.search(r"(\d+)/\d+ columns drifted", line).group(1))


def night(repo: Path, tmp_path: Path, label: str, dataset: str) -> str:
    """One scheduled night (`make orchestrate`'s flow, --publish); its logs. Prints the
    decision table's rows (run with -s)."""
    started = time.monotonic()
    done = run_flow(repo, tmp_path / label, "--publish")
    logs = done.stdout + done.stderr
    assert done.returncode == 0, logs[-5000:]
    lines = [f"{b}: {line}" for b, line in monitored(logs).items()]
    print(f"\n{dataset} {label} ({time.monotonic() - started:.0f} s):", *lines, sep="\n  ")
    return logs


def refused(repo: Path, batch: str, column: str) -> None:
    """`score` refused the batch by the contract: scored by nothing."""
    said = json.loads((repo / "reports/score.json").read_text())["batches"][batch]
    assert said["status"] == "refused" and f"column '{column}'" in said["reason"], said
    assert not (repo / f"data/scored/{batch}.parquet").exists()


def retrained(
    repo: Path, case: Case, dataset: str, logs: str, train_before: bytes, trained: int = 1
) -> str:
    """The night's retrain: the shifted batch's rows (only its rows) are the new data version on
    the branch, the pipeline ran on them, the report leads with the evidence; the workspace is
    as the night found it. Returns the report's first section."""
    branch = today_branch()
    assert git(repo, "branch", "--list", branch), logs[-5000:]
    report = (repo / "pr-report/report.md").read_text()
    assert report.startswith("## Monitoring evidence: retrain\n"), report[:2000]
    lead = report.split("\n#", 1)[0]  # the first section
    assert all(f"{column} (PSI" in lead for column in case.moved), lead
    assert "batches: 2026-12-04\n" in lead and f"2026-12-04: {ROWS} row(s)" in lead, lead
    ledger = shown(repo, branch, f"{Path(case.train_file).parent}/appended_batches.json")
    assert json.loads(ledger) == ["2026-12-04"]  # never the refused one, nor the ok ones
    before = data_rows(train_before, dataset)
    assert data_rows(shown(repo, branch, case.train_file), dataset) == before + ROWS
    lock = {
        rev: yaml.safe_load(shown(repo, rev, "dvc.lock"))["stages"]["prepare"]["deps"]
        for rev in ("master", branch)
    }
    assert lock["master"] != lock[branch]  # prepare's dependency: the new data version
    assert logs.count("Running stage 'train'") == trained  # again, on the appended rows
    assert (repo / case.train_file).read_bytes() == train_before
    assert git(repo, "branch", "--show-current") == "master"
    return lead


def champion(repo: Path, case: Case, dataset: str) -> list[str]:
    """Train and register the champion once (`dvc repro`), committed as `master`: the night
    starts from a repository whose results are committed. Its registered versions."""
    settings = (*case.overrides, "orchestrate.base_branch=master", "orchestrate.retries=0")
    commit_to_conf(repo, *settings)
    started = time.monotonic()
    run(["dvc", "repro"], repo)
    print(f"\n{dataset} champion: dvc repro {time.monotonic() - started:.0f} s")
    commit(repo, "champion")
    registered = versions(repo, dataset)
    assert len(registered) == 1
    return registered


def batches(repo: Path, dataset: str) -> list[pd.DataFrame]:
    rows = source_rows(repo, dataset).sample(frac=1.0, random_state=2026).reset_index(drop=True)
    return [rows.iloc[i * ROWS : (i + 1) * ROWS].reset_index(drop=True) for i in range(4)]


def test_adult_like_ok_night_publishes_nothing_and_a_shift_retrains(
    repo_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """`tiny` (400 rows of adult): night 1 → ok, night 2 → retrain."""
    dataset, case = "tiny", CASES["tiny"]
    repo = repo_copy(*case.overrides, "orchestrate.base_branch=master", "orchestrate.retries=0")
    registered = champion(repo, case, dataset)
    train_before = (repo / case.train_file).read_bytes()
    batch = batches(repo, dataset)

    # Night 1: a random sample, a shift too small to matter, a batch that breaks the contract.
    write_batch(repo, dataset, "2026-12-01", batch[0])
    write_batch(repo, dataset, "2026-12-02", case.small(batch[1]))
    write_batch(repo, dataset, "2026-12-03", batch[2].assign(**{case.broken: "unknown"}))
    commit(repo, "three batches", "data/incoming")
    logs = night(repo, tmp_path, "night 1", dataset)
    said = json.loads((repo / "reports/monitor_decision.json").read_text())
    assert said["decision"] == "ok", said["reasons"]
    assert said["batches"] == ["2026-12-01", "2026-12-02"]  # judged: the refused one is not
    refused(repo, "2026-12-03", case.broken)
    assert "nothing retrained, nothing published" in logs
    for stage in ("prepare", "train", "register"):  # only score and monitor ran
        assert f"Running stage '{stage}'" not in logs
    assert git(repo, "branch", "--list", "retrain/*") == ""
    assert not (repo / "pr-report/report.md").exists()
    assert (repo / case.train_file).read_bytes() == train_before
    assert versions(repo, dataset) == registered  # no new model version

    # Night 2: a labelled batch with a covariate shift arrives.
    write_batch(repo, dataset, "2026-12-04", case.shifted(batch[3]))
    commit(repo, "a shifted batch", "data/incoming")
    logs = night(repo, tmp_path, "night 2", dataset)
    print(retrained(repo, case, dataset, logs, train_before), versions(repo, dataset))


def test_regression_batches_of_one_night_retrain_on_the_shifted_batch_only(
    repo_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """diamonds, in one night (CI time): the night trains the champion, the four batches are
    scored by it; the random and the slightly shifted batch are judged and trigger nothing, the
    broken one is refused, only the shifted one is appended and the pipeline runs again."""
    dataset, case = "diamonds", CASES["diamonds"]
    settings = (*case.overrides, "orchestrate.base_branch=master", "orchestrate.retries=0")
    repo = repo_copy(*settings)
    commit_to_conf(repo, *settings)
    run(["dvc", "repro", "prepare"], repo)  # the test split: the batches' source
    train_before = (repo / case.train_file).read_bytes()
    batch = batches(repo, dataset)
    write_batch(repo, dataset, "2026-12-01", batch[0])
    write_batch(repo, dataset, "2026-12-02", case.small(batch[1]))
    write_batch(repo, dataset, "2026-12-03", batch[2].assign(**{case.broken: "unknown"}))
    write_batch(repo, dataset, "2026-12-04", case.shifted(batch[3]))
    commit(repo, "prepared, four batches")
    logs = night(repo, tmp_path, "night 1", dataset)
    lines = monitored(logs)
    assert sorted(lines) == ["2026-12-01", "2026-12-02", "2026-12-04"]  # 2026-12-03 refused
    assert drifted(lines["2026-12-01"]) == drifted(lines["2026-12-02"]) == 0
    assert drifted(lines["2026-12-04"]) >= 2  # monitor.drifted_columns
    assert "score: warning: batch" in logs and "2026-12-03.csv: refused: column 'carat'" in logs
    print(retrained(repo, case, dataset, logs, train_before, 2), versions(repo, dataset))
