"""A logged prepared split: schema from its first rows equals MLflow's over every row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml_pipeline.tracking.session import SCHEMA_ROWS, log_dataset
from tests.conftest import seed_store


def test_a_large_split_is_logged_with_its_whole_schema_and_row_count(
    tmp_path: Path, migrated_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    from mlflow.types.utils import _infer_schema

    rows = SCHEMA_ROWS + 5
    frame = pd.DataFrame(
        {
            "x": np.arange(rows, dtype="float64"),
            # a null only after the rows the types are read from
            "colour": pd.Series(["red"] * (rows - 1) + [None], dtype="str"),
            "target": ["a", "b"] * (rows // 2) + ["a"],
        }
    )
    path = tmp_path / "train.parquet"
    frame.to_parquet(path, index=False)
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(seed_store(migrated_db, tmp_path))
    with mlflow.start_run() as run:
        log_dataset(path, pd.read_parquet(path), "target", "training")
    [logged] = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    read_back = pd.read_parquet(path)
    expected = json.loads(_infer_schema(read_back).to_json())
    assert json.loads(logged.dataset.schema)["mlflow_colspec"] == expected
    assert {c["name"]: c["required"] for c in expected} == {
        "x": True, "colour": False, "target": True
    }  # fmt: skip
    assert json.loads(logged.dataset.profile)["num_rows"] == rows
