"""MLflow end to end, through the real `dvc repro` / `dvc exp run` on `tiny`: one run per
execution, lineage, the registration gate, parallel experiments, batch predict and serving.

Each repository copy has its own embedded store (`<copy>/mlflow.db`, `<copy>/mlruns`), seeded
with one SQLite file migrated once per session.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from commands.compose import compose
from ml_pipeline.tracking.lineage import file_md5
from tests.conftest import pipeline_env, run, run_queue, tiny_overrides
from tests.services import free_port, served

pytestmark = pytest.mark.slow

MODEL = "ml-pipeline-tiny"


def client(repo: Path) -> Any:
    import mlflow

    store = f"sqlite:///{repo}/mlflow.db"
    return mlflow.MlflowClient(store, registry_uri=store)  # not a global set by other tests


def runs_of(repo: Path, experiment: str = "ml-pipeline") -> list:
    found = client(repo).get_experiment_by_name(experiment)
    return client(repo).search_runs([found.experiment_id]) if found else []


def read(repo: Path, path: str) -> Any:
    return json.loads((repo / path).read_text())


@pytest.fixture(scope="module")
def pipeline_repo(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dvc repro` once on tiny; the tests below read what it left (the last one changes it)."""
    repo = tmp_path_factory.mktemp("mlflow-e2e") / "repo"
    shutil.copytree(template_repo, repo, symlinks=True)
    result = run(["dvc", "repro"], repo)
    assert "register: champion" in result.stdout
    return repo


