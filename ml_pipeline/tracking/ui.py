"""What a person sees in the MLflow UI: the experiment's kind, the params worth a column, the run's
description, the registered model's description, fewer version tags.

Pure functions over plain values, plus two thin calls to the client.
"""

from __future__ import annotations

import json
from typing import Any

from ml_pipeline.evaluation.catalog import CV_METRICS, describe, direction
from ml_pipeline.tracking.lineage import BASELINE_REV, DECISION_TAG, DVC_PREFIX, EXP_NAME

# Without it MLflow 3's UI guesses the kind and opens on its GenAI overview (traces, tokens).
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
NOTE = "mlflow.note.content"  # the run's (and MLflow's) "description"
# params.yaml keys that become run params: hyperparameters, data and split settings. The rest
# (the validation contract, file layout, column lists) is in the params.yaml artifact.
PARAM_PREFIXES = ("model.", "cv.", "split.")
DATA_PARAMS = ("data.name", "data.task", "data.target", "data.positive_label", "data.time_column")
KEPT_DVC_TAGS = (EXP_NAME, BASELINE_REV)


def run_params(flat: dict[str, str]) -> dict[str, str]:
    """The flattened params.yaml keys a person compares runs by."""
    return {
        key: value
        for key, value in flat.items()
        if key == "seed" or key.startswith(PARAM_PREFIXES) or key in DATA_PARAMS
    }


VIEW_KEY = "people"  # the UI's shared view: `...?viewStateShareKey=people`


def runs_view(primary: str, task: str) -> dict[str, Any]:
    """The runs table's columns people compare, sorted by the primary metric (best first)."""
    cv = CV_METRICS[task]
    metrics = dict.fromkeys([primary, cv, f"cv_{cv}_mean"])
    columns = [f"metrics.`{m}`" for m in metrics]
    columns += ["params.`data.name`", "params.`model.name`", f"tags.`{DECISION_TAG}`"]
    ascending = direction_of(primary) == "lower"
    return {
        "selectedColumns": columns,
        "orderByKey": f"metrics.`{primary}`",
        "orderByAsc": ascending,
    }


def direction_of(metric: str) -> str:
    """The metric catalog's direction; `higher` for a metric it does not rank."""
    return direction(metric) or "higher"


def declare_experiment(client: Any, experiment_id: str, primary: str, task: str) -> None:
    """Tag the experiment as classic ML, with a runs-table view of the headline columns."""
    wanted = EXPERIMENT_KIND | {
        f"mlflow.sharedViewState.{VIEW_KEY}": json.dumps(runs_view(primary, task))
    }
    from mlflow.exceptions import MlflowException

    tags = client.get_experiment(experiment_id).tags
    for key, value in wanted.items():
        if tags.get(key) == value:
            continue
        try:
            client.set_experiment_tag(experiment_id, key, value)
        except MlflowException:
            # Parallel experiments: another stage set the tag between our read and our write
            # (a server on PostgreSQL then refuses the second insert). Theirs stands.
            if key not in client.get_experiment(experiment_id).tags:
                raise


def runs_page(base_url: str, experiment_id: str) -> str:
    """The UI address of the experiment's runs table with the headline columns."""
    query = f"viewStateShareKey={VIEW_KEY}&workflowType=machine_learning"
    return f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs?{query}"


def headline(metrics: dict[str, float], primary: str) -> str:
    """`roc_auc 0.9273 (cv accuracy 0.8706 ± 0.0023), accuracy 0.8715`: the numbers people read."""
    value = metrics.get(primary)
    shown = [f"{primary} {value:.4g}"] if value is not None else []
    means = [k for k in metrics if k.startswith("cv_") and k.endswith("_mean")]
    for mean in means:
        name = mean.removeprefix("cv_").removesuffix("_mean")
        spread = metrics.get(f"cv_{name}_std")
        cv = f"cv {name} {metrics[mean]:.4g}" + (f" ± {spread:.2g}" if spread is not None else "")
        shown.append(cv)
    for name in ("accuracy", "rmse", "r2"):
        if name in metrics and name != primary:
            shown.append(f"{name} {metrics[name]:.4g}")
    return ", ".join(shown)


def run_note(params: Any, metrics: dict[str, float], report: dict[str, Any]) -> str:
    """The run's description (Markdown): dataset, model, headline metrics, gate decision."""
    decision = report["decision"]
    if report.get("version"):
        held = f"as `{report['alias']}`" if report["alias"] else "(holds no alias now)"
        decision = f"passed → registered v{report['version']} {held}"
    return "\n".join(
        [
            f"**{params.data.name}** ({params.data.task}, target `{params.data.target}`) · "
            f"model **{params.model.name}** · seed {params.seed}",
            "",
            f"Test: {headline(metrics, params.registration.primary_metric)}",
            "",
            f"Gate: **{decision}**: {report['reasons'][0]}",
        ]
    )


def registered_model_description(params: Any) -> str:
    """The registered model's description: what it predicts and how versions get promoted."""
    config = params.registration
    return (
        f"Predicts `{params.data.target}` ({params.data.task}) on rows of the "
        f"**{params.data.name}** dataset's columns; the whole scikit-learn pipeline, so it takes "
        f"raw feature rows. Alias `champion`: the best version that passed the gate by "
        f"`{config.primary_metric}` ({config.direction} is better; "
        f"{describe(config.primary_metric)}); `challenger`: passed, "
        "not better. Each version's description is its model card."
    )


def version_tags(tags: dict[str, str]) -> dict[str, str]:
    """A version's tags without the per-output DVC hashes (they stay on the linked run)."""
    return {k: v for k, v in tags.items() if not k.startswith(DVC_PREFIX) or k in KEPT_DVC_TAGS}


def ui_address(tracking_uri: str, experiment: str, base_url: str) -> str:
    """Where to point the browser: the runs page of `experiment`, or the UI's home."""
    import mlflow

    found = mlflow.MlflowClient(tracking_uri).get_experiment_by_name(experiment)
    return runs_page(base_url, found.experiment_id) if found else base_url
