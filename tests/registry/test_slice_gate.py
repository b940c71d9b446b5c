"""The per-slice gate (ml_pipeline/registry/slice_gate.py): every branch in-process, then a
model built to fail it refused by `register` against a real SQLite registry."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, RegisterConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.registry.promotion import CHAMPION, REJECTED, Candidate, Champion, decide
from ml_pipeline.registry.slice_gate import check_slices_exist, slice_checks
from ml_pipeline.tracking.session import Tracking
from stages import register
from tests.registry import test_registry_state
from tests.registry.test_register import evaluate_outputs
from tests.registry.test_registry_state import GATE, trained

store = test_registry_state.store  # the fixture: prepared `tiny`, an empty SQLite store
SLICE_GATE = GATE.model_copy(update={"slice_gate": True})
NAME = "ml-pipeline-tiny"


def report(female: float, low: float, high: float, judged: bool = True) -> dict:
    """A reports/slices.json: accuracy on `sex=Female` with its interval, `Male` at 0.8."""
    ours = {"accuracy": female, "accuracy.ci_lower": low, "accuracy.ci_upper": high}
    male = {"accuracy": 0.8, "accuracy.ci_lower": 0.75, "accuracy.ci_upper": 0.85}
    slices = [
        {"slice": "Female", "count": 60, "judged": judged, "metrics": ours},
        {"slice": "Male", "count": 140, "judged": True, "metrics": male},
    ]
    return {"min_count": 20, "columns": {"sex": {"slices": slices}}, "worst": {}}


CHAMPION_SLICES = report(0.8, 0.7, 0.9)


def champion(slices: dict | None = CHAMPION_SLICES, basis: str = "") -> Champion:
    return Champion(1, value=0.8, basis="recorded", recorded=0.8, slices=slices, slices_basis=basis)


def gate(slices: dict, champ: Champion | None, config: RegisterConfig = SLICE_GATE) -> dict:
    (check,) = slice_checks(config, slices, champ)
    return check


def test_off_by_default_no_entry() -> None:
    assert GATE.slice_gate is False
    assert slice_checks(GATE, report(0.1, 0.05, 0.2), champion()) == ()


def test_a_slice_worse_beyond_its_interval_fails() -> None:
    check = gate(report(0.6, 0.5, 0.7), champion())
    assert not check["passed"]
    assert check["observed"] == "sex=Female 0.6 (95 %: 0.5 to 0.7) vs champion 0.8"


def test_a_slice_worse_within_its_interval_passes() -> None:
    """0.79 < 0.8 but the interval reaches the champion's value: noise, not a regression."""
    check = gate(report(0.7, 0.6, 0.8), champion())
    assert check["passed"] and check["observed"] == "no slice worse than champion v1"


def test_a_small_slice_is_not_judged() -> None:
    assert gate(report(0.6, 0.5, 0.7, judged=False), champion())["passed"]


def test_lower_is_better_fails_above_the_champion() -> None:
    lower = SLICE_GATE.model_copy(update={"primary_metric": "log_loss", "direction": "lower"})
    theirs = json.loads(json.dumps(CHAMPION_SLICES).replace('"accuracy', '"log_loss'))
    ours = json.loads(json.dumps(report(0.9, 0.85, 0.95)).replace('"accuracy', '"log_loss'))
    assert not gate(ours, champion(theirs), lower)["passed"]  # 0.85 > 0.8: worse
    better = json.loads(json.dumps(report(0.6, 0.5, 0.7)).replace('"accuracy', '"log_loss'))
    assert gate(better, champion(theirs), lower)["passed"]


def test_without_a_comparable_champion_the_rule_says_why() -> None:
    first = gate(report(0.1, 0.05, 0.2), None)
    assert first["passed"] and first["rule"].endswith("(not gated: no champion yet)")
    other = gate(report(0.1, 0.05, 0.2), champion(None, "was tested on other data"))
    assert other["passed"] and other["rule"].endswith(
        "(not gated: champion was tested on other data)"
    )


def test_an_evaluation_without_slices_is_refused_in_one_line() -> None:
    check_slices_exist(GATE, None)  # gate off: nothing needed
    check_slices_exist(SLICE_GATE, CHAMPION_SLICES)
    with pytest.raises(
        StageError, match=r"reports/slices.json has no slices .*: run .dvc repro evaluate."
    ):
        check_slices_exist(SLICE_GATE, {"min_count": None, "columns": {}, "worst": {}})


def test_decide_rejects_a_model_better_overall_but_worse_on_a_slice() -> None:
    candidate = Candidate("run2", {"accuracy": 0.9}, slices=report(0.6, 0.5, 0.7))
    decided = decide(candidate, champion(), SLICE_GATE, NAME)
    assert (decided.decision, decided.register_version) == (REJECTED, False)
    assert "sex=Female 0.6 (95 %: 0.5 to 0.7) vs champion 0.8" in decided.reasons[0]
    fine = decide(
        Candidate("run2", {"accuracy": 0.9}, slices=report(0.8, 0.7, 0.9)),
        champion(),
        SLICE_GATE,
        NAME,
    )
    assert fine.decision == CHAMPION


# ---- against a real registry: the champion's slices come from its run's slices.json -------


def registered(params: Params, tracking: Tracking, run_info: dict, slices: dict) -> dict:
    """`register` after an `evaluate` that wrote accuracy 0.8 and `slices`."""
    evaluate_outputs(0.8)
    paths.SLICES.write_text(json.dumps(slices))
    metrics = json.loads(paths.METRICS.read_text())
    register.run(params, tracking, run_info, metrics, slices)
    return json.loads(paths.REGISTRATION.read_text())


def test_register_refuses_a_model_worse_on_a_slice_than_the_champion(
    store: tuple[Params, Tracking],
) -> None:
    params, tracking = store
    params = params.model_copy(update={"registration": SLICE_GATE})
    first = trained(tracking)
    assert registered(params, tracking, first, CHAMPION_SLICES)["decision"] == CHAMPION
    logged = tracking.client.download_artifacts(first["run_id"], "slices.json")
    assert json.loads(Path(logged).read_text()) == CHAMPION_SLICES
    assert {"slices_table.json"} <= {
        a.path for a in tracking.client.list_artifacts(first["run_id"])
    }

    worse = registered(params, tracking, trained(tracking), report(0.6, 0.5, 0.7))

    assert (worse["decision"], worse["version"]) == (REJECTED, None)
    assert "sex=Female 0.6 (95 %: 0.5 to 0.7) vs champion 0.8" in worse["reasons"][0]
    name = params.tracking.registered_model
    assert len(tracking.client.search_model_versions(f"name='{name}'")) == 1


def test_a_champion_tested_on_other_data_is_not_compared_by_slice(
    store: tuple[Params, Tracking],
) -> None:
    params, tracking = store
    params = params.model_copy(update={"registration": SLICE_GATE})
    registered(params, tracking, trained(tracking), CHAMPION_SLICES)
    test = pd.read_parquet(paths.PREPARED_TEST)
    test.iloc[1:].to_parquet(paths.PREPARED_TEST)  # another test split

    other = registered(params, tracking, trained(tracking), report(0.6, 0.5, 0.7))

    assert other["decision"] != REJECTED
    (check,) = [c for c in other["thresholds"] if "slice_gate" in c["rule"]]
    assert check["passed"]
    assert "champion was tested on other data (data.md5.test)" in check["rule"]
