"""Stage `register`: gate the run's model on thresholds, register it, promote it on evidence.

A passing model becomes a new version of `tracking.registered_model`, aliased `champion` if its
primary metric is at least as good as the current champion's on the same test data (else
`challenger`; also when the two are not comparable). Read-champion → compare → register →
set-alias runs under the store lock, so parallel experiments end with the best passing version
as champion. A run is registered once; a failed gate registers nothing and is not an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from stages import paths
from stages.best_params import apply_search
from stages.config import Params, load_params
from stages.errors import run_stage
from stages.features import features_and_target
from stages.gate import at_least, check_metrics_exist, check_thresholds, model_card
from stages.lineage import file_md5, lock_hashes
from stages.metrics import classification_metrics, regression_metrics
from stages.outputs import json_writer, publish, read_json
from stages.tracking import Tracking, active_run, connect, log_batch, store_lock

LINEAGE_PREFIXES = ("git.", "dvc.", "data.", "reproduce")


def score(model: Any, test: pd.DataFrame, params: Params) -> dict[str, float]:
    """Test metrics of a fitted pipeline (to re-evaluate a champion on the current split)."""
    features, target = features_and_target(test, params.data)
    predicted = model.predict(features)
    if params.data.task == "regression":
        return regression_metrics(target, predicted)
    classes = [str(c) for c in model.classes_]
    proba = model.predict_proba(features)
    return classification_metrics(target, predicted, proba, classes, params.data.positive_label)


def champion_value(
    params: Params, champion: Any, lineage: dict[str, str]
) -> tuple[float | None, str]:
    """The champion's primary metric on this run's test data, and how it was obtained.

    Recorded when the champion was tested on the same data; re-scored on this test split when
    it was trained on the same data (so it never sees its own training rows); else not known.
    """
    import mlflow.sklearn

    metric = params.registration.primary_metric
    recorded = champion.tags.get(f"metric.{metric}")
    if champion.tags.get("data.md5.test") == lineage["data.md5.test"] and recorded is not None:
        return float(recorded), "recorded on the same test data"
    if champion.tags.get("data.md5.train") != lineage["data.md5.train"]:
        return None, "was trained and tested on other data (data.md5.*): not comparable"
    try:
        model = mlflow.sklearn.load_model(f"models:/{champion.name}/{champion.version}")
        value = score(model, pd.read_parquet(paths.PREPARED_TEST), params).get(metric)
    except Exception as exc:  # a champion that cannot score this data is not comparable
        return None, f"could not be re-evaluated on this test data ({type(exc).__name__}: {exc})"
    if value is None:
        return None, f"{metric} cannot be re-computed on the test data"
    return value, "re-evaluated on this test data (same training data)"


def current_champion(client: Any, name: str) -> Any | None:
    """The version aliased `champion`, or None; registers the model name on first use."""
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_registered_model(name).aliases.get("champion")
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        try:
            client.create_registered_model(name)
        except MlflowException as created:  # registered meanwhile from another machine
            if created.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        return None
    return None if version is None else client.get_model_version(name, str(version))


def already_registered(
    client: Any, name: str, run_id: str, metric: str, champion: Any | None
) -> dict[str, Any] | None:
    """The report for a run registered before (a forced or resumed `register`), or None."""
    found = client.search_model_versions(f"name='{name}' and run_id='{run_id}'")
    if not found:
        return None
    version = min(found, key=lambda v: int(v.version))
    alias = "champion" if champion and champion.version == version.version else "challenger"
    after = None
    if champion is not None:
        recorded = champion.tags.get(f"metric.{metric}")
        after = {"version": int(champion.version), "value": recorded and float(recorded)}
    return {
        "decision": alias,
        "reasons": [
            f"run {run_id} is already registered as v{version.version}: not registered again"
        ],
        "version": int(version.version),
        "alias": alias,
        "champion_before": after,
        "champion_after": after,
    }


def promote(
    tracking: Tracking,
    params: Params,
    run_info: dict,
    metrics: dict[str, float],
    checks: list[dict],
    lineage: dict[str, str],
) -> dict[str, Any]:
    """Compare with the champion, register a version and set its alias, under the store lock."""

    client, config = tracking.client, params.registration
    name, metric = params.tracking.registered_model, config.primary_metric
    value = metrics[metric]
    with store_lock(tracking.store):
        champion = current_champion(client, name)
        known = already_registered(client, name, run_info["run_id"], metric, champion)
        if known is not None:
            return known
        before, reason = None, "no champion yet: the first passing model becomes champion"
        alias = "champion"
        if champion is not None:
            old, basis = champion_value(params, champion, lineage)
            before = {"version": int(champion.version), "value": old, "basis": basis}
            if not config.compare_with_champion:
                reason = "register.compare_with_champion is false: promoted without comparison"
            elif old is None:
                alias = "challenger"
                reason = f"champion v{champion.version} {basis}: kept as champion"
            else:
                better = at_least(value, old, config.direction)
                alias = "champion" if better else "challenger"
                verb = "at least as good as" if better else "worse than"
                reason = (
                    f"{metric} {value} is {verb} champion v{champion.version}'s {old} ({basis})"
                )
        tags = lineage | {f"metric.{k}": str(v) for k, v in metrics.items()}
        tags |= {"gate": "passed", "alias.at_registration": alias, "primary_metric": metric}
        card = model_card(params, metrics, checks, f"passed, {alias}: {reason}")
        version = None
        try:  # a version without its alias is removed, also on SIGTERM/Ctrl-C
            version = client.create_model_version(
                name,
                run_info["model_uri"],
                run_id=run_info["run_id"],
                tags=tags,
                description=card,
                model_id=run_info["model_id"],
            ).version
            client.set_registered_model_alias(name, alias, version)
        except BaseException:
            if version is not None:
                client.delete_model_version(name, version)
            raise
    after = {"version": int(version), "value": value}
    if alias == "challenger" and before is not None:
        after = {"version": before["version"], "value": before["value"]}
    return {
        "decision": alias,
        "reasons": [reason],
        "version": int(version),
        "alias": alias,
        "champion_before": before,
        "champion_after": after,
    }


def main() -> None:
    params = apply_search(load_params(paths.PARAMS))  # the model card shows the trained params
    config = params.registration
    metrics = read_json(paths.METRICS)
    check_metrics_exist(config, metrics)
    run_info = read_json(paths.RUN_INFO)
    checks = check_thresholds(config, metrics)
    primary = {"name": config.primary_metric, "direction": config.direction}
    primary["value"] = metrics[config.primary_metric]
    tracking = connect(params.tracking.experiment)
    with active_run(tracking, run_info["run_id"]) as run:
        lineage = {k: v for k, v in run.data.tags.items() if k.startswith(LINEAGE_PREFIXES)}
        lineage |= lock_hashes(before="register") | {"data.md5.test": file_md5(paths.PREPARED_TEST)}
        lineage["mlflow.run_id"] = run_info["run_id"]
        failed = [c for c in checks if not c["passed"]]
        if failed:
            report = {
                "decision": "rejected",
                "reasons": [f"{c['rule']} failed: observed {c['observed']}" for c in failed],
                "version": None,
                "alias": None,
                "champion_before": None,
                "champion_after": None,
            }
        else:
            with tracking.timer("registration"):
                report = promote(tracking, params, run_info, metrics, checks, lineage)
        report |= {
            "registered_model": params.tracking.registered_model,
            "primary_metric": primary,
            "thresholds": checks,
        }

        def log(staged: dict[Path, Path]) -> None:  # before the file appears: all or nothing
            import mlflow

            with tracking.timer("log"):
                tags = {k: v for k, v in lineage.items() if k.startswith("dvc.")}
                tags |= {"registry.decision": report["decision"]}
                if report["version"] is not None:
                    tags["registry.version"] = str(report["version"])
                log_batch(tracking, run_info["run_id"], tags=tags)
                mlflow.log_text(staged[paths.REGISTRATION].read_text(), paths.REGISTRATION.name)

        publish({paths.REGISTRATION: json_writer(report)}, before_moving=log)
    shown = f"v{report['version']} {report['alias']}" if report["version"] else "nothing"
    print(
        f"register: {report['decision']}: registered {shown}; {report['reasons'][0]}; "
        f"{tracking.timer.summary()}"
    )


if __name__ == "__main__":
    run_stage("register", main)
