"""What a stage run cost: reports/cost/<stage>.json (ml_pipeline/core/cost.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ml_pipeline.core.cost import measured, wall_seconds
from ml_pipeline.evaluation.catalog import direction
from tests.conftest import ROOT


def test_the_process_so_far_has_used_time_and_memory() -> None:
    cost = measured()
    assert set(cost) == {"wall_seconds", "cpu_seconds", "peak_memory_mb"}
    assert cost["wall_seconds"] > 0 and cost["cpu_seconds"] > 0
    assert 10 < cost["peak_memory_mb"] < 20_000  # megabytes, not kilobytes or bytes
    assert all(direction(name) is None for name in cost)  # never ranked as a model metric


def test_a_stage_process_writes_its_cost_with_its_outputs(
    template_dir: Path, tmp_path: Path
) -> None:
    """`check` in its own process: reports/cost/check.json beside reports/check.json, with the
    process's wall time (from its start, imports included) and CPU time."""
    repo = tmp_path / "repo"
    shutil.copytree(template_dir, repo, symlinks=True)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "stages.check"], cwd=repo, env=env, check=True)
    assert (repo / "reports/check.json").exists()
    cost = json.loads((repo / "reports/cost/check.json").read_text())
    assert cost["cpu_seconds"] > 0 and 0 < cost["wall_seconds"] < 120
    assert cost["wall_seconds"] < wall_seconds()  # its own process's, not this one's
    assert 10 < cost["peak_memory_mb"] < 4_000  # `check` imports pydantic and Hydra: ~100 MB
