"""Time-aware features declared in config (`features.*`), built by `prepare` on the whole table.

What a built feature of row t may use (per `features.group_column` group, rows in time order):
- `lags: {col: [k]}`: the value k rows before t (k = 0: row t itself, refused at horizon 0);
- `rolling`, `diff`, `pct_change`, `log_return`: over rows up to the *last known row*: t when
  `horizon` ≥ 1, t − 1 when `horizon` is 0 (then row t's target is what is being predicted);
- `calendar`: parts of row t's time stamp (known in advance).
The target of row t becomes the target h = `horizon` rows later (with `target.transform`: its
change from row t to row t + h, a difference or a return). Rows whose features or target
cannot be formed are dropped (and counted). The persistence baseline (the last known target)
and, with `season`, the seasonal naive one are kept beside them for `evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml_pipeline.core.config import DataConfig, FeaturesConfig, Params, SplitConfig
from ml_pipeline.core.errors import StageError

PERSISTENCE = "baseline_persistence"
SEASONAL = "baseline_seasonal"
# Calendar parts with few levels are categories; the others are numbers.
CALENDAR_CATEGORICAL = ("day_of_week", "month", "quarter", "hour")
# features.<key> → the suffix of its built column: `close_diff1`, `close_pct5`, `close_logret1`.
CHANGES = {"diff": "diff", "pct_change": "pct", "log_return": "logret"}


@dataclass(frozen=True)
class Dropped:
    """Rows dropped: no time stamp, no full history for a feature (or a missing value in it),
    no target `horizon` rows ahead (`build`); train rows whose target lies in the test period
    (`purge_boundary`)."""

    no_time: int
    history: int
    horizon: int
    boundary: int = 0

    @property
    def total(self) -> int:
        return self.no_time + self.history + self.horizon + self.boundary


def check_config(data: DataConfig, split: SplitConfig, features: FeaturesConfig) -> None:
    """Fail with one line naming the key when the recipe cannot apply to this dataset."""
    if not features.active:
        return
    if not data.time_column:
        raise StageError(
            f"features: the recipe needs rows in time order but data.time_column is not set "
            f"for dataset {data.name!r}"
        )
    if split.method in ("random", "stratified"):
        raise StageError(
            f"split.method {split.method!r} shuffles a time series that has built features "
            "(features.*): use split=time or split=predefined"
        )
    sources = {*data.numeric, data.target}
    for key in ("lags", "rolling", "diff", "pct_change", "log_return"):
        for column in getattr(features, key):
            if column not in sources:
                raise StageError(
                    f"features.{key}: column {column!r} is not numeric in dataset {data.name!r} "
                    f"(allowed: data.target or data.numeric: {', '.join(sorted(sources))})"
                )
    if features.target.transform and data.task != "regression":
        raise StageError(
            f"features.target.transform {features.target.transform!r} needs a numeric target: "
            f"data.task is {data.task!r}"
        )
    if features.group_column and features.group_column not in (*data.categorical, *data.numeric):
        raise StageError(
            f"features.group_column {features.group_column!r} must be listed in "
            "data.categorical (or data.numeric)"
        )


def feature_columns(features: FeaturesConfig) -> tuple[list[str], list[str]]:
    """Names of the built (numeric, categorical) columns, in a fixed order."""
    numeric = [f"{c}_lag{k}" for c, ks in features.lags.items() for k in ks]
    for column, spec in features.rolling.items():
        numeric += [f"{column}_roll{w}_{stat}" for w in spec.windows for stat in spec.stats]
    for key, suffix in CHANGES.items():
        numeric += [f"{c}_{suffix}{k}" for c, ks in getattr(features, key).items() for k in ks]
    categorical: list[str] = [p for p in features.calendar if p in CALENDAR_CATEGORICAL]
    numeric += [p for p in features.calendar if p not in CALENDAR_CATEGORICAL]
    return numeric, categorical


def model_data(params: Params) -> DataConfig:
    """The data config the model sees: raw columns (if `features.raw_features`) + built ones."""
    data, features = params.data, params.features
    if not features.active:
        return data
    numeric, categorical = feature_columns(features)
    raw = features.raw_features
    return data.model_copy(
        update={
            "numeric": [*(data.numeric if raw else []), *numeric],
            "categorical": [*(data.categorical if raw else []), *categorical],
            "ordinal": dict(data.ordinal) if raw else {},
        }
    )


def cv_gap(params: Params) -> int:
    """Rows between train and validation folds: cv.gap, else the horizon (a fold's last train
    rows would otherwise have targets inside the validation fold)."""
    return params.cv.gap if params.cv.gap is not None else params.features.horizon


def history_rows(features: FeaturesConfig) -> int:
    """How many rows before t a feature of row t reaches back (per group)."""
    last_known = 1 if features.horizon == 0 else 0
    reach = [k for ks in features.lags.values() for k in ks]
    reach += [last_known + w - 1 for spec in features.rolling.values() for w in spec.windows]
    for key in ("diff", "pct_change", "log_return"):
        reach += [last_known + k for ks in getattr(features, key).values() for k in ks]
    return max(reach, default=0)


def build(
    frame: pd.DataFrame, data: DataConfig, features: FeaturesConfig, forecast: bool = False
) -> tuple[pd.DataFrame, Dropped]:
    """The table in time order with built columns, target `horizon` rows ahead, baselines.

    Rows come out in time order (groups interleaved); rows whose features or target cannot be
    formed are dropped. Returns the table and the counts of dropped rows.
    `forecast`: for prediction from history: the target stays as it is (it may be empty) and
    only rows without full history are dropped.
    """
    if not features.active:
        return frame, Dropped(0, 0, 0)
    time, group = data.time_column, features.group_column
    keys = [group, time] if group else [time]
    no_time = frame[time].isna()
    table = frame[~no_time].sort_values(keys, kind="stable").reset_index(drop=True)
    shift = _shifter(table, group)
    built = _built_columns(table, data, features, shift)
    if forecast:
        out = pd.concat([table, pd.DataFrame(built, index=table.index)], axis=1)
        incomplete = out[list(built)].isna().any(axis=1)
        dropped = Dropped(int(no_time.sum()), int(incomplete.sum()), 0)
        return out[~incomplete].reset_index(drop=True), dropped
    last_known = 1 if features.horizon == 0 else 0
    level = target_series(table, data, features, shift)
    built[PERSISTENCE] = shift(level, last_known)
    if features.season:
        steps = -(-(features.horizon + last_known) // features.season) * features.season
        built[SEASONAL] = shift(level, steps - features.horizon)
    ahead = shift(level, -features.horizon) if features.horizon else level
    out = pd.concat([table, pd.DataFrame(built, index=table.index)], axis=1)
    out[data.target] = ahead
    no_target = ahead.isna()
    incomplete = out[list(built)].isna().any(axis=1) & ~no_target
    dropped = Dropped(int(no_time.sum()), int(incomplete.sum()), int(no_target.sum()))
    kept = out[~(no_target | incomplete)].sort_values(time, kind="stable")  # groups interleaved
    return kept.reset_index(drop=True), dropped


Shift = Callable[[str | pd.Series, int], pd.Series]


def target_series(
    table: pd.DataFrame, data: DataConfig, features: FeaturesConfig, shift: Shift
) -> pd.Series:
    """The target as dated at row t: the level y[t], or with `features.target.transform` the
    change y[t] vs y[t − horizon] (only rows before t); row t's target is its value h rows on."""
    transform = features.target.transform
    if not transform:
        return table[data.target]
    return CHANGE_OPS[transform](table[data.target], shift(data.target, features.horizon))


