"""A null metric (MAPE near a zero target) on a registered version: never tagged "None", and a
legacy "None" tag (earlier releases) still loads and compares, in a real MLflow store."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.registry.promotion import CHAMPION, Candidate, Champion, decide
from ml_pipeline.tracking.lineage import Lineage, metric_value
from ml_pipeline.tracking.session import connect
from stages.register import champion_value, current_champion

SAME_DATA = {"train": "1" * 32, "test": "2" * 32}


def test_a_null_metric_is_left_out_of_the_tags() -> None:
    tags = Lineage(metrics={"rmse": 1.5, "mape": None}).to_tags()
    assert tags == {"metric.rmse": "1.5"}
    assert Lineage.from_tags(tags).metrics == {"rmse": 1.5}


@pytest.mark.parametrize(("text", "value"), [("None", None), ("null", None), ("0.25", 0.25)])
def test_metric_tags_read_legacy_nulls_as_null(text: str, value: float | None) -> None:
    assert metric_value(text) == value


def test_a_champion_tagged_none_loads_and_compares(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_dir)
    params = load_params(paths.PARAMS)  # tiny: promotion on roc_auc
    client, name = connect(params.tracking.experiment).client, params.tracking.registered_model
    assert current_champion(client, name) is None  # registers the name
    legacy = {"metric.roc_auc": "0.9", "metric.mape": "None"}  # as earlier releases wrote it
    legacy |= {f"data.md5.{split}": md5 for split, md5 in SAME_DATA.items()}
    written = client.create_model_version(name, source=str(tiny_dir), tags=legacy)
    client.set_registered_model_alias(name, CHAMPION, written.version)

    version = current_champion(client, name)
    assert Lineage.from_tags(version.tags).metrics == {"roc_auc": 0.9, "mape": None}
    value, basis = champion_value(params, version, Lineage(data_md5=SAME_DATA))
    assert (value, basis) == (0.9, "recorded on the same test data")
    champion = Champion(int(version.version), value=value, basis=basis)
    candidate = Candidate("run1", {"roc_auc": 0.95, "accuracy": 0.9, "baseline.roc_auc": 0.5})
    assert decide(candidate, champion, params.registration, name).alias == CHAMPION
