"""The retrain decision (monitoring/policy.py): one test per branch, each on a case where the
other outcome is possible, with the policy of conf/monitor/default.yaml."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ml_pipeline.core.monitor_config import MonitorConfig
from ml_pipeline.monitoring.drift import ColumnDrift
from ml_pipeline.monitoring.policy import OK, RETRAIN, BatchEvidence, decide, drifted
from tests.configs import shipped_params

CFG = shipped_params().monitor
assert isinstance(CFG, MonitorConfig)


def column(name: str, psi: float = 0.01, p: float = 0.5, **more: object) -> ColumnDrift:
    fields: dict = dict(missing_reference=0.0, missing_batch=0.0) | more
    return ColumnDrift(name, "numeric", psi, "ks", 0.1, p, **fields)


STABLE = tuple(column(c) for c in "abcde")
SHIFTED = column("a", psi=0.5, p=1e-9)


def batch(**fields: object) -> BatchEvidence:
    """A judged batch (1,000 rows) with stable columns, unless `fields` say otherwise."""
    base = BatchEvidence("2026-12-01", 1000, 0, "roc_auc", STABLE)
    return replace(base, **fields)  # type: ignore[arg-type]


def labelled(value: float, low: float, high: float, test: float = 0.93) -> BatchEvidence:
    realised = {"roc_auc": value, "roc_auc.ci_lower": low, "roc_auc.ci_upper": high}
    return batch(labelled=1000, realised=realised, champion_value=test)


def test_a_shift_that_matters_and_is_not_chance_drifts() -> None:
    assert drifted(SHIFTED, CFG)
    assert not drifted(column("a", psi=0.5, p=0.2), CFG)  # large PSI, small sample: chance
    assert not drifted(column("a", psi=0.05, p=1e-9), CFG)  # significant but too small to matter


def test_a_missing_rate_change_or_new_categories_drift() -> None:
    assert drifted(column("a", missing_reference=0.01, missing_batch=0.2), CFG)
    assert not drifted(column("a", missing_reference=0.01, missing_batch=0.05), CFG)
    assert drifted(column("a", new_categories=("x",), new_share=0.2), CFG)
    assert not drifted(column("a", new_categories=("x",), new_share=0.01), CFG)


def test_stable_batches_are_ok_with_a_line_each() -> None:
    decision = decide([batch(), batch(name="2026-12-02")], CFG, "3")
    assert decision.decision == OK
    assert decision.batches == ("2026-12-01", "2026-12-02")
    assert decision.reasons[0].startswith("batch 2026-12-01: 0 of 5 columns drifted")


def test_enough_drifted_columns_retrain_fewer_do_not() -> None:
    two = (SHIFTED, replace(SHIFTED, column="b"), *STABLE[2:])
    decision = decide([batch(columns=two)], CFG, "3")
    assert decision.decision == RETRAIN and decision.batches == ("2026-12-01",)
    assert "2 of 5 columns drifted: a (PSI 0.50), b (PSI 0.50)" in decision.reasons[0]
    assert decide([batch(columns=(SHIFTED, *STABLE[1:]))], CFG, "3").decision == OK


def test_prediction_drift_retrains_unless_switched_off() -> None:
    moved = batch(prediction=replace(SHIFTED, column="prediction"))
    assert "the predictions drifted" in decide([moved], CFG, "3").reasons[0]
    off = CFG.model_copy(update={"prediction_drift": False})
    assert decide([moved], off, "3").decision == OK


def test_a_metric_drop_beyond_the_interval_and_tolerance_retrains() -> None:
    decision = decide([labelled(0.90, 0.89, 0.91)], CFG, "3")
    assert decision.decision == RETRAIN
    assert "realised roc_auc 0.9000" in decision.reasons[0]


def test_a_drop_within_the_interval_or_the_tolerance_is_ok() -> None:
    assert decide([labelled(0.90, 0.85, 0.94)], CFG, "3").decision == OK  # interval holds test
    assert decide([labelled(0.925, 0.921, 0.928)], CFG, "3").decision == OK  # drop 0.005


def test_a_lower_is_better_metric_drops_upwards() -> None:
    worse = {"rmse": 620.0, "rmse.ci_lower": 600.0, "rmse.ci_upper": 640.0}
    evidence = batch(metric="rmse", labelled=1000, realised=worse, champion_value=550.0)
    assert decide([evidence], CFG, "3").decision == RETRAIN
    better = {"rmse": 480.0, "rmse.ci_lower": 460.0, "rmse.ci_upper": 500.0}
    assert decide([replace(evidence, realised=better)], CFG, "3").decision == OK


def test_too_few_labelled_rows_judge_no_metric() -> None:
    few = replace(labelled(0.90, 0.89, 0.91), labelled=CFG.min_rows - 1)
    assert decide([few], CFG, "3").decision == OK


def test_a_batch_under_min_rows_is_shown_not_judged() -> None:
    small = batch(rows=CFG.min_rows - 1, columns=(SHIFTED, replace(SHIFTED, column="b")))
    decision = decide([small], CFG, "3")
    assert decision.decision == OK
    assert "fewer than monitor.min_rows" in decision.reasons[0]


@pytest.mark.parametrize(("age", "expected"), [(181.0, RETRAIN), (179.0, OK), (None, OK)])
def test_an_old_champion_retrains(age: float | None, expected: str) -> None:
    decision = decide([batch()], CFG, "3", age_days=age)
    assert decision.decision == expected
    if expected == RETRAIN:
        assert decision.reasons == (
            "champion v3 is 181 days old (monitor.max_champion_age_days: 180)",
        )


def test_no_age_limit_never_retrains_for_age() -> None:
    unlimited = CFG.model_copy(update={"max_champion_age_days": None})
    assert decide([batch()], unlimited, "3", age_days=10_000).decision == OK


def test_time_ordered_data_drift_is_shown_not_a_trigger() -> None:
    two = (SHIFTED, replace(SHIFTED, column="b"))
    decision = decide([batch(columns=two)], CFG, "3", time_split=True)
    assert decision.decision == OK
    assert "time-ordered data: drift is shown, not a trigger" in decision.reasons[0]
    counted = CFG.model_copy(update={"drift_on_time_split": True})
    assert decide([batch(columns=two)], counted, "3", time_split=True).decision == RETRAIN


def test_time_ordered_data_still_retrains_on_the_metric() -> None:
    assert decide([labelled(0.90, 0.89, 0.91)], CFG, "3", time_split=True).decision == RETRAIN


def test_no_batch_is_ok() -> None:
    decision = decide([], CFG, None)
    assert (decision.decision, decision.batches) == (OK, ())
    assert decision.reasons == ("no scored batch: nothing to judge",)