def _shifter(table: pd.DataFrame, group: str | None) -> Shift:
    """`shift(column, k)`: the column (a name of `table`, or a series on its index) k rows
    later within each `group` series (k < 0: earlier)."""

    def shift(column: str | pd.Series, k: int) -> pd.Series:
        series = table[column] if isinstance(column, str) else column
        if not group:
            return series.shift(k)
        return series.groupby(table[group], sort=False, dropna=False).shift(k)

    return shift


def _built_columns(
    table: pd.DataFrame, data: DataConfig, features: FeaturesConfig, shift: Shift
) -> dict[str, pd.Series]:
    """The columns `features.*` declare, in `feature_columns` order, on `table`'s index."""
    group = features.group_column

    def known(column: str) -> pd.Series:  # the column as of the last known row
        return shift(column, 1) if features.horizon == 0 else table[column]

    built: dict[str, pd.Series] = {}
    for column, ks in features.lags.items():
        for k in ks:
            built[f"{column}_lag{k}"] = shift(column, k)
    for column, spec in features.rolling.items():
        source = known(column)
        by = source.groupby(table[group], sort=False, dropna=False) if group else None
        for w in spec.windows:
            window = (by if by is not None else source).rolling(w, min_periods=w)
            for stat in spec.stats:
                values = getattr(window, stat)()
                if by is not None:
                    values = values.reset_index(level=0, drop=True).sort_index()
                built[f"{column}_roll{w}_{stat}"] = values
    for key, suffix in CHANGES.items():
        for column, ks in getattr(features, key).items():
            source = known(column)
            for k in ks:
                built[f"{column}_{suffix}{k}"] = CHANGE_OPS[key](source, shift(source, k))
    stamps = pd.to_datetime(table[data.time_column])
    for part in features.calendar:
        values = _calendar(stamps, part)
        categorical = part in CALENDAR_CATEGORICAL
        built[part] = values.astype(str).astype(object) if categorical else values.astype(float)
    return built


def purge_boundary(
    train: pd.DataFrame, data: DataConfig, features: FeaturesConfig, dropped: Dropped
) -> tuple[pd.DataFrame, Dropped]:
    """Drop the last `horizon` train rows of each series: their targets lie in the test period."""
    if not features.active or features.horizon == 0:
        return train, dropped
    group = features.group_column
    ordered = train.sort_values(data.time_column, kind="stable")
    if group:  # rows after this one in its series, within the train split
        after = ordered.groupby(group, sort=False, dropna=False).cumcount(ascending=False)
    else:
        after = pd.Series(np.arange(len(ordered))[::-1], index=ordered.index)
    keep = ordered[after >= features.horizon]
    purged = Dropped(dropped.no_time, dropped.history, dropped.horizon, len(ordered) - len(keep))
    return keep.reset_index(drop=True), purged


def _diff(now: pd.Series, before: pd.Series) -> pd.Series:
    return now - before


def _pct(now: pd.Series, before: pd.Series) -> pd.Series:
    return (now / before.where(before != 0)) - 1.0


def _logret(now: pd.Series, before: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = now / before
    return np.log(ratio.where(ratio > 0))


CHANGE_OPS = {"diff": _diff, "pct_change": _pct, "log_return": _logret}


def _calendar(stamps: pd.Series, part: str) -> pd.Series:
    dt = stamps.dt
    return {
        "day_of_week": dt.day_of_week,
        "month": dt.month,
        "quarter": dt.quarter,
        "hour": dt.hour,
        "day": dt.day,
        "day_of_year": dt.day_of_year,
        "year": dt.year,
    }[part]
