"""The registration decision, every branch, without MLflow (ml_pipeline/registry/promotion.py)."""

from __future__ import annotations

import pytest

from ml_pipeline.core.config import RegisterConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation.paired import Paired
from ml_pipeline.registry.promotion import (
    CHAMPION,
    REJECTED,
    Candidate,
    Champion,
    at_least,
    champion_uri,
    check_metrics_exist,
    check_thresholds,
    decide,
    finished,
    passes_thresholds,
)

NAME = "ml-pipeline-tiny"
GATE = RegisterConfig.model_validate(
    {
        "primary_metric": "roc_auc",
        "direction": "higher",
        "compare_with_champion": True,
        "thresholds": [
            {"metric": "accuracy", "direction": "higher", "value": 0.85},
            {"metric": "log_loss", "direction": "lower", "value": 0.4},
        ],
        "beat_baseline": False,
        "baseline_margin": 0.0,
    }
)
GOOD = {"accuracy": 0.9, "log_loss": 0.3, "roc_auc": 0.95}


def candidate(**metrics: float) -> Candidate:
    return Candidate("run1", GOOD | metrics)


def test_first_passing_model_becomes_champion() -> None:
    decided = decide(candidate(), None, GATE, NAME)
    assert (decided.decision, decided.alias, decided.register_version) == ("champion",) * 2 + (
        True,
    )
    assert decided.reasons == ("no champion yet: the first passing model becomes champion",)
    registered = decided.registered(1)
    assert registered.version == 1 and not registered.register_version
    assert registered.champion_before is None
    assert registered.champion_after == {"version": 1, "value": 0.95}
    assert registered.run_tags() == {"registry.decision": "champion", "registry.version": "1"}
    assert registered.version_tags() == {"gate": "passed", "primary_metric": "roc_auc"}
    assert registered.finished_tags() == {"alias.at_registration": "champion"}


def test_better_or_equal_model_replaces_the_champion() -> None:
    old = Champion(3, value=0.95, basis="recorded on the same test data", recorded=0.95)
    decided = decide(candidate(), old, GATE, NAME).registered(4)
    assert decided.alias == "champion"
    assert decided.reasons == (
        "roc_auc 0.95 is at least as good as champion v3's 0.95 (recorded on the same test data)",
    )
    assert decided.champion_before == {
        "version": 3,
        "value": 0.95,
        "basis": "recorded on the same test data",
    }
    assert decided.champion_after == {"version": 4, "value": 0.95}


def test_worse_model_is_a_challenger_and_the_champion_stays() -> None:
    old = Champion(3, value=0.96, basis="recorded on the same test data")
    decided = decide(candidate(), old, GATE, NAME).registered(4)
    assert (decided.decision, decided.alias, decided.version) == ("challenger", "challenger", 4)
    assert "roc_auc 0.95 is worse than champion v3's 0.96" in decided.reasons[0]
    assert decided.champion_after == {"version": 3, "value": 0.96}


def test_lower_is_better_follows_the_direction() -> None:
    gate = GATE.model_copy(update={"primary_metric": "log_loss", "direction": "lower"})
    assert decide(candidate(), Champion(1, value=0.31), gate, NAME).alias == "champion"
    assert decide(candidate(), Champion(1, value=0.29), gate, NAME).alias == "challenger"


def test_a_champion_that_is_not_comparable_is_kept() -> None:
    basis = "was trained and tested on other data (data.md5.*): not comparable"
    decided = decide(candidate(), Champion(2, value=None, basis=basis), GATE, NAME)
    assert decided.alias == "challenger" and decided.register_version
    assert decided.reasons == (f"champion v2 {basis}: kept as champion",)
    assert decided.registered(5).champion_after == {"version": 2, "value": None}


def test_comparison_off_promotes_without_comparing() -> None:
    gate = GATE.model_copy(update={"compare_with_champion": False})
    decided = decide(candidate(), Champion(2, value=0.99, basis="b"), gate, NAME).registered(3)
    assert decided.alias == "champion"
    assert decided.reasons == (
        "register.compare_with_champion is false: promoted without comparison",
    )
    assert decided.champion_before == {"version": 2, "value": 0.99, "basis": "b"}
    assert decided.champion_after == {"version": 3, "value": 0.95}


