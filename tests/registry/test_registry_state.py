"""`register` against a real SQLite registry: a killed registration is redone, a forced re-run
reports the aliases its version holds now, a rejected run reports the champion it left alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, RegisterConfig, load_params
from ml_pipeline.tracking.session import Tracking, active_run, connect
from ml_pipeline.tracking.ui import NOTE
from stages import prepare, register
from tests.registry.test_register import evaluate_outputs

GATE = RegisterConfig.model_validate(
    {
        "primary_metric": "accuracy",
        "direction": "higher",
        "compare_with_champion": True,
        "thresholds": [{"metric": "accuracy", "direction": "higher", "value": 0.5}],
        "beat_baseline": False,
        "baseline_margin": 0.0,
    }
)


@pytest.fixture
def store(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Params, Tracking]:
    """Prepared `tiny` data, its params with a one-threshold gate on accuracy, the store."""
    monkeypatch.chdir(tiny_dir)
    assert prepare.main([]) == 0
    params = load_params(paths.PARAMS)
    params = params.model_copy(update={"registration": GATE})
    return params, connect(params.tracking.experiment)


def trained(tracking: Tracking) -> dict[str, Any]:
    """A finished run with a logged model, as `train` leaves it (models/run.json)."""
    import mlflow.sklearn
    from sklearn.dummy import DummyClassifier

    with active_run(tracking) as run:
        model = DummyClassifier().fit([[0.0], [1.0]], ["a", "b"])
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=[])
        ids = {"run_id": run.info.run_id, "experiment_id": tracking.experiment_id}
        return ids | {"model_uri": info.model_uri, "model_id": info.model_id}


def registered(params: Params, tracking: Tracking, run_info: dict, accuracy: float) -> dict:
    """`register` on that run after `evaluate` measured `accuracy`: reports/registration.json."""
    evaluate_outputs(accuracy)
    register.run(params, tracking, run_info, json.loads(paths.METRICS.read_text()))
    return json.loads(paths.REGISTRATION.read_text())


def aliases(tracking: Tracking, name: str) -> dict[str, int]:
    return dict(tracking.client.get_registered_model(name).aliases)


def test_a_register_killed_before_the_alias_is_redone(store: tuple[Params, Tracking]) -> None:
    """kill -9 between creating the version and setting its alias: the next run decides again."""
    params, tracking = store
    name, client = params.tracking.registered_model, tracking.client
    registered(params, tracking, trained(tracking), 0.8)  # v1 champion
    second = trained(tracking)
    client.create_model_version(  # what the killed `register` left: a version, no alias
        name, second["model_uri"], run_id=second["run_id"], model_id=second["model_id"]
    )

    report = registered(params, tracking, second, 0.8)  # ties the champion

    assert (report["decision"], report["alias"], report["version"]) == ("champion", "champion", 3)
    assert aliases(tracking, name) == {"champion": 3}
    versions = client.search_model_versions(f"name='{name}'")
    assert sorted(int(v.version) for v in versions) == [1, 3]  # the unfinished v2 is gone
    assert client.get_model_version(name, "3").tags["alias.at_registration"] == "champion"
    again = registered(params, tracking, second, 0.8)  # finished now: not registered again
    assert (again["alias"], again["version"]) == ("champion", 3)


def test_a_forced_re_run_reports_the_alias_its_version_holds_now(
    store: tuple[Params, Tracking],
) -> None:
    """`dvc repro -f -s register` of a run that is no longer champion: the registry's truth."""
    params, tracking = store
    first = trained(tracking)
    registered(params, tracking, first, 0.8)  # v1 champion
    registered(params, tracking, trained(tracking), 0.9)  # v2 champion

    report = registered(params, tracking, first, 0.8)

    assert (report["decision"], report["alias"], report["version"]) == ("champion", None, 1)
    assert report["reasons"] == [
        f"run {first['run_id']} is already registered as v1: not registered again; "
        "v1 holds no alias now (champion is v2)"
    ]
    assert report["champion_before"] == report["champion_after"] == {"version": 2, "value": 0.9}
    assert aliases(tracking, params.tracking.registered_model) == {"champion": 2}
    note = tracking.client.get_run(first["run_id"]).data.tags[NOTE]
    assert "passed → registered v1 (holds no alias now)**" in note


def test_a_rejected_run_reports_the_champion_it_leaves_alone(
    store: tuple[Params, Tracking],
) -> None:
    params, tracking = store
    name = params.tracking.registered_model
    rejected = registered(params, tracking, trained(tracking), 0.3)  # no registered model yet
    assert rejected["champion_before"] is None and rejected["decision"] == "rejected"
    assert tracking.client.search_registered_models() == []  # nothing registered, not even the name
    registered(params, tracking, trained(tracking), 0.8)  # v1 champion

    report = registered(params, tracking, trained(tracking), 0.3)

    assert (report["decision"], report["alias"], report["version"]) == ("rejected", None, None)
    assert report["champion_before"] == report["champion_after"] == {"version": 1, "value": 0.8}
    assert len(tracking.client.search_model_versions(f"name='{name}'")) == 1


def test_a_registered_run_rejected_by_a_stricter_gate_reports_the_version_it_keeps(
    store: tuple[Params, Tracking],
) -> None:
    """A `register` re-run after the gate got stricter: rejected, and the report names the
    version the run already has and the alias it still holds (the registry is unchanged)."""
    params, tracking = store
    name, run_info = params.tracking.registered_model, trained(tracking)
    registered(params, tracking, run_info, 0.8)  # v1 champion
    strict = GATE.model_copy(
        update={"thresholds": [GATE.thresholds[0].model_copy(update={"value": 0.9})]}
    )

    report = registered(params.model_copy(update={"registration": strict}), tracking, run_info, 0.8)

    assert (report["decision"], report["version"], report["alias"]) == ("rejected", 1, "champion")
    assert "registered as v1 before, which holds champion now" in report["reasons"][-1]
    assert aliases(tracking, name) == {"champion": 1}
