"""The saved model directory: written by `train` with MLflow, read back by `evaluate` without."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from commands.compose import compose
from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.modeling.model_dir import load_pipeline
from ml_pipeline.tracking.model_save import model_kwargs, save_model
from stages import prepare, train
from tests.conftest import ROOT, pipeline_env, tiny_overrides

QUICK = tiny_overrides("cv=fast", "model.max_iter=20", "evaluate.importance_repeats=1")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding what `evaluate` reads: params, prepared splits, model, train report."""
    here = tmp_path_factory.mktemp("trained")
    compose(here / paths.PARAMS, QUICK, ROOT / "conf")
    params = load_params(here / paths.PARAMS)
    params = params.model_copy(
        update={"data": params.data.model_copy(update={"dir": str(ROOT / params.data.dir)})}
    )
    train_rows, test_rows, _ = prepare.run(params)
    (here / paths.PREPARED_TRAIN).parent.mkdir(parents=True)
    train_rows.to_parquet(here / paths.PREPARED_TRAIN, index=False)
    test_rows.to_parquet(here / paths.PREPARED_TEST, index=False)
    model, report = train.run(params, train_rows)
    features = train_rows[params.data.features]
    save_model(model, model_kwargs(model, features.head(20)), here / paths.MODEL_DIR)
    (here / paths.TRAIN_REPORT).parent.mkdir(parents=True, exist_ok=True)
    (here / paths.TRAIN_REPORT).write_text(json.dumps(report))
    return here


def test_the_saved_pipeline_loads_as_mlflow_loads_it(trained: Path) -> None:
    import mlflow.sklearn

    rows = pd.read_parquet(trained / paths.PREPARED_TEST)
    ours = load_pipeline(trained / paths.MODEL_DIR)
    theirs = mlflow.sklearn.load_model(str(trained / paths.MODEL_DIR))
    assert type(ours) is type(theirs)
    assert (ours.predict_proba(rows) == theirs.predict_proba(rows)).all()


def test_evaluate_never_imports_mlflow(trained: Path) -> None:
    code = (
        "import sys\nfrom stages import evaluate\nstatus = evaluate.main([])\n"
        "print('mlflow' in sys.modules)\nsys.exit(status)"
    )
    env = pipeline_env() | {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=trained, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False"
    assert json.loads((trained / paths.METRICS).read_text())["roc_auc"] > 0.5
