"""Which revisions the PR report pairs (reporting/paired_rows.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from ml_pipeline.reporting.paired_rows import paired_for_report, prepared_test_md5


def lock(test_md5: str) -> str:
    deps = [{"path": "data/prepared/train.parquet", "md5": "t"}]
    deps.append({"path": "data/prepared/test.parquet", "md5": test_md5})
    return yaml.safe_dump({"stages": {"evaluate": {"deps": deps}}})


def test_revisions_tested_on_other_rows_are_not_paired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    Path("dvc.lock").write_text(lock("aaa"))
    subprocess.run([*git, "add", "dvc.lock"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    assert prepared_test_md5("HEAD") == "aaa" and prepared_test_md5(None) == "aaa"
    Path("dvc.lock").write_text(lock("bbb"))  # the workspace: another test split
    paired, how = paired_for_report("HEAD", None, None, 0)
    assert paired == {} and "did not score the same test split" in how
    Path("dvc.lock").write_text(lock("aaa"))  # same split, but no predictions anywhere
    paired, how = paired_for_report("HEAD", None, None, 0)
    assert paired == {} and how.startswith("not paired: no per-row predictions of both (")
