"""Typed, frozen view of params.yaml: every stage reads its parameters through `load_params`.

Unknown keys, wrong types and unknown choices fail before any work, with one line that names
the key and what it allows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ml_pipeline.core.errors import StageError

Task = Literal["classification", "regression"]


class Strict(BaseModel):
    """Base: no extra keys, no mutation, no silent type coercion."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ReadOptions(Strict):
    header: bool = True
    columns: list[str] = []
    na_values: list[str] = []
    comment: str | None = None
    thousands: str | None = None  # e.g. "," to read "1,234.50" as 1234.5 (numeric columns)
    delimiter: str = Field(",", min_length=1, max_length=1)  # e.g. ";" or "\t"


class ValueMap(Strict):
    old: str
    new: str


class DataConfig(Strict):
    name: str
    task: Task
    dir: str
    train_file: str
    test_file: str | None = None
    read: ReadOptions = ReadOptions()
    target: str
    target_map: list[ValueMap] = []
    positive_label: str | None = None
    numeric: list[str] = []
    categorical: list[str] = []
    ordinal: dict[str, list[str]] = {}
    time_column: str | None = None
    # The dataset's own split as a true/false column (true = train row), for split=predefined.
    split_column: str | None = None

    @property
    def features(self) -> list[str]:
        """Feature columns in a fixed order: numeric, categorical, ordinal."""
        return [*self.numeric, *self.categorical, *self.ordinal]

    @model_validator(mode="after")
    def _check_columns(self) -> DataConfig:
        seen: set[str] = set()
        for column in self.features:
            if column in seen:
                raise ValueError(
                    f"column {column!r} is listed twice in data.numeric/categorical/ordinal"
                )
            seen.add(column)
        if self.target in seen:
            raise ValueError(f"data.target {self.target!r} is also listed as a feature column")
        if not seen:
            raise ValueError("no feature columns: list some in data.numeric/categorical/ordinal")
        return self


class SplitConfig(Strict):
    method: Literal["predefined", "random", "stratified", "time"]
    test_size: float | None = None

    @model_validator(mode="after")
    def _check_size(self) -> SplitConfig:
        if self.method != "predefined" and not (
            self.test_size is not None and 0.0 < self.test_size < 1.0
        ):
            raise ValueError(f"split.test_size must be between 0 and 1 for method {self.method!r}")
        return self


# Model families. Each default lives in conf/ only (conf/model/<name>.yaml, conf/cv, conf/evaluate
# supply every key), so these classes state types and bounds, not values. A field of a family
# is passed to its estimator by name (modeling/pipeline.py FAMILIES); to add a family see README.


class HgbConfig(Strict):
    name: Literal["hgb"]
    learning_rate: float = Field(gt=0)
    max_iter: int = Field(ge=1)
    max_leaf_nodes: int | None = Field(ge=2)
    max_depth: int | None = Field(ge=1)
    min_samples_leaf: int = Field(ge=1)
    l2_regularization: float = Field(ge=0)


class RfConfig(Strict):
    name: Literal["rf"]
    n_estimators: int = Field(ge=1)
    max_depth: int | None = Field(ge=1)
    min_samples_leaf: int = Field(ge=1)
    max_features: Literal["sqrt", "log2"] | float | None
    n_jobs: int


class LinearConfig(Strict):
    name: Literal["linear"]
    alpha: float = Field(gt=0)
    max_iter: int = Field(ge=1)


class LgbmConfig(Strict):
    """LightGBM gradient boosting (native categorical splits on the encoded categories)."""

    name: Literal["lgbm"]
    learning_rate: float = Field(gt=0)
    n_estimators: int = Field(ge=1)
    num_leaves: int = Field(ge=2)
    max_depth: int = Field(ge=-1)
    min_child_samples: int = Field(ge=1)
    subsample: float = Field(gt=0, le=1)
    subsample_freq: int = Field(ge=0)
    colsample_bytree: float = Field(gt=0, le=1)
    reg_alpha: float = Field(ge=0)
    reg_lambda: float = Field(ge=0)
    min_split_gain: float = Field(ge=0)
    cat_smooth: float = Field(ge=0)
    cat_l2: float = Field(ge=0)
    max_cat_to_onehot: int = Field(ge=1)
    n_jobs: int = Field(ge=1)  # threads per fit; 1 keeps results identical on any machine


