"""Stage `evaluate`: score the trained model on the test split; write metrics and plots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

from ml_pipeline.core import paths, progress
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.outputs import json_writer, publish, read_json
from ml_pipeline.evaluation import conformal
from ml_pipeline.evaluation.baselines import baseline_metrics, skill_scores
from ml_pipeline.evaluation.calibration import reliability_table
from ml_pipeline.evaluation.curves import iteration_losses
from ml_pipeline.evaluation.importance import importance_on
from ml_pipeline.evaluation.intervals import intervals
from ml_pipeline.evaluation.metrics import rounded
from ml_pipeline.evaluation.paired import predictions_frame
from ml_pipeline.evaluation.plots import (
    classification_plots,
    every_table,
    regression_plots,
    render_pngs,
    write_tables,
)
from ml_pipeline.evaluation.scored_rows import (
    ScoredRows,
    local_rows,
    needed_test_columns,
    read_columns,
    train_columns,
)
from ml_pipeline.evaluation.slices import NO_SLICES, slice_report, summary
from ml_pipeline.features.recipe import model_data
from ml_pipeline.modeling.cv import CV_METRIC
from ml_pipeline.modeling.model_dir import load_pipeline


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float | None]
    timings: dict[str, float]
    plots: dict[str, pd.DataFrame]
    slices: dict[str, Any]  # reports/slices.json
    predictions: pd.DataFrame  # per test row (evaluation/paired.py)


def run(
    params: Params,
    model: Pipeline,
    test: pd.DataFrame,
    train_report: dict,
    train: pd.DataFrame | None = None,
) -> Evaluation:
    """`evaluation` of a test frame held in this process."""
    rows = local_rows(model, test, model_data(params), params.evaluate, params.seed)
    return evaluation(params, model, rows, train_report, train)


def evaluation(
    params: Params,
    model: Pipeline,
    rows: ScoredRows,
    train_report: dict,
    train: pd.DataFrame | None = None,
) -> Evaluation:
    """Test metrics with their 95 % intervals, a regression model's prediction-interval coverage
    and width, CV summary, baseline and skill (given `train`), timings and plot tables."""
    data, settings, scored = model_data(params), params.evaluate, rows.scored
    metrics, target, predicted = dict(scored.metrics), scored.target, scored.predicted
    metrics |= intervals(scored, params.seed)  # <metric>.ci_lower/.ci_upper: 95 % bootstrap
    interval = train_report.get(conformal.KEY)  # regression: the model's prediction interval
    if interval is not None:
        metrics |= conformal.interval_metrics(target, predicted, interval)
    slices = NO_SLICES
    if data.slices is not None:  # per-slice metrics (evaluation/slices.py): a summary in metrics
        slices = slice_report(scored, data.slices, params.seed, data.task)
        metrics |= summary(slices, params.registration.primary_metric)
    if scored.proba is not None and scored.positive is not None:
        plots = classification_plots(
            target,
            predicted,
            scored.proba[:, scored.classes.index(scored.positive)],
            scored.positive,
            settings.curve_max_points,
        )
        plots[paths.CALIBRATION_CSV] = reliability_table(
            target.to_numpy().astype(str), scored.proba, scored.classes, scored.positive
        )
    else:
        plots = regression_plots(target, predicted, settings.plot_max_points, params.seed, interval)
    cv_name = CV_METRIC[data.task][0]
    metrics |= rounded(
        {f"cv_{cv_name}_mean": train_report["cv_mean"], f"cv_{cv_name}_std": train_report["cv_std"]}
    )
    if train is not None:  # the naive baseline beside the model (evaluation/baselines.py)
        metrics |= baseline_metrics(params, train, rows.frame)
        metrics |= skill_scores(data.task, metrics)
    plots["importance.csv"] = importance_on(
        model, rows.sample, rows.sample_target, settings, params.seed, data.task
    )
    losses = iteration_losses(model, rows.head, rows.head_target)
    if losses:  # boosting: test loss after each iteration (the fitted model's own stages)
        plots[paths.LEARNING_CURVE_CSV] = pd.DataFrame(
            {"iteration": range(1, len(losses) + 1), "loss": losses}
        )
    timings = {
        "fit_seconds": round(train_report["fit_seconds"], 3),
        "predict_ms_per_row": round(1000 * scored.predict_seconds / max(rows.rows, 1), 6),
    }
    return Evaluation(
        metrics=metrics,
        timings=timings,
        plots=every_table(plots),
        slices=slices,
        predictions=predictions_frame(scored),
    )


def scored_test_rows(params: Params, model: Pipeline) -> ScoredRows:
    """The test split's `ScoredRows`: its needed columns here, or over partitions on Dask."""
    data = model_data(params)
    if params.compute.engine != "dask":
        test = read_columns(paths.PREPARED_TEST, needed_test_columns(params, data))
        return local_rows(model, test, data, params.evaluate, params.seed)
    from ml_pipeline.core.cluster import compute_client, dask_failure
    from ml_pipeline.evaluation.on_dask import rows_on_dask

    with compute_client(params.compute) as client, dask_failure("scoring the test split"):
        workers = len(client.scheduler_info()["workers"])
        progress.note(f"evaluate: scoring the test split on dask ({workers} workers)")
        return rows_on_dask(model, paths.PREPARED_TEST, data, params.evaluate, params.seed, workers)


def caption(params: Params, result: Evaluation) -> str:
    """What the figures show: `adult · hgb · roc_auc 0.9234`."""
    metric = params.registration.primary_metric
    value = result.metrics.get(metric)
    shown = f" · {metric} {value:.4g}" if isinstance(value, int | float) else ""
    return f"{params.data.name} · {params.model.name}{shown}"


@entry_point("evaluate")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    model = load_pipeline(paths.MODEL_DIR)
    rows = scored_test_rows(params, model)
    train = read_columns(paths.PREPARED_TRAIN, train_columns(params))
    result = evaluation(params, model, rows, read_json(paths.TRAIN_REPORT), train)
    publish(  # `register` logs them to the run
        {
            paths.METRICS: json_writer(result.metrics),
            paths.TIMINGS: json_writer(result.timings),
            paths.SLICES: json_writer(result.slices),
            paths.PREDICTIONS: lambda p: result.predictions.to_parquet(p, index=False),
            paths.PLOTS_DIR: lambda p: write_tables(result.plots, p),
            paths.FIGURES_DIR: lambda p: render_pngs(result.plots, p, caption(params, result)),
            **cost_output("evaluate"),
        }
    )
    metrics = {k: v for k, v in result.metrics.items() if not k.startswith("baseline.")}
    print(f"evaluate: {', '.join(f'{k}={v}' for k, v in metrics.items())}")


if __name__ == "__main__":
    raise SystemExit(main())