def test_repro_logs_one_complete_run_and_registers_the_champion(
    pipeline_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, mlflow_client = pipeline_repo, client(pipeline_repo)
    run_info = read(repo, "models/run.json")
    runs = runs_of(repo)
    assert [r.info.run_id for r in runs] == [run_info["run_id"]]
    assert runs_of(repo, "Default") == []
    logged = runs[0]
    assert logged.info.status == "FINISHED"

    # params: hyperparameters, data and split settings (the whole params.yaml is an artifact)
    params = logged.data.params
    assert params["model.name"] == "hgb" and params["data.name"] == "tiny"
    assert params["seed"] == "42" and params["split.method"] == "predefined"
    assert not any(k.startswith("validation.") for k in params) and len(params) < 25
    assert "**tiny**" in logged.data.tags["mlflow.note.content"]
    curve = mlflow_client.get_metric_history(logged.info.run_id, "train_log_loss")
    assert len(curve) == 200 and curve[0].value > curve[-1].value
    # metrics: exactly metrics.json, plus per-fold CV scores and fit time
    metrics = read(repo, "metrics.json")
    assert {k: logged.data.metrics[k] for k in metrics} == metrics
    folds = mlflow_client.get_metric_history(logged.info.run_id, "cv_fold_accuracy")
    assert sorted(m.step for m in folds) == [0, 1, 2, 3, 4]
    assert logged.data.metrics["fit_seconds"] > 0
    # artifacts
    artifacts = {a.path for a in mlflow_client.list_artifacts(logged.info.run_id)}
    assert {"params.yaml", "prepare.json", "validation.json", "registration.json"} <= artifacts
    assert "validation_contract.yaml" in artifacts
    figures = {a.path for a in mlflow_client.list_artifacts(logged.info.run_id, "figures")}
    assert "figures/roc.png" in figures and "timings.json" in artifacts
    # evaluate's test loss per iteration, logged by register from reports/plots/
    test_curve = mlflow_client.get_metric_history(logged.info.run_id, "test_log_loss")
    written = pd.read_csv(repo / "reports/plots/learning_curve.csv")["loss"]
    assert [m.value for m in sorted(test_curve, key=lambda m: m.step)] == list(written)
    # lineage: datasets with DVC's md5 as digest; git, DVC and reproduce tags
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    lock_md5 = {o["path"]: o["md5"] for o in lock["prepare"]["outs"]}
    digests = {d.dataset.name: d.dataset.digest for d in logged.inputs.dataset_inputs}
    assert digests == {
        "train": lock_md5["data/prepared/train.parquet"],
        "test": lock_md5["data/prepared/test.parquet"],
    }
    head = run(["git", "rev-parse", "HEAD"], repo).stdout.strip()
    tags = logged.data.tags
    assert tags["git.commit"] == head and tags["git.dirty"] == "false"  # only params.yaml differs
    assert tags["reproduce"].startswith(f"git checkout {head}")
    assert tags["dvc.train.models/model"] == next(
        o["md5"] for o in lock["train"]["outs"] if o["path"] == "models/model"
    )
    # the model: the whole pipeline, with a signature, loadable as the champion
    logged_model = mlflow_client.get_logged_model(run_info["model_id"])
    assert logged_model.source_run_id == logged.info.run_id
    on_model = {m.key: m.value for m in logged_model.metrics if m.key in metrics}
    assert on_model == {k: v for k, v in metrics.items() if v is not None}
    registration = read(repo, "reports/registration.json")
    assert registration["decision"] == "champion" and registration["version"] == 1
    # tiny's two thresholds, then register.beat_baseline's skill check
    checks = registration["thresholds"]
    assert [c["metric"] for c in checks] == ["accuracy", "roc_auc", "skill.roc_auc"]
    assert all(c["passed"] for c in checks)
    version = mlflow_client.get_model_version_by_alias(MODEL, "champion")
    assert int(version.version) == 1 and version.run_id == logged.info.run_id
    assert version.tags["data.md5.test"] == lock_md5["data/prepared/test.parquet"]
    assert version.tags["metric.roc_auc"] == str(metrics["roc_auc"])
    assert "Gate: accuracy >= 0.75" in version.description

    import mlflow.pyfunc

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{repo}/mlflow.db")
    champion = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    assert champion.metadata.get_input_schema() is not None
    test = pd.read_parquet(repo / "data/prepared/test.parquet").drop(columns="income")
    local = mlflow.pyfunc.load_model(str(repo / "models/model"))
    assert list(champion.predict(test)) == list(local.predict(test))


def test_batch_predict_with_the_champion(pipeline_repo: Path, tmp_path: Path) -> None:
    rows = pd.read_parquet(pipeline_repo / "data/prepared/test.parquet").drop(columns="income")
    rows.head(20).to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "scored.parquet"
    command = ["python", "-m", "commands.predict", "--input", str(tmp_path / "rows.csv")]
    run([*command, "--output", str(out)], pipeline_repo)
    scored = pd.read_parquet(out)
    assert len(scored) == 20 and set(scored["prediction"]) <= {">50K", "<=50K"}
    total = scored["proba_>50K"] + scored["proba_<=50K"]
    assert (abs(total - 1) < 1e-9).all()

    rows.head(5).drop(columns="age").to_csv(tmp_path / "missing.csv", index=False)
    bad = run(
        [*command[:-1], str(tmp_path / "missing.csv"), "--output", str(tmp_path / "bad.csv")],
        pipeline_repo,
        check=False,
    )
    assert bad.returncode == 2
    assert "missing column 'age'" in bad.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "bad.csv").exists()