@pytest.mark.parametrize(
    ("champion_version", "holds", "alias", "now"),
    [
        (4, ("champion",), "champion", ""),
        (5, ("challenger",), "challenger", "; v4 holds challenger now (champion is v5)"),
        (5, (), None, "; v4 holds no alias now (champion is v5)"),
    ],
)
def test_a_run_registered_before_reports_the_alias_its_version_holds_now(
    champion_version: int, holds: tuple[str, ...], alias: str | None, now: str
) -> None:
    """A forced re-run states the registry's truth; the decision is the one made back then."""
    registered = Candidate("run1", GOOD, registered_as=4, holds=holds, decided="champion")
    decided = decide(registered, Champion(champion_version, recorded=0.9), GATE, NAME)
    assert not decided.register_version
    assert (decided.decision, decided.alias, decided.version) == ("champion", alias, 4)
    assert decided.reasons == (f"run run1 is already registered as v4: not registered again{now}",)
    kept = {"version": champion_version, "value": 0.9}
    assert decided.champion_before == decided.champion_after == kept
    shown = alias or "(no alias now)"
    assert decided.summary().startswith(f"champion: registered v4 {shown}; run run1 is")


@pytest.mark.parametrize(
    ("aliases", "tags", "done"),
    [
        (["champion"], {}, True),  # killed after its alias: finished
        ([], {"alias.at_registration": "challenger"}, True),  # a newer challenger took it
        ([], {"gate": "passed"}, False),  # killed between creating it and its alias
    ],
)
def test_a_version_without_alias_nor_alias_tag_is_unfinished(
    aliases: list[str], tags: dict[str, str], done: bool
) -> None:
    assert finished(aliases, tags) is done


def test_failed_thresholds_reject_whatever_the_champion() -> None:
    decided = decide(candidate(log_loss=0.5), Champion(1, value=0.1, recorded=0.2), GATE, NAME)
    assert (decided.decision, decided.alias, decided.version) == ("rejected", None, None)
    assert not decided.register_version
    assert decided.reasons == ("log_loss <= 0.4 failed: observed 0.5",)
    assert decided.run_tags() == {"registry.decision": "rejected"}
    assert decided.champion_before == decided.champion_after == {"version": 1, "value": 0.2}
    report = decided.report()
    assert report["thresholds"][1]["passed"] is False and "register_version" not in report
    assert report["primary_metric"] == {"name": "roc_auc", "direction": "higher", "value": 0.95}
    assert report["registered_model"] == NAME


def test_thresholds_report_each_rule_with_its_observed_value() -> None:
    checks = check_thresholds(GATE, {"accuracy": 0.9, "log_loss": 0.5, "roc_auc": 0.95})
    assert [(c["rule"], c["observed"], c["passed"]) for c in checks] == [
        ("accuracy >= 0.85", 0.9, True),
        ("log_loss <= 0.4", 0.5, False),
    ]
    assert passes_thresholds(GATE, GOOD) and not passes_thresholds(GATE, GOOD | {"accuracy": 0.8})
    assert at_least(0.5, 0.5, "higher") and at_least(0.5, 0.5, "lower")
    assert not at_least(0.4, 0.5, "higher") and not at_least(0.6, 0.5, "lower")


def test_a_threshold_on_a_metric_the_task_lacks_names_the_key() -> None:
    regression = {"rmse": 500.0, "r2": 0.98}
    with pytest.raises(StageError, match=r"register.primary_metric: metric 'roc_auc' .*rmse"):
        check_metrics_exist(GATE, regression)


def test_champion_uri() -> None:
    assert champion_uri(NAME) == "models:/ml-pipeline-tiny@champion"


def test_a_model_that_does_not_beat_the_baseline_is_rejected() -> None:
    gate = GATE.model_copy(update={"beat_baseline": True, "baseline_margin": 0.1})
    close = candidate(**{"baseline.roc_auc": 0.94})  # skill 1 - 0.05/0.06 = 0.17 >= 0.1
    assert decide(close, None, gate, NAME).decision == CHAMPION
    level = candidate(**{"baseline.roc_auc": 0.95})  # skill 0: no better than the baseline
    decided = decide(level, None, gate, NAME)
    assert decided.decision == REJECTED and not decided.register_version
    assert "register.beat_baseline" in decided.reasons[0]


def test_a_null_primary_metric_is_not_comparable_and_says_so() -> None:
    """MAPE is null near a zero target: the candidate cannot be ranked against the champion."""
    gate = GATE.model_copy(
        update={"primary_metric": "mape", "direction": "lower", "thresholds": []}
    )
    decided = decide(Candidate("run1", {"mape": None}), Champion(2, 0.1, "same data"), gate, NAME)
    assert (decided.decision, decided.alias, decided.register_version) == (
        "challenger",
        "challenger",
        True,
    )
    assert decided.reasons == (
        "not comparable: mape is null (undefined on this test data); champion v2 kept",
    )
    assert decided.report()["primary_metric"] == {
        "name": "mape",
        "direction": "lower",
        "value": None,
    }


def conservative_gate() -> RegisterConfig:
    thresholds = [
        {"metric": "accuracy", "value": 0.85, "bound": "conservative"},
        {"metric": "log_loss", "value": 0.4, "bound": "conservative"},
    ]
    return RegisterConfig.model_validate(GATE.model_dump() | {"thresholds": thresholds})


