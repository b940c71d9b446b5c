"""Issue 24's done-when cases on the shipped datasets: batches drawn from the test split of
`adult` (classification) and `diamonds` (regression), scored by a champion trained on the train
split, as the `score` stage writes them. A random sample is `ok`, a covariate shift we construct
is `retrain`, a shift too small to matter is `ok`.

The decision table (docs/monitoring.md) is this file's CASES."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from commands.compose import compose
from ml_pipeline.core.config import Params, parse_params
from ml_pipeline.evaluation.metrics import score
from ml_pipeline.modeling.pipeline import build_pipeline
from ml_pipeline.monitoring.reference import reference_sample
from stages import prepare
from stages.monitor import Champion, run
from tests.conftest import ROOT

ROWS = 2000
Shift = Callable[[pd.DataFrame], pd.DataFrame]
CASES: dict[str, dict[str, tuple[Shift, str]]] = {
    "adult": {
        "random": (lambda f: f, "ok"),
        "older, longer hours": (
            lambda f: f.assign(age=f["age"] + 15, hours_per_week=f["hours_per_week"] + 10),
            "retrain",
        ),
        "a year older": (lambda f: f.assign(age=f["age"] + 1), "ok"),
    },
    "diamonds": {
        "random": (lambda f: f, "ok"),
        "larger stones": (
            lambda f: f.assign(carat=f["carat"] * 1.5, x=f["x"] * 1.15, y=f["y"] * 1.15),
            "retrain",
        ),
        "1 % heavier": (lambda f: f.assign(carat=f["carat"] * 1.01), "ok"),
    },
}


def composed_params(tmp: Path, dataset: str) -> Params:
    import yaml

    compose(tmp / "params.yaml", [f"data={dataset}", "model=hgb"], ROOT / "conf")
    raw = yaml.safe_load((tmp / "params.yaml").read_text())
    raw["model"]["max_iter"] = 60  # a champion in seconds; the decisions do not depend on it
    return parse_params(raw)


def champion_and_batches(
    params: Params, monkeypatch: pytest.MonkeyPatch
) -> tuple[Champion, dict[str, pd.DataFrame]]:
    """Prepare the dataset (from the repository's data/raw), fit the champion, build its
    reference as `train` logs it and one scored batch per case."""
    data = params.data
    with monkeypatch.context() as patch:
        patch.chdir(ROOT)
        train, test, _ = prepare.run(params)
    model = build_pipeline(data, params.model, params.seed)
    model.fit(train[data.features], train[data.target])
    test_metrics = score(model, test, data).metrics
    reference = reference_sample(train, data, model, params.seed)
    batches = {}
    for position, (name, (shift, _)) in enumerate(CASES[data.name].items()):
        rows = shift(test.sample(ROWS, random_state=position).reset_index(drop=True))
        batch = rows[[*data.features, data.target]].copy()
        batch["prediction"] = model.predict(rows[data.features])
        if data.task == "classification":
            positive = list(model.classes_).index(data.positive_label)
            batch["score"] = model.predict_proba(rows[data.features])[:, positive]
        batches[name] = batch
    metrics = {k: v for k, v in test_metrics.items() if v is not None}
    return Champion("m", "1", reference, metrics, age_days=1.0), batches


@pytest.fixture(scope="module", params=list(CASES))
def monitored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Params, Champion, dict[str, pd.DataFrame], Any]]:
    params = composed_params(tmp_path_factory.mktemp("params"), request.param)
    with pytest.MonkeyPatch.context() as patch:
        champion, batches = champion_and_batches(params, patch)
    yield params, champion, batches, run(params, batches, champion)


def test_each_batch_gets_the_decision_of_its_case(monitored: Any) -> None:
    params, champion, batches, result = monitored
    for name, (_, expected) in CASES[params.data.name].items():
        alone = run(params, {name: batches[name]}, champion).decision
        assert alone.decision == expected, (name, alone.reasons)
    assert result.decision.decision == "retrain"
    assert list(result.decision.batches) == [
        name for name, (_, expected) in CASES[params.data.name].items() if expected == "retrain"
    ]


def test_the_shift_is_explained_by_the_columns_we_moved(monitored: Any) -> None:
    params, _, _, result = monitored
    moved = {"adult": ("age", "hours_per_week"), "diamonds": ("carat", "x", "y")}
    reason = next(r for r in result.decision.reasons if "columns drifted" in r)
    assert all(f"{column} (PSI" in reason for column in moved[params.data.name]), reason


def test_outputs_are_the_same_bytes_on_a_second_run(monitored: Any) -> None:
    params, champion, batches, result = monitored
    again = run(params, batches, champion)
    assert (again.numbers, again.page) == (result.numbers, result.page)
