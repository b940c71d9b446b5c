"""What people see: the policy's config, the model card's "Since release" section, the flat
numbers of monitor.json, `make monitor`'s lines and `make profile`'s offline page."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands import monitor as command
from ml_pipeline.core import paths
from ml_pipeline.core.config import parse_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.core.outputs import json_writer
from ml_pipeline.monitoring.card import HEADING, since_release, with_since_release
from ml_pipeline.monitoring.drift import ColumnDrift
from ml_pipeline.monitoring.policy import BatchEvidence, decide
from ml_pipeline.monitoring.summary import history, monitor_metrics
from ml_pipeline.registry.model_card import model_card
from tests.configs import shipped_params, shipped_params_dict

PARAMS = shipped_params()
CFG = PARAMS.monitor
assert CFG is not None
SHIFTED = ColumnDrift("age", "numeric", 0.5, "ks", 0.3, 1e-9, 0.0, 0.0)
EVIDENCE = BatchEvidence(
    "2026-12-01",
    1000,
    800,
    "roc_auc",
    (SHIFTED,),
    realised={"roc_auc": 0.91, "roc_auc.ci_lower": 0.9, "roc_auc.ci_upper": 0.92},
    champion_value=0.927,
)


def test_an_unknown_or_wrong_monitor_key_is_one_line_naming_it() -> None:
    raw = shipped_params_dict()
    raw["monitor"]["psi_treshold"] = 0.3
    with pytest.raises(StageError, match=r"monitor\.psi_treshold"):
        parse_params(raw)
    raw = shipped_params_dict()
    raw["monitor"]["p_value"] = 2
    with pytest.raises(StageError, match=r"monitor\.p_value"):
        parse_params(raw)


def test_the_card_starts_unmonitored_and_monitor_replaces_only_its_section() -> None:
    checks = [{"rule": "accuracy >= 0.75", "observed": 0.8, "passed": True}]
    card = model_card(PARAMS, {"accuracy": 0.8}, checks, "passed, champion")
    assert f"{HEADING}\n- not monitored yet" in card
    decision = decide([EVIDENCE], CFG, "3")
    section = since_release([EVIDENCE], decision, CFG)
    updated = with_since_release(card, section)
    assert "not monitored yet" not in updated and "### Limitations" in updated
    assert "- 2026-12-01: 1,000 rows (800 labelled), 1/1 columns drifted" in updated
    assert "- Latest decision: **retrain**: batch 2026-12-01: realised roc_auc" in updated
    assert with_since_release(updated, section) == updated  # the same run twice: one section
    assert updated.replace("\n".join(section), "") == card.replace("\n".join(since_release()), "")


def test_a_card_without_the_section_gets_it_appended() -> None:
    assert with_since_release("old card", [HEADING, "- x"]) == f"old card\n\n{HEADING}\n- x"


def test_monitor_json_holds_numbers_only_with_latest_and_per_batch_keys() -> None:
    decision = decide([EVIDENCE], CFG, "3")
    numbers = monitor_metrics([EVIDENCE], [{"disagreement": 0.1}], decision, CFG)
    assert numbers["retrain"] == 1 and numbers["champion.roc_auc"] == 0.927
    assert numbers["latest.realised.roc_auc.ci_lower"] == 0.9
    assert numbers["batch.2026-12-01.psi.age"] == 0.5
    assert numbers["latest.shadow.disagreement"] == 0.1
    assert all(isinstance(v, int | float) for v in numbers.values())


def test_make_monitor_prints_a_line_per_batch_and_the_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    paths.MONITOR_HISTORY.parent.mkdir(parents=True)
    history([EVIDENCE], CFG).to_csv(paths.MONITOR_HISTORY, index=False)
    json_writer({"decision": "ok", "reasons": ["fine"], "batches": [], "champion_version": "3"})(
        paths.MONITOR_DECISION
    )
    assert command.summary() == [
        "2026-12-01: 1,000 rows (800 labelled), 1/1 columns drifted (max PSI 0.500), "
        "roc_auc 0.9100 [0.9000, 0.9200] vs test 0.9270",
        "decision: ok (champion v3): fine",
    ]


def test_make_profile_writes_an_offline_page_of_the_training_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)  # the dataset's files and conf/ are read from the repository
    out = command.profile("tiny", tmp_path)
    page = out.read_text()
    assert out == tmp_path / "tiny.html" and "400 rows" in page
    assert "<svg" in page and "http" not in page and "<script" not in page
    assert "<td>income</td><td>category</td>" in page
    with pytest.raises(StageError, match="conf/data/nope.yaml: not found"):
        command.profile("nope", tmp_path)


def test_the_reference_is_a_seeded_sample_with_the_models_output() -> None:
    import pandas as pd
    from sklearn.dummy import DummyClassifier

    from ml_pipeline.monitoring.reference import reference_sample

    data = PARAMS.data
    train = pd.DataFrame({c: range(50) for c in data.numeric})
    train = train.assign(**{c: "a" for c in data.categorical}, income=[">50K", "<=50K"] * 25)
    model = DummyClassifier(strategy="prior").fit(train[data.features], train["income"])
    sample = reference_sample(train, data, model, seed=7, rows=20)
    assert len(sample) == 20 and sample.equals(reference_sample(train, data, model, 7, rows=20))
    assert list(sample["age"]) == sorted(sample["age"])  # the train split's order
    assert list(sample.columns) == [*data.features, "income", "prediction", "score"]
    assert set(sample["score"]) == {0.5}
    assert len(reference_sample(train, data, model, seed=7, rows=100)) == 50


def test_the_time_column_is_never_compared() -> None:
    from ml_pipeline.monitoring.evidence import compared_columns

    timed = PARAMS.data.model_copy(update={"numeric": ["age", "day"], "time_column": "day"})
    assert compared_columns(timed)[0] == ["age"]


def test_a_refused_batch_is_not_monitored(tmp_path: Path) -> None:
    import pandas as pd

    from ml_pipeline.monitoring.evidence import scored_batches

    pd.DataFrame({"prediction": [1.0]}).to_parquet(tmp_path / "good.parquet")
    report = {
        "batches": {
            "good": {"rows": 1, "labelled": 0, "status": "scored", "reason": None},
            "bad": {"rows": 3, "labelled": 0, "status": "refused", "reason": "column x missing"},
        }
    }
    assert list(scored_batches(report, tmp_path)) == ["good"]


def test_the_shadow_line_says_who_is_better_by_how_much() -> None:
    from ml_pipeline.monitoring.summary import shadow_line

    shadow = {"disagreement": 0.048, "difference": 0.0149}
    bounds = {"difference.ci_lower": 0.009, "difference.ci_upper": 0.0217}
    assert shadow_line(shadow | bounds, "roc_auc", "classification") == (
        "challenger disagrees on 4.8% of rows; champion − challenger roc_auc +0.0149 "
        "(95 %: +0.0090 to +0.0217)"
    )
    assert shadow_line({"disagreement": 12.5}, "rmse", "regression") == (
        "challenger's predictions differ by 12.5 on average"
    )
    assert shadow_line({}, "rmse", "regression") == ""
