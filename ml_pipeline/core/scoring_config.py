"""What a saved model carries to score raw rows (ml_pipeline/serving/settings.py writes it)."""

from __future__ import annotations

from ml_pipeline.core.config_base import Strict
from ml_pipeline.core.contract_config import ValidationConfig
from ml_pipeline.core.data_config import DataConfig, FeaturesConfig


class Scoring(Strict):
    """The settings a model was trained with that scoring raw rows needs: the reader
    (`data.*`), the feature recipe (`features.*`) and the data contract (`validation.*`)."""

    data: DataConfig
    features: FeaturesConfig
    validation: ValidationConfig
