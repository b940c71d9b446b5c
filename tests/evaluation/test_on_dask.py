"""`evaluate` on `compute: dask` (ml_pipeline/evaluation/on_dask.py): the test split scored over
its partitions on an in-process LocalCluster gives what the local path gives: metrics (with
intervals, slices, baseline), plots, predictions; and `evaluate` reads only the columns it uses."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pandas as pd
import pytest

from commands.compose import compose
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.columns import features_and_target
from ml_pipeline.data.compact import restore
from ml_pipeline.evaluation.on_dask import rows_on_dask
from ml_pipeline.evaluation.scored_rows import local_rows, needed_test_columns, read_columns
from ml_pipeline.modeling.pipeline import build_pipeline
from stages import evaluate, prepare
from tests.conftest import ROOT, tiny_overrides


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Params, pd.DataFrame, pd.DataFrame]:
    out = tmp_path_factory.mktemp("on_dask")
    overrides = tiny_overrides(
        "model=lgbm", "model.n_estimators=20", "evaluate.importance_repeats=1"
    )
    compose(out / "params.yaml", overrides, ROOT / "conf")
    params = load_params(out / "params.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        train, test = (restore(rows) for rows in prepare.run(params)[:2])  # files' dtypes
    return params, train, test


def test_evaluation_on_dask_is_the_local_one(
    tiny: tuple[Params, pd.DataFrame, pd.DataFrame], dask_client: object, tmp_path: Path
) -> None:
    params, train, test = tiny
    data, settings = params.data, params.evaluate
    model = build_pipeline(data, params.model, params.seed).fit(*features_and_target(train, data))
    test.to_parquet(tmp_path / "test.parquet", row_group_size=23)  # 9 partitions, the last short
    report = {"cv_mean": 0.8, "cv_std": 0.0, "fit_seconds": 1.0}
    on_dask = rows_on_dask(model, tmp_path / "test.parquet", data, settings, params.seed, 2)
    here = local_rows(model, test, data, settings, params.seed)
    assert on_dask.rows == len(test) and list(on_dask.sample.index) == list(here.sample.index)
    there = evaluate.evaluation(params, model, on_dask, report, train)
    local = evaluate.evaluation(params, model, here, report, train)
    assert json.dumps(there.metrics) == json.dumps(local.metrics)
    assert "slice_worst.roc_auc" in there.metrics and "skill.accuracy" in there.metrics
    assert there.slices == local.slices and there.slices["columns"]
    assert there.plots.keys() == local.plots.keys()
    for name, table in local.plots.items():
        pd.testing.assert_frame_equal(there.plots[name], table)
    pd.testing.assert_frame_equal(there.predictions, local.predictions)


def test_evaluate_reads_only_the_columns_it_uses(
    tiny: tuple[Params, pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    params, _, test = tiny
    test.assign(unused=1.0).to_parquet(tmp_path / "test.parquet")
    columns = needed_test_columns(params, params.data)
    assert "unused" not in columns and set(columns) == {*params.data.features, params.data.target}
    read = read_columns(tmp_path / "test.parquet", columns)
    pd.testing.assert_frame_equal(read, test[columns])


class DiesOnce:
    """A fitted pipeline whose predict_proba SIGKILLs its worker the first time (`always`: every
    time): a worker lost mid-evaluate."""

    def __init__(self, model: object, marker: Path, always: bool = False) -> None:
        self.model, self.marker, self.always = model, marker, always
        self.classes_ = model.classes_  # type: ignore[attr-defined]

    def predict(self, rows: pd.DataFrame) -> object:
        return self.model.predict(rows)  # type: ignore[attr-defined]

    def predict_proba(self, rows: pd.DataFrame) -> object:
        if self.always or not self.marker.exists():
            self.marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.model.predict_proba(rows)  # type: ignore[attr-defined]


@pytest.mark.slow  # worker processes, killed and restarted: ~20 s each on an idle machine
@pytest.mark.parametrize("always", [False, True])
def test_a_worker_killed_mid_evaluate_is_retried_or_fails_in_one_line(
    tiny: tuple[Params, pd.DataFrame, pd.DataFrame],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    always: bool,
) -> None:
    import dask
    from distributed import LocalCluster

    params, train, test = tiny
    data = params.data
    model = build_pipeline(data, params.model, params.seed).fit(*features_and_target(train, data))
    monkeypatch.chdir(tmp_path)
    Path("data/prepared").mkdir(parents=True)
    test.to_parquet("data/prepared/test.parquet", row_group_size=50)
    dying = DiesOnce(model, tmp_path / "killed", always)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0 if always else 3}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
    ):
        on_it = params.compute.model_copy(
            update={"engine": "dask", "address": cluster.scheduler_address}
        )
        params = params.model_copy(update={"compute": on_it})
        if not always:  # Dask runs the lost task again on a live worker: the same scores
            rows = evaluate.scored_test_rows(params, dying)  # type: ignore[arg-type]
            here = local_rows(model, test, data, params.evaluate, params.seed)
            assert (tmp_path / "killed").exists() and rows.scored.metrics == here.scored.metrics
            return
        with pytest.raises(StageError) as caught:
            evaluate.scored_test_rows(params, dying)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("compute: scoring the test split failed (KilledWorker")
    assert "nothing was saved or registered" in message and "\n" not in message
