"""`check` refuses a params.yaml without a key a later stage declares (core/declared_params.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ml_pipeline.core.declared_params import declared, missing

DVC_YAML = Path(__file__).parents[2] / "dvc.yaml"


def test_every_key_the_stages_declare_is_in_every_shipped_composition(tmp_path: Path) -> None:
    from commands.compose import compose

    keys = declared(DVC_YAML)
    assert "data" in keys and "evaluate" in keys["data"]
    for data in ("adult", "tiny", "diamonds", "nyse", "nyse_return"):
        compose(tmp_path / "params.yaml", [f"data={data}"], DVC_YAML.parent / "conf")
        assert missing(yaml.safe_load((tmp_path / "params.yaml").read_text()), keys) == [], data


def test_a_missing_key_is_named_with_the_stages_that_read_it() -> None:
    keys = {"data.slices": ["evaluate"], "seed": ["prepare", "train"], "model": ["train"]}
    params = {"data": {"name": "houses"}, "seed": 1, "model": None}
    assert missing(params, keys) == ["data.slices (read by evaluate)"]
    assert missing({"data": {"slices": None}, "seed": 1, "model": {}}, keys) == []
