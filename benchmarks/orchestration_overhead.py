"""What each orchestrator adds to a plain `dvc repro` on `tiny`: wall and CPU seconds.

    python -m benchmarks.orchestration_overhead   (after `make setup airflow-setup`)

Each runner gets a fresh copy of the repository (`data=tiny cv=fast`), runs the whole pipeline
once (cold), then again with nothing changed (every stage skipped by DVC: pure overhead).
CPU = user + system time of all child processes (resource.getrusage(RUSAGE_CHILDREN)).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import make_repo, pipeline_env

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = ROOT / ".venv-airflow/bin/airflow"


def commands(repo: Path, home: Path) -> dict[str, tuple[list[list[str]], dict[str, str]]]:
    """Per runner: the command(s) of one pipeline run, and their environment."""
    base = pipeline_env() | {"OMP_NUM_THREADS": "1"}
    prefect = [sys.executable, "-m", "orchestration.prefect_flow", "run", "--repo", str(repo)]
    prefect.append("--publish")  # as the Airflow DAG does: commit + report after the stages
    airflow_env = base | {
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "orchestration"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(ROOT),
        "ML_PIPELINE_REPO": str(repo),
        "PATH": f"{AIRFLOW.parent}{os.pathsep}{base['PATH']}",
    }
    dag = ["dags", "test", "ml_pipeline", "-f", str(ROOT / "orchestration/airflow_dag.py")]
    return {
        "dvc repro": ([["dvc", "repro"]], base),
        "prefect flow": ([prefect], base | {"PREFECT_HOME": str(home / "prefect")}),
        "airflow dags test": ([[str(AIRFLOW), *dag]], airflow_env),
    }


def timed(cmds: list[list[str]], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and child CPU seconds of running `cmds` one after the other (all must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    for cmd in cmds:
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - start, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["dvc repro", "prefect flow", "airflow dags test"]:
            home = Path(tmp) / name.replace(" ", "-")
            repo = make_repo(home / "repo", ["data=tiny", "cv=fast"])
            cmds, env = commands(repo, home)[name]
            if name.startswith("airflow"):
                subprocess.run(
                    [str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True
                )
            cwd = repo if name == "dvc repro" else ROOT
            full = timed(cmds, cwd, env)
            noop = timed(cmds, cwd, env)
            print(
                f"{name:18s} full run: {full[0]:6.1f} s wall {full[1]:6.1f} s CPU | "
                f"nothing changed: {noop[0]:6.1f} s wall {noop[1]:6.1f} s CPU",
                flush=True,
            )


if __name__ == "__main__":
    main()
