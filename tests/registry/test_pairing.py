"""The champion's side of the paired comparison, with a real MLflow store (registry/pairing.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.evaluation.metrics import score
from ml_pipeline.evaluation.paired import predictions_frame
from ml_pipeline.features.recipe import model_data
from ml_pipeline.modeling.pipeline import build_pipeline
from ml_pipeline.registry.pairing import with_paired
from ml_pipeline.registry.promotion import Champion
from ml_pipeline.tracking.lineage import Lineage
from ml_pipeline.tracking.model_save import model_kwargs
from ml_pipeline.tracking.session import active_run, connect, log_files
from stages import prepare


def test_the_champion_is_paired_from_its_logged_predictions_else_re_scored(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow.sklearn
    from sklearn.dummy import DummyClassifier

    monkeypatch.chdir(tiny_dir)
    assert prepare.main([]) == 0
    params = load_params(paths.PARAMS)
    data, seed = model_data(params), params.seed
    train, test = pd.read_parquet(paths.PREPARED_TRAIN), pd.read_parquet(paths.PREPARED_TEST)
    small = params.model.model_copy(update={"max_iter": 10})  # hgb: seconds, not a minute
    model = build_pipeline(data, small, seed).fit(train[data.features], train[data.target])
    candidate = score(model, test, data)
    paths.PREDICTIONS.parent.mkdir(parents=True, exist_ok=True)
    predictions_frame(candidate).to_parquet(paths.PREDICTIONS)
    tracking = connect(params.tracking.experiment)
    with active_run(tracking):  # the champion: the same model, its predictions not logged
        kwargs = model_kwargs(model, train[data.features].head(5))
        mlflow.sklearn.log_model(model, name="model", registered_model_name="champ", **kwargs)
    lineage = Lineage(data_md5={"train": "t", "test": "this test split"})
    for key, value in lineage.to_tags().items():
        tracking.client.set_model_version_tag("champ", "1", key, value)
    version = tracking.client.get_model_version("champ", "1")
    champion = Champion(1, value=candidate.metrics["roc_auc"], basis="recorded")

    rescored = with_paired(params, version, champion, lineage)
    assert rescored.paired_note == "champion re-scored on these rows"
    assert (
        rescored.paired is not None and rescored.paired.metric == params.registration.primary_metric
    )
    assert (rescored.paired.difference, rescored.paired.ci_lower) == (0.0, 0.0)  # itself

    # Its run logged its predictions (register does): those are used, not the model.
    dummy = DummyClassifier(strategy="prior").fit(train[data.features], train[data.target])
    predictions_frame(score(dummy, test, data)).to_parquet(paths.PREDICTIONS)
    with active_run(tracking, version.run_id):
        log_files([paths.PREDICTIONS])
    predictions_frame(candidate).to_parquet(paths.PREDICTIONS)
    logged = with_paired(params, version, champion, lineage)
    assert logged.paired_note == "the champion run's logged predictions"
    assert logged.paired is not None and logged.paired.difference is not None
    assert logged.paired.difference > 0.2  # the model against a prior that ranks nothing

    elsewhere = Lineage(data_md5={"train": "t", "test": "another test split"})
    again = with_paired(params, version, champion, elsewhere)  # same train: re-scored
    assert again.paired_note == "champion re-scored on these rows"

    unknown = with_paired(
        params, version, replace(champion, value=None, basis="elsewhere"), lineage
    )
    assert unknown.paired is None and unknown.paired_note == "not comparable: champion elsewhere"
