"""Per-slice metrics, intervals, worst slice and disparities (ml_pipeline/evaluation/slices.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.core.config import DataConfig, parse_params
from ml_pipeline.core.data_config import SlicesConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation.metrics import Scored, classification_metrics, score
from ml_pipeline.evaluation.slices import (
    group_scored,
    slice_labels,
    slice_report,
    summary,
)
from ml_pipeline.reporting.pages import slice_table
from tests.configs import shipped_params_dict

SLICES = {"columns": ["sex", "race", "age"], "bands": {"age": [30, 60]}, "min_count": 40}


class RuleModel:
    """A fitted binary classifier without fitting: P(yes) rises with `x`, less for sex F."""

    classes_ = np.array(["no", "yes"])

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        logit = features["x"].to_numpy() - 0.8 * (features["sex"] == "F").to_numpy()
        yes = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - yes, yes])

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(features)[:, 1] >= 0.5).astype(int)]


def data_config(**slices: Any) -> DataConfig:
    return DataConfig.model_validate(
        {
            "name": "people",
            "task": "classification",
            "dir": "data/raw/people",
            "train_file": "people.csv",
            "target": "y",
            "positive_label": "yes",
            "numeric": ["x", "age"],
            "categorical": ["sex", "race"],
            "slices": SLICES | slices,
        }
    )


def people(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "age": rng.integers(18, 80, size=rows),
            "sex": rng.choice(["F", "M"], size=rows),
            "race": rng.choice(["A", "B"], size=rows).astype(object),
        }
    )
    frame.loc[:9, "race"] = "C"  # 10 rows: a slice below min_count
    noisy = frame["x"] + rng.normal(scale=1.0, size=rows)
    frame["y"] = np.where(noisy > 0, "yes", "no")
    return frame


def slices_config(**slices: Any) -> SlicesConfig:
    return SlicesConfig.model_validate(SLICES | slices)


@pytest.fixture(scope="module")
def scored() -> Scored:
    return score(RuleModel(), people(), data_config())


def test_a_slice_of_every_row_has_the_metrics_of_the_whole_split(scored: Scored) -> None:
    """The bootstrap's formulas at unit weights give metrics.py's (scikit-learn's) values."""
    whole, _ = group_scored(scored, np.arange(len(scored.target)))
    assert whole.metrics == scored.metrics
    rows = np.flatnonzero(scored.features["sex"].to_numpy() == "F")
    assert scored.proba is not None
    part, _ = group_scored(scored, rows)
    expected = classification_metrics(
        scored.target.iloc[rows], scored.predicted[rows], scored.proba[rows], ["no", "yes"], "yes"
    )
    assert part.metrics == pytest.approx(expected, abs=2e-6)


def test_bands_label_each_row_by_its_half_open_interval() -> None:
    features = pd.DataFrame({"age": [18, 30, 59, 60, None], "sex": ["F", "M", "F", None, "M"]})
    config = SlicesConfig(columns=["sex", "age"], bands={"age": [30.0, 60.0]}, min_count=1)
    labels = slice_labels(features, config)
    assert list(labels["age"]) == ["< 30", "[30, 60)", "[30, 60)", ">= 60", "(missing)"]
    assert list(labels["sex"]) == ["F", "M", "F", "(missing)", "M"]


def test_the_report_counts_judges_and_bounds_every_slice(scored: Scored) -> None:
    report = slice_report(scored, slices_config(), seed=42, task="classification")
    race = {e["slice"]: e for e in report["columns"]["race"]["slices"]}
    assert sum(e["count"] for e in race.values()) == len(scored.target)
    assert race["C"]["count"] == 10 and not race["C"]["judged"] and race["A"]["judged"]
    assert set(report["columns"]["age"]["slices"][0]) == {"slice", "count", "judged", "metrics"}
    for entry in race.values():
        m = entry["metrics"]
        assert m["accuracy.ci_lower"] <= m["accuracy"] <= m["accuracy.ci_upper"]
        assert m["roc_auc.ci_lower"] < m["roc_auc.ci_upper"]
    again = slice_report(scored, slices_config(), seed=42, task="classification")
    assert again == report  # seeded: the same bytes in reports/slices.json
    other = slice_report(scored, slices_config(), seed=7, task="classification")
    assert other["columns"]["race"] != report["columns"]["race"]
    table = slice_table(report)
    assert len(table) == sum(len(c["slices"]) for c in report["columns"].values())
    assert {"column", "slice", "count", "judged", "roc_auc.ci_upper"} <= set(table.columns)


def test_the_worst_slice_is_the_worst_judged_one(scored: Scored) -> None:
    """A slice below min_count may be worse, but is shown, not judged."""
    report = slice_report(scored, slices_config(), seed=42, task="classification")
    judged = [
        (e["metrics"]["accuracy"], column, e["slice"])
        for column, content in report["columns"].items()
        for e in content["slices"]
        if e["judged"]
    ]
    value, column, name = min(judged)
    found = report["worst"]["accuracy"]
    assert (found["column"], found["slice"], found["value"]) == (column, name, value)
    entry = next(e for e in report["columns"][column]["slices"] if e["slice"] == name)
    assert found["count"] == entry["count"]
    assert found["ci_lower"] == entry["metrics"]["accuracy.ci_lower"]
    shown = slice_report(scored, slices_config(min_count=1), 42, "classification")
    every = [e["metrics"]["log_loss"] for c in shown["columns"].values() for e in c["slices"]]
    assert shown["worst"]["log_loss"]["value"] == max(every)  # lower is better: the largest
    keys = summary(report, "accuracy")
    assert keys["slice_worst.accuracy"] == value
    columns = report["columns"].values()
    assert keys["slice_max.equalized_odds_difference"] == max(
        c["equalized_odds_difference"] for c in columns
    )


def test_disparities_are_fairlearns_over_the_judged_slices(scored: Scored) -> None:
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    report = slice_report(scored, slices_config(min_count=1), 42, "classification")
    truth, said = scored.target == "yes", pd.Series(scored.predicted) == "yes"
    for column in ("sex", "race"):
        groups = scored.features[column].to_numpy()
        expected = {
            "demographic_parity_difference": demographic_parity_difference(
                truth, said, sensitive_features=groups
            ),
            "equalized_odds_difference": equalized_odds_difference(
                truth, said, sensitive_features=groups
            ),
        }
        found = {k: report["columns"][column][k] for k in expected}
        assert found == pytest.approx(expected, abs=1e-6)
    judged = slice_report(scored, slices_config(), 42, "classification")  # C left out
    big = scored.features["race"].to_numpy() != "C"
    expected_race = demographic_parity_difference(
        truth[big], said[big], sensitive_features=scored.features["race"].to_numpy()[big]
    )
    assert judged["columns"]["race"]["demographic_parity_difference"] == pytest.approx(
        expected_race, abs=1e-6
    )


def test_one_judged_slice_has_no_disparity(scored: Scored) -> None:
    report = slice_report(scored, slices_config(min_count=500), 42, "classification")
    assert report["columns"]["sex"]["demographic_parity_difference"] is None
    assert report["worst"] == {}
    assert summary(report, "roc_auc") == {
        "slice_worst.roc_auc": None,
        "slice_max.demographic_parity_difference": None,
        "slice_max.equalized_odds_difference": None,
    }


def test_a_regression_slice_gets_no_disparity_and_null_where_undefined() -> None:
    frame = pd.DataFrame({"cut": ["a"] * 50 + ["b"] * 50, "x": np.linspace(0, 1, 100)})
    target = pd.Series(np.r_[np.full(50, 10.0), np.linspace(0, 1, 50)])  # b: a target at 0
    predicted = target.to_numpy() + np.linspace(-1, 1, 100)
    scored = Scored({}, frame, target, predicted, None, [], None, 0.0)
    config = SlicesConfig(columns=["cut"], min_count=10)
    report = slice_report(scored, config, seed=1, task="regression")
    slices = {e["slice"]: e["metrics"] for e in report["columns"]["cut"]["slices"]}
    assert slices["a"]["mape"] is not None and slices["b"]["mape"] is None
    assert slices["a"]["r2"] is None  # a constant target: R² undefined
    assert set(report["columns"]["cut"]) == {"slices"}
    assert report["worst"]["rmse"]["value"] == max(s["rmse"] for s in slices.values())
    assert set(summary(report, "rmse")) == {"slice_worst.rmse"}


@pytest.mark.parametrize(
    ("slices", "message"),
    [
        ({"columns": ["job"], "bands": {}}, "'job' is not a categorical or ordinal feature column"),
        ({"columns": ["age"], "bands": {}}, "'age' is not a categorical or ordinal"),
        ({"columns": ["sex"], "bands": {"sex": [1]}}, "'sex' is not a numeric feature column"),
        ({"bands": {"age": [60, 30]}}, "data.slices.bands.age: give one or more edges"),
        ({"bands": {"x": [0]}}, "data.slices.bands.x: not in data.slices.columns"),
    ],
)
def test_bad_slice_config_is_refused_with_its_key(slices: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data_config(**slices)


def test_a_slice_gate_without_slices_is_refused() -> None:
    raw = shipped_params_dict()
    raw["data"].pop("slices", None)
    raw["register"]["slice_gate"] = True
    with pytest.raises(StageError, match="register.slice_gate needs slice columns"):
        parse_params(raw)


def test_a_slice_column_the_model_does_not_see_is_one_line() -> None:
    config = SlicesConfig(columns=["sex"], min_count=1)
    with pytest.raises(StageError, match="data.slices.columns: 'sex' is not a column the model"):
        slice_labels(pd.DataFrame({"x": [1.0]}), config)
