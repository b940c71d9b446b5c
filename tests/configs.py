"""Config objects for tests, with the defaults of conf/ (the one place defaults live)."""

from __future__ import annotations

from typing import Any

import yaml

from stages import paths
from stages.config import MODEL_FAMILIES, DataConfig
from tests.conftest import ROOT


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
