"""Stage `search`: tune the model family's hyperparameters; `train` then fits the best ones.

With `search: none` (the default) it only records that no search is configured. Otherwise it
opens one MLflow parent run, logs one nested child run per trial (params, CV mean/std per fold,
fit and CPU time, state: COMPLETE or PRUNED), and puts on the parent the best params, the best
score and a figure of the score per trial and the parameter importance. The best params go to
`reports/search.json`, which `train` reads (ml_pipeline/modeling/best_params.py).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.outputs import json_writer, publish
from ml_pipeline.tracking.lineage import file_md5, flatten, run_lineage
from ml_pipeline.tracking.session import Tracking, active_run, connect, log_batch

if TYPE_CHECKING:
    from ml_pipeline.modeling.tuning import SearchResult, TrialResult

OFF = {"search": "none"}


def report(params: Params, result: SearchResult, run_id: str) -> dict[str, Any]:
    """What reports/search.json records: the best trial, counts, the budget used, the run."""
    best = result.best
    assert best is not None
    states = [t.state for t in result.trials]
    return {
        "search": params.search.name,
        "family": params.model.name,
        "metric": result.metric,
        "direction": result.direction,
        "seed": params.search.seed,
        "trials": {
            "total": len(states),
            "complete": states.count("COMPLETE"),
            "pruned": states.count("PRUNED"),
        },
        "best": {
            "trial": best.number,
            "params": best.params,
            f"cv_{result.metric}_mean": best.mean,
            f"cv_{result.metric}_std": best.std,
        },
        "cpu_seconds": round(result.cpu_seconds, 1),
        "run_id": run_id,
    }


def log_trials(
    tracking: Tracking, parent_id: str, tags: dict[str, str], metric: str, trials: list[TrialResult]
) -> None:
    """One nested child run per trial, under the search's parent run."""
    for trial in trials:
        run = tracking.client.create_run(
            tracking.experiment_id,
            run_name=f"trial-{trial.number}",
            tags=tags
            | {
                "mlflow.parentRunId": parent_id,
                "search.trial": str(trial.number),
                "search.state": trial.state,
            },
        )
        run_id = run.info.run_id
        metrics: dict[str, Any] = {
            "fit_seconds": trial.fit_seconds,
            "cpu_seconds": trial.cpu_seconds,
        }
        if trial.state == "COMPLETE":
            metrics |= {f"cv_{metric}_mean": trial.mean, f"cv_{metric}_std": trial.std}
        log_batch(
            tracking,
            run_id,
            params=flatten({"model": trial.params}),
            metrics=metrics,
            steps=[(f"cv_fold_{metric}", s, i) for i, s in enumerate(trial.scores)],
        )
        tracking.client.set_terminated(run_id, "FINISHED")


def draw(result: SearchResult, path: Path) -> None:
    """Score per trial (pruned: first fold only) with the best so far, and param importance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[3, 2])
    better = max if result.direction == "higher" else min
    done = [t for t in result.trials if t.state == "COMPLETE" and t.mean is not None]
    pruned = [t for t in result.trials if t.state == "PRUNED"]
    left.scatter([t.number for t in done], [t.mean for t in done], s=18, label="complete (CV mean)")
    if pruned:
        left.scatter(
            [t.number for t in pruned],
            [t.scores[0] for t in pruned],
            s=18,
            marker="x",
            color="grey",
            label="pruned (first fold)",
        )
    best_so_far: list[float] = []
    running: float | None = None
    for t in done:
        assert t.mean is not None
        running = t.mean if running is None else better(running, t.mean)
        best_so_far.append(running)
    left.step([t.number for t in done], best_so_far, where="post", color="C3", label="best so far")
    left.set(xlabel="trial", ylabel=f"CV {result.metric}", title="Score per trial")
    left.legend(loc="lower right", fontsize=8)
    names = sorted(result.importance, key=lambda n: result.importance[n])
    right.barh(names, [result.importance[n] for n in names])
    right.set(xlabel="importance (fANOVA)", title="Parameter importance")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def log_parent(tracking: Tracking, run_id: str, params: Params, result: SearchResult) -> None:
    """Best params, best score, budget and the figure on the parent run."""
    import mlflow

    best = result.best
    assert best is not None
    states = [t.state for t in result.trials]
    log_batch(
        tracking,
        run_id,
        params=flatten({"search": params.search.model_dump(), "best": best.params}),
        metrics={  # type: ignore[arg-type]  # a complete best trial has its mean and std
            f"best_cv_{result.metric}_mean": best.mean,
            f"best_cv_{result.metric}_std": best.std,
            "best_trial": best.number,
            "trials_complete": states.count("COMPLETE"),
            "trials_pruned": states.count("PRUNED"),
            "cpu_seconds": result.cpu_seconds,
            "wall_seconds": result.wall_seconds,
        }
        | {f"importance.{k}": v for k, v in result.importance.items()},
    )
    with tempfile.TemporaryDirectory() as tmp:
        figure = Path(tmp) / "search.png"
        draw(result, figure)
        mlflow.log_artifact(str(figure))


@entry_point("search")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    if not params.search.enabled:
        publish({paths.SEARCH_REPORT: json_writer(OFF), **cost_output("search")})
        print("search: off (search: none); train fits the model group's values")
        return
    from ml_pipeline.data import prepared  # not before: with `search: none`, no pandas
    from ml_pipeline.data.columns import features_and_target
    from ml_pipeline.features.recipe import model_data
    from ml_pipeline.modeling.tuning import metric_of, run_search

    tracking = connect(params.tracking.experiment)  # fail fast, before searching
    data = model_data(params)
    text = [*data.categorical, *data.ordinal]  # compact categoricals (data/prepared.py)
    train = prepared.read(paths.PREPARED_TRAIN, prepared.model_columns(data), text)
    features, target = features_and_target(train, data)
    tags = run_lineage("search", {"train": file_md5(paths.PREPARED_TRAIN)}).to_tags()
    tags["search.name"] = params.search.name
    sampled = params.tracking.system_metrics_seconds  # MLflow system metrics
    with active_run(tracking, system_metrics=sampled, **tags) as parent:
        import mlflow

        parent_id = parent.info.run_id
        exp = tags.get("dvc.exp_name")
        mlflow.set_tag("mlflow.runName", f"{exp}-search" if exp else f"search-{params.search.name}")
        child_tags = {k: v for k, v in tags.items() if k != "reproduce"}
        metric = metric_of(params)[0]

        def on_batch(trials: list[TrialResult]) -> None:
            log_trials(tracking, parent_id, child_tags, metric, trials)
            for t in trials:
                score = f"{t.mean:.4f}" if t.state == "COMPLETE" else f"{t.scores[0]:.4f} (fold 1)"
                print(f"search: trial {t.number} {t.state.lower()} {score} {t.params}", flush=True)

        result = run_search(params, features, target, on_batch=on_batch)
        log_parent(tracking, parent_id, params, result)
        outcome = report(params, result, parent_id)
        mlflow.log_dict(outcome, paths.SEARCH_REPORT.name)
        publish({paths.SEARCH_REPORT: json_writer(outcome), **cost_output("search")})
    best = result.best
    assert best is not None
    print(
        f"search: {params.search.name}: best trial {best.number} of {len(result.trials)}: "
        f"cv {result.metric} {best.mean:.4f} ± {best.std:.4f} {best.params}; "
        f"{result.cpu_seconds / 60:.1f} CPU-min, {result.wall_seconds / 60:.1f} min wall "
        f"on {result.where}; run {parent_id}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
