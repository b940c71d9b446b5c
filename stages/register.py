"""Stage `register`: gate the run's model on thresholds, register it, promote it on evidence.

A passing model becomes a new version of `tracking.registered_model`, aliased `champion` if its
primary metric is at least as good as the current champion's on the same test data (else
`challenger`; also when the two are not comparable). The decision is `promotion.decide`; this
module only reads and writes: read-champion → decide → register → set-alias runs under the store
lock, so parallel experiments end with the best passing version as champion. A run is registered
once (a version a killed `register` left without alias is deleted and the decision made again);
a re-run reports the alias its version holds now; a failed gate registers nothing, reports the
current champion and is not an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.faults import is_transient
from ml_pipeline.core.outputs import json_writer, publish, read_json
from ml_pipeline.evaluation.curves import loss_name
from ml_pipeline.features.recipe import model_data
from ml_pipeline.modeling.best_params import apply_search
from ml_pipeline.registry.model_card import card_context, fitted, model_card
from ml_pipeline.registry.pairing import with_paired
from ml_pipeline.registry.promotion import (
    ALIAS_TAG,
    CHAMPION,
    Candidate,
    Champion,
    Registration,
    check_metrics_exist,
    decide,
    finished,
    passes_thresholds,
)
from ml_pipeline.registry.slice_gate import champion_slices, check_slices_exist
from ml_pipeline.reporting.pages import slice_table
from ml_pipeline.tracking.lineage import DVC_PREFIX, Lineage, file_md5, lock_hashes
from ml_pipeline.tracking.session import (
    Tracking,
    active_run,
    connect,
    log_batch,
    log_dataset,
    log_files,
)
from ml_pipeline.tracking.store import store_lock
from ml_pipeline.tracking.ui import (
    NOTE,
    registered_model_description,
    run_note,
    version_tags,
)

EVALUATION_TAG = "evaluation.md5"


def champion_value(params: Params, version: Any, lineage: Lineage) -> tuple[float | None, str]:
    """The champion's primary metric on this run's test data, and how it was obtained.

    Recorded when the champion was tested on the same data; re-scored on this test split when
    it was trained on the same data (so it never sees its own training rows); else not known.
    """
    import mlflow.sklearn
    import pandas as pd
    from mlflow.exceptions import MlflowException

    from ml_pipeline.evaluation.metrics import score

    metric = params.registration.primary_metric
    champion = Lineage.from_tags(version.tags)
    recorded = champion.metrics.get(metric)
    if champion.data_md5.get("test") == lineage.data_md5["test"] and recorded is not None:
        return recorded, "recorded on the same test data"
    if champion.data_md5.get("train") != lineage.data_md5.get("train"):
        return None, "was trained and tested on other data (data.md5.*): not comparable"
    from ml_pipeline.data.prepared import model_columns

    try:
        model = mlflow.sklearn.load_model(f"models:/{version.name}/{version.version}")
        data = model_data(params)
        test = pd.read_parquet(paths.PREPARED_TEST, columns=model_columns(data))
        value = score(model, test, data).metrics.get(metric)
    # Not comparable: a champion that cannot be loaded here (MLflow, its files, a library it
    # needs) or cannot score this data (columns, types). Anything else is a bug: it raises.
    except (MlflowException, OSError, ImportError, ValueError, KeyError) as exc:
        if is_transient(exc):  # a server that did not answer decides nothing: retryable
            raise
        return None, f"could not be re-evaluated on this test data ({type(exc).__name__}: {exc})"
    if value is None:
        return None, f"{metric} cannot be re-computed on the test data"
    return value, "re-evaluated on this test data (same training data)"


def current_champion(client: Any, name: str, create: bool = True) -> Any | None:
    """The version aliased `champion`, or None; registers the model name on first use (unless
    `create` is false: a rejected run registers nothing)."""
    from mlflow.exceptions import MlflowException

    try:
        version = client.get_registered_model(name).aliases.get(CHAMPION)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        if not create:
            return None
        try:
            client.create_registered_model(name)
        except MlflowException as created:  # registered meanwhile from another machine
            if created.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        return None
    return None if version is None else client.get_model_version(name, str(version))


def champion_of(params: Params, version: Any | None) -> Champion | None:
    """The champion version with the primary metric its tags record (not compared yet)."""
    if version is None:
        return None
    recorded = Lineage.from_tags(version.tags).metrics.get(params.registration.primary_metric)
    return Champion(int(version.version), recorded=recorded)


def registered_before(client: Any, name: str, candidate: Candidate) -> Candidate:
    """The candidate with the first finished version registered from its run (a forced or
    resumed `register`), the aliases it holds now and the alias it got. Versions a killed
    `register` left unfinished (`promotion.finished`) are deleted: the decision is made again."""
    found = client.search_model_versions(f"name='{name}' and run_id='{candidate.run_id}'")
    if not found:
        return candidate
    held = client.get_registered_model(name).aliases  # a search does not fill `aliases`
    for version in sorted(found, key=lambda v: int(v.version)):
        holds = tuple(sorted(a for a, v in held.items() if str(v) == str(version.version)))
        if finished(holds, version.tags):
            tag = version.tags.get(ALIAS_TAG)
            return replace(candidate, registered_as=int(version.version), holds=holds, decided=tag)
        client.delete_model_version(name, version.version)
        print(
            f"register: v{version.version} of run {candidate.run_id} had no alias (a killed "
            "register): deleted, deciding again"
        )
    return candidate


def promote(
    tracking: Tracking, params: Params, run_info: dict, candidate: Candidate, lineage: Lineage
) -> Registration:
    """Read the champion, decide, register a version and set its alias, under the store lock."""
    client, name = tracking.client, params.tracking.registered_model
    with store_lock(tracking.store):
        version = current_champion(client, name)
        candidate = registered_before(client, name, candidate)
        champion = champion_of(params, version)
        if champion is not None and candidate.registered_as is None:
            value, basis = champion_value(params, version, lineage)
            champion = replace(champion, value=value, basis=basis)
            if params.registration.slice_gate:  # its per-slice numbers (registry/slice_gate.py)
                found, why = champion_slices(client, version, lineage)
                champion = replace(champion, slices=found, slices_basis=why)
            champion = with_paired(params, version, champion, lineage)  # registry/pairing.py
        registration = decide(candidate, champion, params.registration, name)
        if not registration.register_version:
            return registration
        tags = version_tags(replace(lineage, metrics=candidate.metrics).to_tags())
        tags |= registration.version_tags()
        decision = f"passed, {registration.alias}: {registration.reasons[0]}"
        card = model_card(
            params,
            dict(candidate.metrics),
            list(registration.thresholds),
            decision,
            **card_context(run_info, params),
        )
        client.log_text(candidate.run_id, card, "model_card.md")  # whole, where a card is cut
        created = None
        try:  # a version without its alias is removed, also on SIGTERM/Ctrl-C
            created = client.create_model_version(
                name,
                run_info["model_uri"],
                run_id=candidate.run_id,
                tags=tags,
                description=fitted(card),  # whole: model_card.md of the run
                model_id=run_info["model_id"],
            ).version
            client.set_registered_model_alias(name, registration.alias, created)
            for tag, text in registration.finished_tags().items():  # marks it finished
                client.set_model_version_tag(name, created, tag, text)
            client.update_registered_model(name, registered_model_description(params))
        except BaseException:
            if created is not None:
                client.delete_model_version(name, created)
            raise
    return registration.registered(int(created))


def evaluation_md5() -> str:
    """md5 of what `evaluate` wrote that the run shows: metrics.json and the plot tables (the
    figures are drawn from them)."""
    digest = hashlib.md5()
    slices = [paths.SLICES] if paths.SLICES.is_file() else []  # from before per-slice metrics
    for path in [paths.METRICS, *slices, *sorted(paths.PLOTS_DIR.iterdir())]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def log_evaluation(
    tracking: Tracking, params: Params, run_info: dict, metrics: dict, tags: dict[str, str]
) -> None:
    """Log what `evaluate` wrote to the run: the test split as an input, the values of
    metrics.json (also on the model), the figures, the timings and the test loss per iteration
    (as learning_curve.csv has it: 6 significant digits). Once per evaluation (tag
    `evaluation.md5`): a `register` re-run for new thresholds logs nothing again."""
    import mlflow
    import pandas as pd

    digest, run_id = evaluation_md5(), run_info["run_id"]
    if tags.get(EVALUATION_TAG) == digest:
        return
    with tracking.timer("log"):
        from ml_pipeline.data.prepared import model_columns

        test = pd.read_parquet(paths.PREPARED_TEST, columns=model_columns(model_data(params)))
        dataset = log_dataset(paths.PREPARED_TEST, test, params.data.target, "testing")
        defined = {k: v for k, v in metrics.items() if v is not None}  # null: undefined (README)
        mlflow.log_metrics(defined, model_id=run_info["model_id"], dataset=dataset)
        log_files([paths.FIGURES_DIR, paths.TIMINGS, paths.SLICES, paths.PREDICTIONS])
        if paths.SLICES.is_file():  # the per-slice metrics as a table in the MLflow UI
            mlflow.log_table(slice_table(read_json(paths.SLICES)), "slices_table.json")
        curve = paths.PLOTS_DIR / paths.LEARNING_CURVE_CSV
        if curve.exists():  # header only for a model without boosting iterations
            name, losses = f"test_{loss_name(params.data.task)}", pd.read_csv(curve)["loss"]
            log_batch(tracking, run_id, steps=[(name, v, i) for i, v in enumerate(losses)])
        log_batch(tracking, run_id, tags={EVALUATION_TAG: digest})  # last: all was logged


def run(  # slices: reports/slices.json, for register.slice_gate
    params: Params, tracking: Tracking, run_info: dict, metrics: dict, slices: dict | None = None
) -> Registration:
    """Log the evaluation to the run of `run_info`, gate it and register it when it passes;
    log the decision."""
    candidate = Candidate(run_info["run_id"], metrics, slices=slices)
    with active_run(tracking, candidate.run_id) as mlflow_run:
        log_evaluation(tracking, params, run_info, metrics, mlflow_run.data.tags)
        lineage = Lineage.from_tags(mlflow_run.data.tags)
        lineage = replace(
            lineage,
            dvc_outs=dict(lineage.dvc_outs) | lock_hashes(before="register"),
            data_md5=dict(lineage.data_md5) | {"test": file_md5(paths.PREPARED_TEST)},
            run_id=candidate.run_id,
        )
        if passes_thresholds(params.registration, metrics):
            with tracking.timer("registration"):
                registration = promote(tracking, params, run_info, candidate, lineage)
        else:  # the champion stays; nothing registered (an earlier version of the run is kept)
            name, client = params.tracking.registered_model, tracking.client
            with store_lock(tracking.store):
                champion = champion_of(params, current_champion(client, name, create=False))
                candidate = registered_before(client, name, candidate)
            registration = decide(candidate, champion, params.registration, name)

        def log(staged: dict[Path, Path]) -> None:  # before the file appears: all or nothing
            import mlflow

            with tracking.timer("log"):
                tags = {k: v for k, v in lineage.to_tags().items() if k.startswith(DVC_PREFIX)}
                tags |= registration.run_tags()
                tags[NOTE] = run_note(params, metrics, registration.report())
                log_batch(
                    tracking, candidate.run_id, metrics=registration.paired_metrics(), tags=tags
                )
                mlflow.log_text(staged[paths.REGISTRATION].read_text(), paths.REGISTRATION.name)

        written = {
            paths.REGISTRATION: json_writer(registration.report()),
            **cost_output("register"),
        }
        publish(written, before_moving=log)
    return registration


@entry_point("register")
def main(argv: list[str] | None = None) -> None:
    params = apply_search(load_params(paths.PARAMS))  # the model card shows the trained params
    metrics = read_json(paths.METRICS)
    check_metrics_exist(params.registration, metrics)
    for written in (paths.TIMINGS, paths.FIGURES_DIR, paths.PLOTS_DIR):  # evaluate's other outputs
        written.stat()  # a missing one raises FileNotFoundError naming it: one line
    run_info = read_json(paths.RUN_INFO)
    tracking = connect(params.tracking.experiment)
    slices = read_json(paths.SLICES) if paths.SLICES.is_file() else None
    check_slices_exist(params.registration, slices)
    registration = run(params, tracking, run_info, metrics, slices)
    print(f"register: {registration.summary()}; {tracking.timer.summary()}")


if __name__ == "__main__":
    raise SystemExit(main())
