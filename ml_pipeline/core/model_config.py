"""The model families, cross-validation, prediction intervals and the hyperparameter search:
`model`, `cv`, `interval`, `search`."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, Field, ValidationError, model_validator

from ml_pipeline.core.config_base import Directed, Direction, NJobs, Strict
from ml_pipeline.evaluation.catalog import CV_METRICS, SEARCH_METRICS, check_direction

# Model families. Each default lives in conf/ only (conf/model/<name>.yaml, conf/cv, conf/evaluate
# supply every key), so these classes state types and bounds, not values. A field of a family
# is passed to its estimator by name (modeling/pipeline.py FAMILIES); to add a family see README.


# A classifier's optional calibration step (modeling/calibration.py): none, sigmoid or isotonic
# (CalibratedClassifierCV around the estimator), or auto (chosen on train's CV). conf/model
# states it; the default keeps a config built in code (tests, tools) as it was.
Calibration = Literal["none", "sigmoid", "isotonic", "auto"]
# Keys of a family's config that are not its estimator's arguments.
NOT_ESTIMATOR_KEYS = {"name", "calibration"}


class FamilyConfig(Strict):
    """What every family's config has beside its estimator's arguments."""

    calibration: Calibration = "none"


class HgbConfig(FamilyConfig):
    name: Literal["hgb"]
    learning_rate: float = Field(gt=0)
    max_iter: int = Field(ge=1)
    max_leaf_nodes: int | None = Field(ge=2)
    max_depth: int | None = Field(ge=1)
    min_samples_leaf: int = Field(ge=1)
    l2_regularization: float = Field(ge=0)


class RfConfig(FamilyConfig):
    name: Literal["rf"]
    n_estimators: int = Field(ge=1)
    max_depth: int | None = Field(ge=1)
    min_samples_leaf: int = Field(ge=1)
    max_features: Literal["sqrt", "log2"] | float | None
    n_jobs: int


class LinearConfig(FamilyConfig):
    name: Literal["linear"]
    alpha: float = Field(gt=0)
    max_iter: int = Field(ge=1)


class LgbmConfig(FamilyConfig):
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


class CvConfig(Strict):
    n_splits: int = Field(ge=2)
    n_jobs: NJobs  # folds in parallel
    # Time-ordered folds only: rows left out between train and validation (null: the
    # features.horizon) and the most rows a train fold keeps (null: expanding window).
    gap: int | None = Field(ge=0)
    max_train_size: int | None = Field(ge=1)


class IntervalConfig(Strict):
    """Conformal prediction intervals of regression models (evaluation/conformal.py): `level`
    is the share of targets an interval should hold; on time-ordered data only the latest
    `walk_forward_share` of the CV's validation folds calibrate it (their models saw the most
    history, as the final model does)."""

    level: float = Field(gt=0, lt=1)
    walk_forward_share: float = Field(gt=0, le=1)


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


class SearchConfig(Directed):
    """A hyperparameter search (stages/search.py); `name: none` turns it off."""

    name: str = "none"
    family: str | None = None  # must equal model.name: the search tunes that family
    space: dict[str, SearchParam] = {}
    trials: int = Field(20, ge=1)
    batch: int = Field(4, ge=1)  # trials asked at once and run in parallel
    metric: str | None = None  # default: the task's CV metric (accuracy, rmse)
    direction: Direction | None = None  # default: the metric's (evaluation/catalog.py)
    prune: bool = True  # median pruning after each trial's first fold
    seed: int = 0
    n_jobs: int = -1  # joblib workers for the fits (local backend)
    dask_scheduler: str | None = None  # or DASK_SCHEDULER_ADDRESS

    @property
    def enabled(self) -> bool:
        return self.name != "none"


def check_search(search: SearchConfig, model: Any, task: str) -> None:
    """The search tunes the configured model family, on keys that family has, by a CV metric."""
    if search.family != model.name:
        raise ValueError(
            f"search.family {search.family!r} but model.name is {model.name!r}; "
            f"pass -S model={search.family} with -S search={search.name}"
        )
    unknown = sorted(set(search.space) - set(type(model).model_fields) - NOT_ESTIMATOR_KEYS)
    if unknown or NOT_ESTIMATOR_KEYS & set(search.space):
        allowed = ", ".join(k for k in type(model).model_fields if k not in NOT_ESTIMATOR_KEYS)
        bad = unknown[0] if unknown else sorted(NOT_ESTIMATOR_KEYS & set(search.space))[0]
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
    try:  # search.metric's own direction was checked with it; this is the default metric's
        check_direction(search.metric or CV_METRICS[task], search.direction)
    except ValueError as exc:
        raise ValueError(f"search.direction: {exc}") from None
