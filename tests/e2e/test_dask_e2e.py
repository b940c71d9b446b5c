"""`compute: dask` through the real DVC on `tiny`: the pipeline trains on a Dask cluster and
registers the plain LightGBM pipeline with the local path's metrics; a worker killed during the
fit fails `train` in one line with nothing saved or registered (issue 26's fault row)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from ml_pipeline.modeling.dask_train import TOLERANCE
from tests.conftest import pipeline_env, run

pytestmark = pytest.mark.slow


def test_repro_on_dask_registers_the_local_pipeline_with_local_metrics(
    repo_copy: Callable[..., Path],
) -> None:
    import lightgbm
    import mlflow.sklearn

    from ml_pipeline.core.config import load_params
    from ml_pipeline.evaluation.metrics import score
    from ml_pipeline.modeling.pipeline import build_pipeline

    repo = repo_copy("model=lgbm", "compute=dask")
    result = run(["dvc", "repro"], repo)
    assert "on dask (2 workers), holdout 0.2" in result.stdout
    assert json.loads((repo / "reports/registration.json").read_text())["alias"] == "champion"
    model = mlflow.sklearn.load_model(str(repo / "models/model"))
    assert type(model.named_steps["model"]) is lightgbm.LGBMClassifier
    params = load_params(repo / "params.yaml")
    train = pd.read_parquet(repo / "data/prepared/train.parquet")
    local = build_pipeline(params.data, params.model, params.seed)
    local.fit(train[params.data.features], train[params.data.target])
    expected = score(local, pd.read_parquet(repo / "data/prepared/test.parquet"), params.data)
    metrics = json.loads((repo / "metrics.json").read_text())
    for name, value in expected.metrics.items():
        assert value is not None and abs(metrics[name] - value) <= TOLERANCE, name
    assert metrics["cv_accuracy_std"] == 0.0  # one holdout score, no folds


def test_a_worker_killed_during_the_fit_fails_train_in_one_line(
    repo_copy: Callable[..., Path],
) -> None:
    import mlflow
    from distributed import Client, LocalCluster

    repo = repo_copy("model=lgbm", "compute=dask", "model.n_estimators=20000")
    run(["dvc", "repro", "validate"], repo)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = client.run(os.getpid)
        env = pipeline_env() | {"DASK_SCHEDULER_ADDRESS": cluster.scheduler_address}
        dvc = subprocess.Popen(
            ["dvc", "repro"],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=kill_one_when_training, args=(client, pids), daemon=True).start()
        out, err = dvc.communicate(timeout=300)
    assert dvc.returncode != 0
    lines = [line for line in err.splitlines() if line.startswith("train: ")]
    assert len(lines) == 1 and lines[0].startswith("train: error: compute: the Dask fit failed")
    assert "Traceback" not in err and "nothing was saved or registered" in lines[0]
    assert not (repo / "models/model").exists() and not (repo / "metrics.json").exists()
    store = mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    experiments = [e.experiment_id for e in store.search_experiments()]
    runs = store.search_runs(experiments, run_view_type=3)
    assert [r.info.status for r in runs] == ["FAILED"]
    assert store.search_registered_models() == []


def kill_one_when_training(client: object, pids: dict[str, int]) -> None:
    """SIGKILL a worker a moment after it starts one of LightGBM's training tasks."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        processing = client.processing()  # type: ignore[attr-defined]
        training = [
            w for w, keys in processing.items() if any("_train_part" in str(k) for k in keys)
        ]
        if training:  # a worker that holds no partition takes no part in the fit
            time.sleep(0.5)
            os.kill(pids[training[0]], signal.SIGKILL)
            return
        time.sleep(0.1)
