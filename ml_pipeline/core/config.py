"""Typed, frozen view of params.yaml: every stage reads its parameters through `load_params`.

Unknown keys, wrong types and unknown choices fail before any work, with one line that names
the key and what it allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from ml_pipeline.core.compute_config import ComputeConfig
from ml_pipeline.core.config_base import Direction, NJobs, Strict, Task
from ml_pipeline.core.config_errors import describe_error
from ml_pipeline.core.contract_config import (
    CategoryCheck,
    Check,
    ClassBalanceCheck,
    ColumnSpec,
    DriftCheck,
    ExtraColumnsCheck,
    NullCheck,
    RangeCheck,
    RowCountCheck,
    Severity,
    UnseenCategoriesCheck,
    ValidationConfig,
)
from ml_pipeline.core.data_config import (
    CalendarPart,
    DataConfig,
    FeaturesConfig,
    ReadOptions,
    RollingConfig,
    SplitConfig,
    ValueMap,
)
from ml_pipeline.core.errors import StageError
from ml_pipeline.core.gate_config import (
    GateRuleConfig,
    RegisterConfig,
    ReportConfig,
    ThresholdConfig,
)
from ml_pipeline.core.model_config import (
    MODEL_FAMILIES,
    CvConfig,
    HgbConfig,
    IntervalConfig,
    LgbmConfig,
    LinearConfig,
    ModelConfig,
    RfConfig,
    SearchConfig,
    SearchParam,
    check_search,
)
from ml_pipeline.core.monitor_config import MonitorConfig
from ml_pipeline.evaluation.catalog import SEARCH_METRICS, TASK_METRICS

# The names other modules import from here (the classes live in the modules above, by job).
__all__ = [
    "MODEL_FAMILIES",
    "SEARCH_METRICS",
    "TASK_METRICS",
    "CalendarPart",
    "CategoryCheck",
    "Check",
    "ClassBalanceCheck",
    "ColumnSpec",
    "ComputeConfig",
    "CvConfig",
    "DataConfig",
    "Direction",
    "DriftCheck",
    "EvaluateConfig",
    "ExtraColumnsCheck",
    "FeaturesConfig",
    "GateRuleConfig",
    "HgbConfig",
    "IntervalConfig",
    "LgbmConfig",
    "LinearConfig",
    "ModelConfig",
    "MonitorConfig",
    "NJobs",
    "NullCheck",
    "OrchestrateConfig",
    "Params",
    "RangeCheck",
    "ReadOptions",
    "RegisterConfig",
    "ReportConfig",
    "RfConfig",
    "RollingConfig",
    "RowCountCheck",
    "SearchConfig",
    "SearchParam",
    "Severity",
    "SplitConfig",
    "Strict",
    "Task",
    "ThresholdConfig",
    "TrackingConfig",
    "UnseenCategoriesCheck",
    "ValidationConfig",
    "ValueMap",
    "check_search",
    "describe_error",
    "load_params",
    "parse_params",
]


class EvaluateConfig(Strict):
    importance_repeats: int = Field(ge=1)
    n_jobs: NJobs  # permutation-importance columns in parallel
    importance_max_rows: int = Field(ge=10)
    plot_max_points: int = Field(ge=10)
    curve_max_points: int = Field(ge=10)


class OrchestrateConfig(Strict):
    """Scheduled retraining (orchestration/); no stage reads it. Defaults: conf/orchestrate/."""

    retries: int = Field(ge=0)
    retry_delay_seconds: float = Field(ge=0)
    cron: str = Field(min_length=9)
    lock_timeout_seconds: float = Field(ge=0)
    branch_prefix: str = Field(min_length=1)
    base_branch: str = Field(min_length=1)
    git_remote: str | None
    push_data: bool


class TrackingConfig(Strict):
    """MLflow names; where the store is comes from the environment (tracking/store.py)."""

    experiment: str = Field(min_length=1)
    registered_model: str = Field(min_length=1)
    # CPU, memory, disk, network sampled every that many seconds on the train and search runs
    # (MLflow system metrics, `system/*`); null: off.
    system_metrics_seconds: float | None = Field(gt=0)


class Params(Strict):
    """The whole of params.yaml."""

    seed: int
    data: DataConfig
    split: SplitConfig
    model: ModelConfig
    cv: CvConfig
    interval: IntervalConfig
    features: FeaturesConfig
    evaluate: EvaluateConfig
    report: ReportConfig
    validation: ValidationConfig
    tracking: TrackingConfig
    orchestrate: OrchestrateConfig | None = None
    monitor: MonitorConfig | None = None  # stage `monitor` refuses params.yaml without it
    registration: RegisterConfig = Field(alias="register")  # `register` shadows BaseModel
    search: SearchConfig = SearchConfig()
    compute: ComputeConfig = ComputeConfig()

    @model_validator(mode="after")
    def _check_combination(self) -> Params:
        own_split = self.data.test_file or self.data.split_column
        if self.split.method == "predefined" and not own_split:
            raise ValueError("split.method 'predefined' needs data.test_file or data.split_column")
        if self.split.method == "time" and not self.data.time_column:
            raise ValueError("split.method 'time' needs data.time_column")
        if self.split.method == "stratified" and self.data.task != "classification":
            raise ValueError("split.method 'stratified' is for classification tasks only")
        check_calibration(self.model.calibration, self.data)  # modeling/calibration.py
        known = TASK_METRICS[self.data.task]
        for key, metric in self.registration.named_metrics():
            if metric not in known and not metric.startswith("cv_"):
                raise ValueError(
                    f"{key} {metric!r} is not a {self.data.task} metric (one of: "
                    f"{', '.join(known)}); choose the dataset's gate with "
                    "`- override /register: <option>` in its conf/data file"
                )
        if self.registration.slice_gate and self.data.slices is None:
            raise ValueError("register.slice_gate needs slice columns: set data.slices")
        if self.search.enabled:
            check_search(self.search, self.model, self.data.task)
        if self.compute.engine == "dask":
            self._check_dask()
        return self

    def _check_dask(self) -> None:
        """The Dask path trains LightGBM on the dataset's own columns, rows in any order."""
        if self.model.name != "lgbm":
            raise ValueError(
                f"compute.engine 'dask' trains LightGBM only; model.name is {self.model.name!r} "
                "(pass -S model=lgbm, or -S compute=local)"
            )
        if self.features.active or self.data.time_column:
            raise ValueError(
                "compute.engine 'dask' is for tables without time order or features.* recipes "
                "(its holdout is a random share of rows); use -S compute=local"
            )


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate params.yaml; raise StageError with one readable line on any problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise StageError(f"{path}: not found; run `make params` to compose it from conf/") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise StageError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_params(raw, source=str(path))


def parse_params(raw: dict[str, Any], source: str = "params.yaml") -> Params:
    """Validate an already-loaded mapping (see `load_params`)."""
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise StageError(f"{source}: {describe_error(exc)}") from None


def check_calibration(calibration: str, data: DataConfig) -> None:
    """model.calibration is for classifiers; `auto` needs CV folds that cover every train row."""
    if calibration != "none" and data.task != "classification":
        raise ValueError(f"model.calibration {calibration!r} is for classifiers; write none")
    if calibration == "auto" and data.time_column:
        raise ValueError(
            "model.calibration 'auto' chooses on CV folds that cover every train row, which "
            "time-ordered folds (data.time_column) do not; write sigmoid, isotonic or none"
        )
