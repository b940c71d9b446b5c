"""Search end to end: trials on a real Dask cluster, and `dvc exp run -S search=...` on `tiny`
with a real MLflow store (parent + nested trials, best params trained, registered, reproduced)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_pipeline.core.config import parse_params
from ml_pipeline.modeling.tuning import run_search
from tests.conftest import run
from tests.modeling.test_search import composed, load_tiny, with_search

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_raw(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return composed(tmp_path_factory.mktemp("quick"), "data=tiny", "cv=fast", "search=lgbm_quick")


@pytest.fixture(scope="module")
def tiny_train(quick_raw: dict) -> tuple:
    return load_tiny(quick_raw)


@pytest.mark.integration
def test_trials_run_on_a_dask_cluster_and_find_the_local_best(quick_raw: dict, tiny_train) -> None:
    from distributed import Client, LocalCluster, get_task_stream

    features, target = tiny_train
    local = run_search(parse_params(with_search(quick_raw, n_jobs=2)), features, target)
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        with Client(cluster) as client, get_task_stream(client) as stream:
            address = cluster.scheduler_address
            params = parse_params(with_search(quick_raw, dask_scheduler=address))
            remote = run_search(params, features, target)
            workers = set(client.scheduler_info()["workers"])
    finally:
        cluster.close()
    ran_on = {task["worker"] for task in stream.data}
    assert remote.where == f"dask {address} (2 workers)"
    assert address.startswith("tcp://127.0.0.1:") and len(workers) == 2
    assert ran_on and ran_on <= workers  # the fits ran on the cluster's workers
    assert remote.best.number == local.best.number
    assert remote.best.params == local.best.params and remote.best.mean == local.best.mean
    assert [t.state for t in remote.trials] == [t.state for t in local.trials]


def test_unreachable_scheduler_fails_in_one_line(quick_raw: dict, tiny_train) -> None:
    from ml_pipeline.core.errors import StageError
    from tests.services import free_port

    features, target = tiny_train
    address = f"tcp://127.0.0.1:{free_port()}"
    params = parse_params(with_search(quick_raw, dask_scheduler=address))
    message = f"search.dask_scheduler: no Dask scheduler answers at {address}"
    with pytest.raises(StageError, match=message):
        run_search(params, features, target)


def test_dvc_exp_run_search_trains_and_registers_the_best_trial(tiny_repo: Path) -> None:
    import mlflow

    result = run(["dvc", "exp", "run", "-S", "data=tiny", "-S", "search=lgbm_quick"], tiny_repo)
    assert "search: lgbm_quick: best trial" in result.stdout
    report = json.loads((tiny_repo / "reports/search.json").read_text())
    best = report["best"]["params"]
    assert report["trials"]["total"] == 6 and report["family"] == "lgbm"

    store = f"sqlite:///{tiny_repo}/mlflow.db"
    client = mlflow.MlflowClient(store, registry_uri=store)
    experiment = client.get_experiment_by_name("ml-pipeline").experiment_id
    runs = client.search_runs([experiment])
    parent = client.get_run(report["run_id"])
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 6
    exp_name = parent.data.tags["dvc.exp_name"]
    assert all(r.data.tags["dvc.exp_name"] == exp_name for r in children)
    states = {r.data.tags["search.state"] for r in children}
    assert states <= {"COMPLETE", "PRUNED"} and "COMPLETE" in states
    assert all(r.info.status == "FINISHED" for r in [parent, *children])
    assert parent.data.params["best.num_leaves"] == json.dumps(best["num_leaves"])
    assert parent.data.metrics["best_trial"] == report["best"]["trial"]
    assert parent.data.metrics["best_cv_roc_auc_mean"] == report["best"]["cv_roc_auc_mean"]
    assert {a.path for a in client.list_artifacts(parent.info.run_id)} >= {
        "search.png",
        "search.json",
    }

    others = {parent.info.run_id} | {r.info.run_id for r in children}
    (train,) = [r for r in runs if r.info.run_id not in others]  # the pipeline's one run
    for key, value in best.items():
        assert train.data.params[f"model.{key}"] == json.dumps(value)
    version = client.get_model_version_by_alias("ml-pipeline-tiny", "champion")
    assert version.run_id == train.info.run_id
    assert f"num_leaves={best['num_leaves']}" in version.description

    # The registered version reproduces from its lineage without running the search again.
    reproduced = run(
        ["python", "-m", "commands.reproduce", f"models:/ml-pipeline-tiny/{version.version}"],
        tiny_repo,
        timeout=600,
    )
    assert "reproduces exactly" in reproduced.stdout
    after = client.search_runs([experiment])
    assert len(after) == len(runs)  # the reproduction used a throwaway store: nothing new here