def test_a_conservative_bound_refuses_a_model_that_passes_on_its_point_estimate() -> None:
    """accuracy 0.86 >= 0.85, but its 95 % interval reaches down to 0.84: not sure enough."""
    unsure = GOOD | {
        "accuracy": 0.86,
        "accuracy.ci_lower": 0.84,
        "accuracy.ci_upper": 0.88,
        "log_loss.ci_lower": 0.28,
        "log_loss.ci_upper": 0.32,
    }
    assert passes_thresholds(GATE, unsure)  # the point estimates pass
    gate = conservative_gate()
    decided = decide(Candidate("run1", unsure), None, gate, NAME)
    assert decided.decision == REJECTED
    assert decided.reasons == ("accuracy.ci_lower >= 0.85 failed: observed 0.84",)
    sure = unsure | {"accuracy.ci_lower": 0.851}
    assert decide(Candidate("run1", sure), None, gate, NAME).decision == CHAMPION
    # lower is better: the conservative end is the upper one
    assert not passes_thresholds(gate, sure | {"log_loss.ci_upper": 0.41})
    assert [c["metric"] for c in check_thresholds(gate, sure)] == [
        "accuracy.ci_lower",
        "log_loss.ci_upper",
    ]


def test_a_conservative_bound_needs_the_interval_in_metrics_json() -> None:
    with pytest.raises(StageError, match=r"register.thresholds\[0\].bound: 'accuracy.ci_lower'"):
        check_metrics_exist(conservative_gate(), GOOD)


def test_a_conservative_bound_on_a_value_without_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="bound 'conservative' needs a test metric"):
        RegisterConfig.model_validate(
            GATE.model_dump()
            | {
                "thresholds": [
                    {"metric": "cv_accuracy_mean", "value": 0.8, "bound": "conservative"}
                ]
            }
        )


def paired_gate(direction: str = "higher", metric: str = "roc_auc") -> RegisterConfig:
    return GATE.model_copy(
        update={"require_paired_interval": True, "primary_metric": metric, "direction": direction}
    )


def test_with_the_paired_rule_an_interval_above_zero_makes_the_champion() -> None:
    paired = Paired("roc_auc", 0.002, 0.001, 0.003, rows=1000, replicates=1000)
    old = Champion(3, value=0.948, basis="b", paired=paired, paired_note="logged predictions")
    decided = decide(candidate(), old, paired_gate(), NAME)
    assert decided.alias == "champion"
    assert decided.reasons[0].endswith(
        "the paired difference +0.002 [+0.001, +0.003] (95 %) excludes zero"
    )
    assert decided.paired is not None and decided.paired["ci_lower"] == 0.001
    assert decided.paired_metrics() == {
        "paired.roc_auc.difference": 0.002,
        "paired.roc_auc.ci_lower": 0.001,
        "paired.roc_auc.ci_upper": 0.003,
    }


@pytest.mark.parametrize("paired", [Paired("roc_auc", 0.002, -0.001, 0.005, 1000, 1000), None])
def test_with_the_paired_rule_a_better_point_within_noise_is_a_challenger(
    paired: Paired | None,
) -> None:
    old = Champion(3, value=0.948, basis="b", paired=paired, paired_note="could not be re-scored")
    decided = decide(candidate(), old, paired_gate(), NAME)
    assert (decided.decision, decided.alias) == ("challenger", "challenger")
    assert "does not exclude zero (register.require_paired_interval)" in decided.reasons[0]
    assert decided.champion_after == {"version": 3, "value": 0.948}
    off = decide(candidate(), old, GATE, NAME)  # default: the point estimate decides
    assert off.alias == "champion" and "paired" not in off.reasons[0]


def test_the_paired_rule_follows_the_direction_of_the_primary_metric() -> None:
    lower = Paired("log_loss", -0.01, -0.02, -0.005, 1000, 1000)
    old = Champion(3, value=0.31, basis="b", paired=lower, paired_note="re-scored")
    assert decide(candidate(), old, paired_gate("lower", "log_loss"), NAME).alias == "champion"
    higher = Paired("log_loss", 0.01, 0.005, 0.02, 1000, 1000)  # worse, beyond noise
    old = Champion(3, value=0.31, basis="b", paired=higher, paired_note="re-scored")
    decided = decide(candidate(), old, paired_gate("lower", "log_loss"), NAME)
    assert decided.alias == "challenger"


def test_registration_json_says_why_there_is_no_paired_interval() -> None:
    old = Champion(3, value=None, basis="trained elsewhere", paired_note="not comparable: x")
    decided = decide(candidate(), old, GATE, NAME)
    assert decided.report()["paired"] == {"comparable": False, "reason": "not comparable: x"}
    assert decided.paired_metrics() == {}
    assert decide(candidate(), None, GATE, NAME).report()["paired"] is None