ModelConfig = Annotated[
    HgbConfig | RfConfig | LinearConfig | LgbmConfig, Field(discriminator="name")
]
# Family name → its config class, derived from the union above (the one list of families).
MODEL_FAMILIES: dict[str, type[BaseModel]] = {
    get_args(member.model_fields["name"].annotation)[0]: member
    for member in get_args(get_args(ModelConfig)[0])
}


def _workers(n_jobs: int) -> int:
    if n_jobs == 0:
        raise ValueError("0 workers: use -1 (every core), -2 (all but one) or a count >= 1")
    return n_jobs


# Threads for independent fits or predictions (core/parallel.py); any value, same results.
NJobs = Annotated[int, AfterValidator(_workers)]


class CvConfig(Strict):
    n_splits: int = Field(ge=2)
    n_jobs: NJobs  # folds in parallel
    # Time-ordered folds only: rows left out between train and validation (null: the
    # features.horizon) and the most rows a train fold keeps (null: expanding window).
    gap: int | None = Field(ge=0)
    max_train_size: int | None = Field(ge=1)


class EvaluateConfig(Strict):
    importance_repeats: int = Field(ge=1)
    n_jobs: NJobs  # permutation-importance columns in parallel
    importance_max_rows: int = Field(ge=10)
    plot_max_points: int = Field(ge=10)
    curve_max_points: int = Field(ge=10)


class GateRuleConfig(Strict):
    metric: str
    direction: Literal["higher", "lower"]
    tolerance: float = Field(ge=0)


class ReportConfig(Strict):
    """`make report`: metrics that gate a pull request (tolerance: a fraction of the base)."""

    gate: list[GateRuleConfig]


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


Direction = Literal["higher", "lower"]


class ThresholdConfig(Strict):
    """`metric` must be `direction` than or equal to `value` (absolute, on the test split)."""

    metric: str
    direction: Direction
    value: float


class RegisterConfig(Strict):
    """The registration gate: thresholds, then promotion on the primary metric."""

    primary_metric: str
    direction: Direction
    thresholds: list[ThresholdConfig]
    compare_with_champion: bool
    # Register only a model whose primary metric beats `baseline.<primary_metric>` by a skill
    # score of at least `baseline_margin` (evaluation/baselines.py, registry/promotion.py).
    beat_baseline: bool
    baseline_margin: float = Field(ge=0, lt=1)

    def named_metrics(self) -> list[tuple[str, str]]:
        """(config key, metric) for every metric the gate names."""
        named = [("register.primary_metric", self.primary_metric)]
        named += [
            (f"register.thresholds[{i}].metric", t.metric) for i, t in enumerate(self.thresholds)
        ]
        return named


class SearchParam(Strict):
    """One hyperparameter's range: int/float between low and high (log scale), or choices."""

    type: Literal["int", "float", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: list[str | int | float | bool | None] | None = None

    @model_validator(mode="after")
    def _check_range(self) -> SearchParam:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical parameter needs a non-empty `choices` list")
            if self.low is not None or self.high is not None or self.log:
                raise ValueError("a categorical parameter takes `choices`, not low/high/log")
            return self
        if self.choices is not None:
            raise ValueError(f"an {self.type} parameter takes low/high, not `choices`")
        if self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"an {self.type} parameter needs low < high")
        whole = float(self.low).is_integer() and float(self.high).is_integer()
        if self.type == "int" and not whole:
            raise ValueError("an int parameter needs whole-number low and high")
        if self.log and self.low <= 0:
            raise ValueError("a log-scale parameter needs low > 0")
        if self.log and self.step is not None:
            raise ValueError("`step` and `log` cannot be combined")
        return self


class SearchConfig(Strict):
    """A hyperparameter search (stages/search.py); `name: none` turns it off."""

    name: str = "none"
    family: str | None = None  # must equal model.name: the search tunes that family
    space: dict[str, SearchParam] = {}
    trials: int = Field(20, ge=1)
    batch: int = Field(4, ge=1)  # trials asked at once and run in parallel
    metric: str | None = None  # default: the task's CV metric (accuracy, rmse)
    direction: Literal["higher", "lower"] = "higher"
    prune: bool = True  # median pruning after each trial's first fold
    seed: int = 0
    n_jobs: int = -1  # joblib workers for the fits (local backend)
    dask_scheduler: str | None = None  # or DASK_SCHEDULER_ADDRESS

    @property
    def enabled(self) -> bool:
        return self.name != "none"