def post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def server(pipeline_repo: Path, tmp_path: Path) -> Iterator[str]:
    """`python -m commands.mlflow_cli serve` (what `make serve` runs) on a free loopback port."""
    port = free_port()
    command = ["python", "-m", "commands.mlflow_cli", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with served(command, f"{url}/ping", log, pipeline_repo, pipeline_env(), seconds=180):
        yield f"{url}/invocations"


def test_serving_the_champion(pipeline_repo: Path, server: str) -> None:
    rows = pd.read_parquet(pipeline_repo / "data/prepared/test.parquet").drop(columns="income")
    good = rows.head(3)

    def payload(frame: pd.DataFrame) -> bytes:
        split = json.loads(frame.to_json(orient="split", index=False))
        return json.dumps({"dataframe_split": split}).encode()

    status, body = post(server, payload(good))
    assert status == 200 and len(json.loads(body)["predictions"]) == 3

    status, body = post(server, payload(good.drop(columns="age")))
    assert 400 <= status < 500 and "age" in body
    status, body = post(server, payload(good.drop(columns="workclass")))  # often empty
    assert 400 <= status < 500 and "workclass" in body
    empty = good.assign(age=None, workclass=None, occupation=None)
    status, body = post(server, payload(empty))
    assert status == 200 and len(json.loads(body)["predictions"]) == 3
    status, body = post(server, payload(good.assign(age="old")))  # no number: missing, as
    assert status == 200 and len(json.loads(body)["predictions"]) == 3  # prepare reads it
    status, body = post(server, b'{"dataframe_split": {"columns": ["age"], "data": [[1')
    assert 400 <= status < 500
    # Documented behaviour: an extra column is ignored and the prediction is unchanged.
    status, extra = post(server, payload(good.assign(unexpected=1)))
    assert status == 200 and json.loads(extra) == json.loads(post(server, payload(good))[1])


def test_worse_model_is_not_promoted_and_a_failed_gate_registers_nothing(
    pipeline_repo: Path,
) -> None:
    repo, mlflow_client = pipeline_repo, client(pipeline_repo)
    first_run = read(repo, "models/run.json")["run_id"]

    # One boosting iteration: passes the tiny thresholds but is worse than the champion.
    compose(repo / "params.yaml", tiny_overrides("model.max_iter=1"), repo / "conf")
    run(["dvc", "repro"], repo)
    registration = read(repo, "reports/registration.json")
    assert registration["decision"] == "challenger" and registration["version"] == 2
    assert registration["champion_before"]["version"] == 1
    assert registration["champion_after"] == {
        "version": 1,
        "value": registration["champion_before"]["value"],
    }
    assert "worse than champion v1" in registration["reasons"][0]
    assert mlflow_client.get_model_version_by_alias(MODEL, "champion").version == 1
    assert mlflow_client.get_model_version_by_alias(MODEL, "challenger").version == 2

    # A strict threshold: nothing registered, the run still succeeds, the file says why; the
    # run (registered as v2 by the earlier gate) keeps its version and alias.
    strict = "register.thresholds=[{metric:accuracy,direction:higher,value:0.99}]"
    compose(repo / "params.yaml", tiny_overrides("model.max_iter=1", strict), repo / "conf")
    result = run(["dvc", "repro"], repo)
    assert "Running stage 'register'" in result.stdout
    assert "Running stage 'train'" not in result.stdout
    registration = read(repo, "reports/registration.json")
    assert (registration["decision"], registration["version"]) == ("rejected", 2)
    assert registration["alias"] == "challenger"
    assert registration["reasons"][0] == "accuracy >= 0.99 failed: observed 0.765"
    assert "registered as v2 before, which holds challenger now" in registration["reasons"][1]
    versions = mlflow_client.search_model_versions(f"name='{MODEL}'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    assert all(r.info.status == "FINISHED" for r in runs_of(repo))

    # Other data (both files lose rows): not comparable with the champion, which stays.
    compose(repo / "params.yaml", ["data=tiny"], repo / "conf")
    raw = {path: path.read_bytes() for path in (repo / "data/raw/tiny").glob("*.gz")}
    for path in raw:
        with gzip.open(path, "rt") as handle:
            lines = handle.readlines()
        with gzip.open(path, "wt") as handle:
            handle.writelines(lines[:-20])
    run(["dvc", "repro"], repo)
    for path, content in raw.items():
        path.write_bytes(content)
    registration = read(repo, "reports/registration.json")
    assert registration["decision"] == "challenger" and registration["version"] == 3
    assert "not comparable" in registration["reasons"][0]
    assert mlflow_client.get_model_version_by_alias(MODEL, "champion").version == 1

    # A forced register of the same run registers nothing new.
    run(["dvc", "repro", "-f", "-s", "register"], repo)
    registration = read(repo, "reports/registration.json")
    assert registration["version"] == 3 and "already registered" in registration["reasons"][0]

    # Back to the first configuration: DVC restores train from its run cache, and the run id
    # it restores is the first run's, which exists; nothing is registered twice.
    compose(repo / "params.yaml", ["data=tiny"], repo / "conf")
    result = run(["dvc", "repro"], repo)
    assert "Running stage 'train'" not in result.stdout
    assert read(repo, "models/run.json")["run_id"] == first_run
    assert mlflow_client.get_run(first_run).info.status == "FINISHED"
    versions = mlflow_client.search_model_versions(f"name='{MODEL}'")
    assert sorted(int(v.version) for v in versions) == [1, 2, 3]
    assert mlflow_client.get_model_version_by_alias(MODEL, "champion").version == 1


def test_parallel_queued_experiments_share_the_main_store(tiny_repo: Path) -> None:
    # A Hydra sweep: one queued experiment per model family.
    sweep = ["-S", "data=tiny", "-S", "model=linear,hgb,rf", "-S", "cv=fast"]
    run(["dvc", "exp", "run", "--queue", *sweep, "-S", "evaluate.importance_repeats=1"], tiny_repo)
    run_queue(tiny_repo, tasks=3)

    runs = runs_of(tiny_repo)
    assert len(runs) == 3 and runs_of(tiny_repo, "Default") == []
    assert {r.data.params["model.name"] for r in runs} == {"linear", "hgb", "rf"}
    shown = json.loads(run(["dvc", "exp", "show", "--json"], tiny_repo).stdout)
    experiments = {e["name"] for baseline in shown for e in baseline.get("experiments") or []}
    assert {r.data.tags["dvc.exp_name"] for r in runs} == experiments
    head = run(["git", "rev-parse", "HEAD"], tiny_repo).stdout.strip()
    for logged in runs:
        assert logged.info.status == "FINISHED"
        assert logged.data.tags["dvc.baseline_rev"] == head
        assert logged.data.tags["reproduce"].startswith("dvc exp apply ")
        assert logged.info.run_name == logged.data.tags["dvc.exp_name"]
    best = max(runs, key=lambda r: r.data.metrics["roc_auc"])
    champion = client(tiny_repo).get_model_version_by_alias(MODEL, "champion")
    assert champion.run_id == best.info.run_id
    # Artifacts live in the main repository, not in the deleted temporary copies.
    assert not list(tiny_repo.glob(".dvc/tmp/exps/**/mlflow.db"))
    assert file_md5(tiny_repo / "mlflow.db")  # the one store
    assert list((tiny_repo / "mlruns").rglob("MLmodel"))


def test_a_killed_stage_leaves_its_run_failed_and_no_version(pipeline_repo: Path) -> None:
    repo = pipeline_repo
    compose(
        repo / "params.yaml", ["data=tiny", "model=rf", "model.n_estimators=3000"], repo / "conf"
    )
    known = {r.info.run_id for r in runs_of(repo)}
    versions = len(client(repo).search_model_versions(f"name='{MODEL}'"))
    run_json = (repo / "models/run.json").read_text()
    process = subprocess.Popen(
        ["python", "-m", "stages.train"],
        cwd=repo,
        env=pipeline_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, started = time.monotonic() + 180, []  # a loaded machine starts slowly
        while not started and time.monotonic() < deadline and process.poll() is None:
            started = [r for r in runs_of(repo) if r.info.run_id not in known]
            time.sleep(0.2)
        assert started and process.poll() is None, "train did not start a run in time"
        process.terminate()
        assert process.wait(timeout=30) != 0
    finally:
        if process.poll() is None:
            process.kill()
        compose(repo / "params.yaml", ["data=tiny"], repo / "conf")
    assert client(repo).get_run(started[0].info.run_id).info.status == "FAILED"
    assert len(client(repo).search_model_versions(f"name='{MODEL}'")) == versions
    assert (repo / "models/run.json").read_text() == run_json
