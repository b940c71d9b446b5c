"""What the data is and how it is split and turned into features: `data`, `split`, `features`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ml_pipeline.core.config_base import Strict, Task


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


class SlicesConfig(Strict):
    """Groups of test rows `evaluate` scores apart (evaluation/slices.py): one slice per value
    of each column in `columns`, or per band of a numeric column with edges in `bands`
    (`age: [25, 45]`: < 25, [25, 45), >= 45). A slice of fewer than `min_count` test rows is
    shown but not judged (worst slice, disparities, the per-slice gate)."""

    columns: list[str] = Field(min_length=1)
    bands: dict[str, list[float]] = {}
    min_count: int = Field(ge=1)

    @model_validator(mode="after")
    def _check_bands(self) -> SlicesConfig:
        for column, edges in self.bands.items():
            if column not in self.columns:
                raise ValueError(f"data.slices.bands.{column}: not in data.slices.columns")
            if not edges or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
                raise ValueError(
                    f"data.slices.bands.{column}: give one or more edges in increasing order"
                )
        return self


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
    slices: SlicesConfig | None = None  # per-slice metrics of the test split (None: none)

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
        bands = self.slices.bands if self.slices else {}
        for column in self.slices.columns if self.slices else []:
            if column not in seen or (column in bands) != (column in self.numeric):
                kind = "a numeric" if column in bands else "a categorical or ordinal"
                raise ValueError(
                    f"data.slices.columns: {column!r} is not {kind} feature column (bands are "
                    "for data.numeric columns, every other slice column for a categorical one)"
                )
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


class RollingConfig(Strict):
    """Rolling statistics of one column over past windows (rows)."""

    windows: list[Annotated[int, Field(ge=2)]] = Field(min_length=1)
    stats: list[Literal["mean", "std", "min", "max"]] = ["mean"]


class TargetConfig(Strict):
    """The target as a change over the horizon: row t's target is `transform`(y[t+h], y[t])
    (diff: y[t+h] − y[t]; pct_change: y[t+h] / y[t] − 1; log_return: log(y[t+h] / y[t]))."""

    transform: Literal["diff", "pct_change", "log_return"] | None = None


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
    target: TargetConfig = TargetConfig()
    leakage: Literal["error", "warning"] = "error"
    leakage_threshold: float = Field(0.99, gt=0, le=1)

    @model_validator(mode="after")
    def _check_present(self) -> FeaturesConfig:
        """Nothing built may be row t itself when row t's target is the one predicted."""
        for column, ks in self.lags.items():
            if self.horizon == 0 and 0 in ks:
                raise ValueError(
                    f"features.lags.{column}: lag 0 at features.horizon 0 is the row's own "
                    "value, not the past; use lags >= 1 or features.horizon >= 1"
                )
        if self.target.transform and self.horizon < 1:
            raise ValueError(
                f"features.target.transform {self.target.transform!r} is the change over "
                "features.horizon rows: set features.horizon >= 1"
            )
        return self

    @property
    def active(self) -> bool:
        """Whether any feature (or a target horizon) is configured."""
        built = (self.lags, self.rolling, self.diff, self.pct_change, self.log_return)
        return bool(self.horizon or self.calendar or any(built))