Severity = Literal["error", "warning"]


class Check(Strict):
    """One expectation of the data contract: `error` stops the pipeline, `warning` is recorded."""

    severity: Severity = "error"


class NullCheck(Check):
    max_fraction: float = Field(0.0, ge=0, le=1)


class RangeCheck(Check):
    min: float | None = None
    max: float | None = None


class CategoryCheck(Check):
    values: list[str]


class ColumnSpec(Strict):
    """Expectations on one column; `severity` is that of its presence and type checks."""

    type: Literal["numeric", "string", "datetime"]
    required: bool = True
    severity: Severity = "error"
    nulls: NullCheck | None = None
    range: RangeCheck | None = None
    categories: CategoryCheck | None = None
    unique: Check | None = None


class ExtraColumnsCheck(Check):
    allow: bool = False


class RowCountCheck(Check):
    min: int = Field(1, ge=0)
    max: int | None = Field(None, ge=0)


class ClassBalanceCheck(Check):
    min_classes: int = Field(2, ge=1)
    min_fraction: float = Field(0.0, ge=0, le=1)


class UnseenCategoriesCheck(Check):
    max_fraction: float = Field(0.0, ge=0, le=1)


class DriftCheck(Check):
    statistic: Literal["ks", "psi"] = "ks"
    threshold: float = Field(gt=0)


class ValidationConfig(Strict):
    """The data contract checked by `validate` on each prepared split and between them."""

    columns: dict[str, ColumnSpec]
    extra_columns: ExtraColumnsCheck = ExtraColumnsCheck()
    row_count: RowCountCheck = RowCountCheck()
    target_balance: ClassBalanceCheck | None = None
    same_columns: Check = Check()
    unseen_categories: UnseenCategoriesCheck | None = None
    drift: DriftCheck | None = None


# The test metrics evaluate writes per task (evaluation/metrics.py), besides cv_<metric>_mean/std.
TASK_METRICS = {
    "classification": (
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "log_loss",
    ),
    "regression": ("rmse", "mae", "r2", "mape"),
}


class RollingConfig(Strict):
    """Rolling statistics of one column over past windows (rows)."""

    windows: list[Annotated[int, Field(ge=2)]] = Field(min_length=1)
    stats: list[Literal["mean", "std", "min", "max"]] = ["mean"]


CalendarPart = Literal["day_of_week", "month", "quarter", "hour", "day", "day_of_year", "year"]


class FeaturesConfig(Strict):
    """Time-aware features built by `prepare` (features/recipe.py); `none` builds nothing."""

    horizon: int = Field(0, ge=0)
    lags: dict[str, list[Annotated[int, Field(ge=0)]]] = {}
    rolling: dict[str, RollingConfig] = {}
    diff: dict[str, list[Annotated[int, Field(ge=1)]]] = {}
    pct_change: dict[str, list[Annotated[int, Field(ge=1)]]] = {}
    log_return: dict[str, list[Annotated[int, Field(ge=1)]]] = {}
    calendar: list[CalendarPart] = []
    group_column: str | None = None
    raw_features: bool = True
    season: int | None = Field(None, ge=2)
    # The naive forecast: the last known value, or zero (no change: persistence of the level
    # for a target that is itself a change or a return).
    baseline: Literal["persistence", "zero"] = "persistence"
    leakage: Literal["error", "warning"] = "error"
    leakage_threshold: float = Field(0.99, gt=0, le=1)

    @property
    def active(self) -> bool:
        """Whether any feature (or a target horizon) is configured."""
        built = (self.lags, self.rolling, self.diff, self.pct_change, self.log_return)
        return bool(self.horizon or self.calendar or any(built))


