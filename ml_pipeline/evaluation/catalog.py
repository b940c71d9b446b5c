"""The metric catalog: the one home of what each metric is and which way is better.

One `Metric` per test metric evaluate writes (evaluation/metrics.py computes them in this order;
the `interval` ones, evaluation/conformal.py, only for a regression model with a prediction
interval). `interval_coverage` is "higher is better" although the aim is the interval's level:
the gate asks for a floor (`interval_coverage >= 0.85` for a 90 % interval), and coverage bought
by a wider interval shows in `interval_width` (lower is better).
Names derived from them follow their base metric:

- `cv_<m>_mean`, `cv_fold_<m>`, `test_<m>` (a learning curve), `baseline.<m>`: as `<m>`;
- `slice_worst.<m>`: `<m>` on the worst judged slice (evaluation/slices.py), as `<m>`;
- `skill.<m>`: 1 − error / baseline error (evaluation/baselines.py), higher is better;
- `cv_<m>_std` (a spread), timings (`*_seconds`, `*_ms_per_row`) and the bounds of a 95 %
  interval (`<m>.ci_lower`, `<m>.ci_upper`, evaluation/intervals.py): not ranked (the gate reads
  a bound only through `register.thresholds[].bound`).

Every reader asks `direction(name)`: the gate (registry/promotion.py through the config), the
pull-request verdicts, the search, skill scores, the MLflow runs view, `make exps`, the model card.
Pure Python: the config imports it (no heavy packages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower"]
Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")
INTERVAL_SUFFIXES = (".ci_lower", ".ci_upper")
WORST_PREFIX = "slice_worst."  # `<m>` on the worst judged slice (evaluation/slices.py)
DISPARITIES = ("demographic_parity_difference", "equalized_odds_difference")  # per slice column
NOT_RANKED_SUFFIXES = ("_std", "_seconds", "_ms_per_row", *INTERVAL_SUFFIXES)


@dataclass(frozen=True)
class Metric:
    """One test metric: its task, which way is better and how it is scored and shown.

    `scorer` is the scikit-learn scorer a search or CV uses (None: not searchable; a `neg_`
    scorer is the metric negated); `skill`: evaluate writes `skill.<name>` beside the baseline;
    `interval`: a property of the model's prediction interval, not of its point predictions.
    """

    name: str
    task: Task
    direction: Direction
    label: str
    description: str
    scorer: str | None = None
    needs_proba: bool = False
    nullable: bool = False
    skill: bool = False
    interval: bool = False

    def shown(self, value: float | None, digits: int = 4) -> str:
        """`0.8715`, or `null` for a metric undefined on this data."""
        return "null" if value is None else f"{value:.{digits}g}"


CATALOG: tuple[Metric, ...] = (
    Metric(
        "accuracy",
        "classification",
        "higher",
        "Accuracy",
        "share of rows classified right",
        scorer="accuracy",
        skill=True,
    ),
    Metric(
        "balanced_accuracy",
        "classification",
        "higher",
        "Balanced accuracy",
        "mean recall over the classes",
        scorer="balanced_accuracy",
    ),
    Metric(
        "precision",
        "classification",
        "higher",
        "Precision",
        "share of predicted positives that are positive (macro for multi-class)",
    ),
    Metric(
        "recall",
        "classification",
        "higher",
        "Recall",
        "share of positives found (macro for multi-class)",
    ),
    Metric("f1", "classification", "higher", "F1", "harmonic mean of precision and recall"),
    Metric(
        "roc_auc",
        "classification",
        "higher",
        "ROC AUC",
        "chance a positive is ranked above a negative (one-vs-rest for multi-class)",
        scorer="roc_auc",
        needs_proba=True,
    ),
    Metric(
        "log_loss",
        "classification",
        "lower",
        "Log loss",
        "mean negative log-probability of the true class",
        scorer="neg_log_loss",
        needs_proba=True,
        skill=True,
    ),
    Metric(
        "brier",
        "classification",
        "lower",
        "Brier score",
        "mean squared error of the probabilities (positive class; summed over classes)",
        scorer="neg_brier_score",
        needs_proba=True,
    ),
    Metric(
        "ece",
        "classification",
        "lower",
        "ECE",
        "expected calibration error: |observed rate - mean probability| in 10 equal-width "
        "bins, weighted by rows (evaluation/calibration.py)",
        needs_proba=True,
    ),
    Metric(
        "rmse",
        "regression",
        "lower",
        "RMSE",
        "root mean squared error, in target units",
        scorer="neg_root_mean_squared_error",
        skill=True,
    ),
    Metric(
        "mae",
        "regression",
        "lower",
        "MAE",
        "mean absolute error, in target units",
        scorer="neg_mean_absolute_error",
        skill=True,
    ),
    Metric(
        "r2", "regression", "higher", "R²", "share of the target's variance explained", scorer="r2"
    ),
    Metric(
        "mape",
        "regression",
        "lower",
        "MAPE",
        "mean absolute percentage error (a fraction); null when some target is near zero",
        nullable=True,
    ),
    Metric(
        "interval_coverage",
        "regression",
        "higher",
        "Interval coverage",
        "share of targets inside their prediction interval (aim: interval.level)",
        interval=True,
    ),
    Metric(
        "interval_width",
        "regression",
        "lower",
        "Interval width",
        "mean width of the prediction interval, in target units",
        interval=True,
    ),
)
METRICS: dict[str, Metric] = {m.name: m for m in CATALOG}

# Derived views (the config and evaluate read these; they are not lists of their own).
TASK_METRICS: dict[str, tuple[str, ...]] = {
    task: tuple(m.name for m in CATALOG if m.task == task) for task in TASKS
}
SEARCH_METRICS: dict[str, dict[str, str]] = {
    task: {m.name: m.scorer for m in CATALOG if m.task == task and m.scorer} for task in TASKS
}
# The metric cross-validation reports per task (`cv_<m>_mean`/`_std`; modeling/cv.py
# CV_METRIC scores it) and a search optimises by default.
CV_METRICS: dict[str, str] = {"classification": "accuracy", "regression": "rmse"}
SKILL_METRICS: dict[str, tuple[str, ...]] = {
    task: tuple(m.name for m in CATALOG if m.task == task and m.skill) for task in TASKS
}


def base_metric(name: str) -> Metric | None:
    """The catalog metric a (possibly derived) name is about; None for an unknown name."""
    for suffix in INTERVAL_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in METRICS:
            return METRICS[name.removesuffix(suffix)]
    for prefix in ("baseline.", "skill.", "cv_fold_", "test_", WORST_PREFIX):
        if name.startswith(prefix) and name.removeprefix(prefix) in METRICS:
            return METRICS[name.removeprefix(prefix)]
    if name.startswith("cv_"):
        for suffix in ("_mean", "_std"):
            if name.endswith(suffix):
                return METRICS.get(name.removeprefix("cv_").removesuffix(suffix))
    return METRICS.get(name)


def direction(name: str) -> Direction | None:
    """`higher` or `lower` is better; None for a value that is neither (a spread, a timing, a
    name the catalog does not know)."""
    if name.endswith(NOT_RANKED_SUFFIXES):
        return None
    metric = base_metric(name)
    if metric is None:
        return None
    return "higher" if name.startswith("skill.") else metric.direction


def check_direction(metric: str, given: str | None) -> None:
    """Refuse a configured direction that contradicts the catalog (one line, for the config)."""
    known = direction(metric)
    if given is not None and known is not None and given != known:
        raise ValueError(
            f"{given!r} contradicts the metric catalog: {metric} is better when {known} "
            f"(ml_pipeline/evaluation/catalog.py); write {known!r} or leave the key out"
        )


def describe(name: str) -> str:
    """`ROC AUC: chance a positive is ranked ...`, for descriptions (the name, if unknown)."""
    metric = base_metric(name)
    if metric is None:
        return name
    label = metric.label if name == metric.name else name
    return f"{label}: {metric.description}"
