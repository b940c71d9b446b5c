"""Config objects for tests, with the defaults of conf/ (the one place defaults live)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import yaml

from commands.compose import compose
from ml_pipeline.core import paths
from ml_pipeline.core.config import MODEL_FAMILIES, DataConfig, Params, parse_params
from tests.conftest import ROOT

SHIPPED = ["data=adult", "model=hgb"]


@functools.cache
def _shipped_text() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        compose(Path(tmp) / "params.yaml", SHIPPED, ROOT / paths.CONF_DIR)
        return (Path(tmp) / "params.yaml").read_text()


def shipped_params_dict() -> dict:
    """The shipped adult + hgb configuration composed from conf/, as a fresh dict to modify.

    Not the workspace's params.yaml: `dvc exp run -S data=<yours>` leaves that one pointing at
    another dataset (docs/configuration.md, "Add your own dataset").
    """
    return yaml.safe_load(_shipped_text())


def shipped_params() -> Params:
    """`shipped_params_dict` as the typed config the stages load."""
    return parse_params(shipped_params_dict())


def model_config(name: str, **overrides: Any) -> Any:
    """conf/model/<name>.yaml with `overrides`, as the family's config class."""
    raw = yaml.safe_load((ROOT / paths.CONF_DIR / "model" / f"{name}.yaml").read_text())
    return MODEL_FAMILIES[name].model_validate(raw | overrides)


def toy_series(**overrides: Any) -> DataConfig:
    """A small daily regression series: target `y`, feature `x`, time column `day`."""
    fields: dict[str, Any] = {
        "name": "toy",
        "task": "regression",
        "dir": ".",
        "train_file": "toy.csv",
        "target": "y",
        "numeric": ["x"],
        "time_column": "day",
    }
    return DataConfig.model_validate(fields | overrides)
