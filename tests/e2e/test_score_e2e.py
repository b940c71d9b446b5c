"""`dvc repro` with the `score` stage (issue 24): the champion the pipeline registered scores
new batches; a new batch re-runs `score` only."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import run
from tests.e2e.test_pipeline_e2e import stages_run

pytestmark = pytest.mark.slow


def test_repro_scores_the_incoming_batches_with_the_registered_champion(tiny_repo: Path) -> None:
    text = gzip.decompress((tiny_repo / "data/raw/tiny/tiny.test.gz").read_bytes()).decode()
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("|")]
    incoming = tiny_repo / "data/incoming/tiny"
    incoming.mkdir(parents=True)
    (incoming / "2026-12-01.csv").write_text("\n".join(lines[:60]) + "\n")
    result = run(["dvc", "repro"], tiny_repo)
    assert stages_run(result.stdout)[-3:] == ["register", "score", "monitor"]
    registration = json.loads((tiny_repo / "reports/registration.json").read_text())
    report = json.loads((tiny_repo / "reports/score.json").read_text())
    assert report["champion"]["version"] == str(registration["champion_after"]["version"])
    assert report["batches"]["2026-12-01"] == {
        "rows": 60, "labelled": 60, "status": "scored", "reason": None
    }  # fmt: skip
    scored = pd.read_parquet(tiny_repo / "data/scored/2026-12-01.parquet")
    assert len(scored) == 60 and {"prediction", "score", "income"} <= set(scored)
    cost = json.loads((tiny_repo / "reports/cost/score.json").read_text())
    assert cost["cpu_seconds"] > 0

    (incoming / "2026-12-02.csv").write_text("\n".join(lines[60:90]) + "\n")
    again = run(["dvc", "repro"], tiny_repo)
    assert stages_run(again.stdout) == ["score", "monitor"]
    report = json.loads((tiny_repo / "reports/score.json").read_text())
    assert list(report["batches"]) == ["2026-12-01", "2026-12-02"]
    assert run(["dvc", "status"], tiny_repo).stdout.strip().endswith("up to date.")