class Params(Strict):
    """The whole of params.yaml."""

    seed: int
    data: DataConfig
    split: SplitConfig
    model: ModelConfig
    cv: CvConfig
    features: FeaturesConfig
    evaluate: EvaluateConfig
    report: ReportConfig
    validation: ValidationConfig
    tracking: TrackingConfig
    orchestrate: OrchestrateConfig | None = None
    registration: RegisterConfig = Field(alias="register")  # `register` shadows BaseModel
    search: SearchConfig = SearchConfig()

    @model_validator(mode="after")
    def _check_combination(self) -> Params:
        own_split = self.data.test_file or self.data.split_column
        if self.split.method == "predefined" and not own_split:
            raise ValueError("split.method 'predefined' needs data.test_file or data.split_column")
        if self.split.method == "time" and not self.data.time_column:
            raise ValueError("split.method 'time' needs data.time_column")
        if self.split.method == "stratified" and self.data.task != "classification":
            raise ValueError("split.method 'stratified' is for classification tasks only")
        known = TASK_METRICS[self.data.task]
        for key, metric in self.registration.named_metrics():
            if metric not in known and not metric.startswith("cv_"):
                raise ValueError(
                    f"{key} {metric!r} is not a {self.data.task} metric (one of: "
                    f"{', '.join(known)}); choose the dataset's gate with "
                    "`- override /register: <option>` in its conf/data file"
                )
        if self.search.enabled:
            check_search(self.search, self.model, self.data.task)
        return self


def check_search(search: SearchConfig, model: Any, task: str) -> None:
    """The search tunes the configured model family, on keys that family has, by a CV metric."""
    if search.family != model.name:
        raise ValueError(
            f"search.family {search.family!r} but model.name is {model.name!r}; "
            f"pass -S model={search.family} with -S search={search.name}"
        )
    unknown = sorted(set(search.space) - set(type(model).model_fields) - {"name"})
    if unknown or "name" in search.space:
        allowed = ", ".join(k for k in type(model).model_fields if k != "name")
        bad = unknown[0] if unknown else "name"
        raise ValueError(f"search.space.{bad}: not a {model.name} hyperparameter ({allowed})")
    for key, spec in search.space.items():  # every end of a range is a valid value of the key
        ends = spec.choices if spec.type == "categorical" else [spec.low, spec.high]
        for value in ends or []:
            value = int(value) if spec.type == "int" and isinstance(value, int | float) else value
            try:
                type(model).model_validate(model.model_dump() | {key: value})
            except ValidationError as exc:
                problem = exc.errors(include_url=False)[0]["msg"]
                raise ValueError(
                    f"search.space.{key}: {value!r} is not a valid {model.name} {key} ({problem})"
                ) from None
    metrics = SEARCH_METRICS[task]
    if search.metric is not None and search.metric not in metrics:
        raise ValueError(
            f"search.metric {search.metric!r} is not a {task} CV metric (one of: "
            f"{', '.join(metrics)})"
        )


# Metrics a search can optimise, per task: name -> scikit-learn scorer.
SEARCH_METRICS = {
    "classification": {
        "accuracy": "accuracy",
        "balanced_accuracy": "balanced_accuracy",
        "roc_auc": "roc_auc",
        "log_loss": "neg_log_loss",
    },
    "regression": {
        "rmse": "neg_root_mean_squared_error",
        "mae": "neg_mean_absolute_error",
        "r2": "r2",
    },
}


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


def describe_error(exc: ValidationError) -> str:
    """One line for the first validation error: the key, the problem, what is allowed."""
    errors = exc.errors(include_url=False)
    # A misspelt key is both unknown and a missing one: naming the unknown key says more.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(part) for part in first["loc"] if not _is_union_tag(part, first["loc"])]
    key = ".".join(loc) or "(top level)"
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(first["loc"][:-1])
        message = f"unknown key {key!r}; allowed keys here: {', '.join(allowed)}"
    elif first["type"] == "missing":
        message = f"missing key {key!r}"
    elif first["type"] in ("value_error", "union_tag_invalid"):
        message = f"{key}: {first['msg'].removeprefix('Value error, ')}"
    else:
        message = f"{key}: {first['msg']} (got {first.get('input')!r})"
    more = len(errors) - 1
    return message + (f" (+{more} more problem{'s' if more > 1 else ''})" if more else "")


def _is_union_tag(part: Any, loc: tuple[Any, ...]) -> bool:
    """Pydantic puts the discriminator value into the location (`model.rf.n_jobs`): drop it."""
    return len(loc) > 1 and loc[0] == "model" and part in MODEL_FAMILIES and part == loc[1]


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the config class found at `loc` (a union tag picks the model family)."""
    cls: Any = Params
    for part in loc:
        if cls is None and part in MODEL_FAMILIES:
            cls = MODEL_FAMILIES[part]
            continue
        field = cls.model_fields.get(str(part)) if cls else None
        annotation = field.annotation if field else None
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        cls = annotation if is_model else None
    return list(cls.model_fields) if cls else []
