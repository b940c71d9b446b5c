"""A model carries what it needs to score raw rows (issue 23, item 11), and dirty numerics are
missing values alike in prepare, predict, the drafted contract and score (issue 23, item 9)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from commands.predict import main
from ml_pipeline.core.config import load_params
from ml_pipeline.data.dataset import coerce_types
from ml_pipeline.serving.settings import carried
from ml_pipeline.validation.draft import draft
from tests.serving.test_predict import ROWS, saved_toy_model

DIRT = ["67 months", "unknown", "1,022.95"]


def scored(model: Path, rows: pd.DataFrame, tmp_path: Path) -> tuple[int, pd.DataFrame | None]:
    rows.to_csv(tmp_path / "rows.csv", index=False)
    out = tmp_path / "out.parquet"
    code = main(
        ["--input", str(tmp_path / "rows.csv"), "--output", str(out), "--model-uri", str(model)]
    )
    return code, pd.read_parquet(out) if out.exists() else None


@pytest.mark.parametrize("dirt", DIRT)
def test_prepare_reads_a_dirty_number_as_missing(dirt: str) -> None:
    data = load_params("params.yaml").data  # adult, as shipped: no data.read.thousands
    raw = pd.DataFrame({c: ["1"] for c in [*data.features, data.target]}).assign(age=[dirt])
    typed, coerced = coerce_types(raw.astype("str"), data)
    assert typed["age"].isna().all() and coerced == {"age": 1}


@pytest.mark.parametrize("dirt", DIRT)
def test_predict_reads_a_dirty_number_as_missing_and_says_so(
    dirt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = saved_toy_model(tmp_path)
    code, out = scored(model, ROWS.astype({"x": object}).assign(x=[dirt, "0.5", None]), tmp_path)
    assert code == 0 and out is not None
    assert out["x"].isna().tolist() == [True, False, True] and out["prediction"].notna().all()
    assert "values that are no number read as missing (per column): x 1" in capsys.readouterr().err


@pytest.mark.parametrize("dirt", DIRT)
def test_the_drafted_config_keeps_a_dirty_numeric_column_numeric(dirt: str, tmp_path: Path) -> None:
    tenure = [str(n) for n in range(1, 91)] + [dirt] * 10  # 10 % dirt: no category
    frame = pd.DataFrame({"tenure": tenure, "churned": ["yes", "no"] * 50})
    frame.to_csv(tmp_path / "churn.csv", index=False)
    text, _, _ = draft("churn", tmp_path / "churn.csv", "churned")
    assert "numeric: [tenure]" in text and "categorical: []" in text
    assert ('thousands: ","' in text) == (dirt == "1,022.95")


def test_predict_reads_rows_with_the_models_own_reader_not_the_workspaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The workspace's params.yaml is adult's (headerless, no thousands separator); the model was
    trained on another dataset whose reader strips `,` between thousands."""
    own = saved_toy_model(tmp_path / "own", thousands=",")
    assert carried(load_model_metadata(own)).data.read.thousands == ","  # type: ignore[union-attr]
    rows = ROWS.astype({"x": object}).assign(x=["1,022.95", "0.5", None])
    code, out = scored(own, rows, tmp_path)
    assert code == 0 and out is not None and out["x"].tolist()[:2] == [1022.95, 0.5]
    assert "note" not in capsys.readouterr().err


def test_a_model_saved_before_it_carried_settings_falls_back_to_params_yaml_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = saved_toy_model(tmp_path / "older", carries=False)
    assert carried(load_model_metadata(older)) is None
    rows = pd.DataFrame({"x": ["1", "2"], "colour": ["red", "blue"], "size": ["S", "M"]})
    code, out = scored(older, rows, tmp_path)
    err = capsys.readouterr().err
    assert code == 0 and out is not None and len(out) == 2
    assert err.count("carries no scoring settings") == 1 and "params.yaml's data.*" in err


def load_model_metadata(model: Path) -> dict | None:
    import yaml

    return yaml.safe_load((model / "MLmodel").read_text()).get("metadata")


def test_the_settings_keep_their_order_through_mlmodels_sorted_keys() -> None:
    """MLflow writes MLmodel with sorted keys: the model's column order (data.ordinal's) and the
    contract's must come back as saved."""
    import yaml
    from mlflow.models import Model

    from ml_pipeline.serving.settings import scoring_metadata

    params = load_params("params.yaml")
    ordinal = {"zone": ["a", "b"], "band": ["low", "high"]}
    params = params.model_copy(update={"data": params.data.model_copy(update={"ordinal": ordinal})})
    saved = yaml.safe_load(Model(metadata=scoring_metadata(params)).to_yaml())["metadata"]
    back = carried(saved)
    assert (
        back is not None
        and back.data == params.data
        and list(back.data.ordinal) == ["zone", "band"]
    )
    assert list(back.validation.columns) == list(params.validation.columns)
