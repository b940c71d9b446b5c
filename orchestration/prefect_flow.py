"""The pipeline as a Prefect 3 flow: one task per dvc.yaml stage, each running `dvc repro`.

    python -m orchestration.prefect_flow run [--repo .] [-S data=tiny] [--target STAGE] [--publish]
    python -m orchestration.prefect_flow serve [--repo .] [-S ...]  # daily at orchestrate.cron

`run` needs no server (Prefect's ephemeral API); `serve` registers a deployment with the cron of
`orchestrate.cron` and runs it, with `--publish`, on the Prefect API it is pointed at. A run
that publishes composes params.yaml from conf/ (and its -S overrides), whatever params.yaml
the last run left; `run` without --publish uses params.yaml as it is when given no -S.
Exit status of `run`: 0 done; 2 a stage's own error or a bad config (not retried); 1 otherwise
(a transient failure, retried first: orchestration/stage.py `classify`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Before Prefect is imported: its ephemeral server's 20 s start-up limit is too short on a busy box.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import yaml  # noqa: E402
from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.states import Failed, State  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

from ml_pipeline.core.config import parse_params  # noqa: E402
from ml_pipeline.core.errors import StageError  # noqa: E402
from orchestration.config import load_run_config, stages_up_to, write_params  # noqa: E402
from orchestration.graph import StageGraph, read_graph  # noqa: E402
from orchestration.lock import RepositoryBusy, pipeline_lock  # noqa: E402
from orchestration.nightly import act_on_decision, publish_outcome  # noqa: E402
from orchestration.publish import PublishError, check_clean, restore, snapshot  # noqa: E402
from orchestration.stage import (  # noqa: E402
    ERROR_LINE,
    StageFailed,
    classify,
    is_transient_failure,
    repro,
)


def _retryable(task, task_run, state) -> bool:  # noqa: ANN001 (Prefect's hook signature)
    """Retry a transient failure of a stage, or `dvc` that could not be started (OSError); not
    the stage's own error line (exit 2), and not a bug of the flow itself."""
    failure = state.result(raise_on_failure=False)
    return isinstance(failure, OSError) or (isinstance(failure, StageFailed) and failure.retryable)


# DVC's run cache is the only cache: Prefect caches nothing and keeps no results.
@task(cache_policy=NO_CACHE, persist_result=False, retry_condition_fn=_retryable)
def stage_task(repo: str, stage: str) -> str:
    """Run one stage through `dvc repro`; log its output; return its summary line."""
    logger = get_run_logger()
    run = repro(Path(repo), stage)
    for line in run.stdout.splitlines():
        if line.strip():
            logger.info(line)
    failure = classify(run)
    for line in run.stderr.splitlines():
        if line.strip():
            (logger.error if failure and ERROR_LINE.match(line) else logger.warning)(line)
    if failure:
        raise failure
    return run.summary


@flow(
    name="ml-pipeline",
    task_runner=ThreadPoolTaskRunner(max_workers=1),  # DVC runs one stage at a time per workspace
    persist_result=False,
    validate_parameters=True,
)
def pipeline(
    repo: str = ".",
    overrides: list[str] | None = None,
    target: str | None = None,
    publish_results: bool = False,
) -> list[str] | State:
    """Run dvc.yaml's stages (up to `target`) in `repo`; with `publish_results`, keep the results
    on a `retrain/<date>` branch. Returns the stages' summary lines, or a Failed state whose
    message is the one line that says why (a stage's own error, a bad config, a busy repo)."""
    logger = get_run_logger()
    try:
        summaries = _run(Path(repo).resolve(), list(overrides or []), target, publish_results)
    except (StageFailed, StageError, RepositoryBusy, PublishError) as exc:
        line = _failure_line(exc)
        logger.error(line)
        return Failed(message=line)
    for line in summaries:
        logger.info(line)
    return summaries


def _run(root: Path, overrides: list[str], target: str | None, publish_results: bool) -> list[str]:
    config = load_run_config(root, overrides, from_conf=publish_results)
    settings = config.orchestrate
    with pipeline_lock(root, settings.lock_timeout_seconds):
        if publish_results:
            check_clean(root)
            before = snapshot(root)
        write_params(root, config)
        graph = read_graph(root)
        run_stage = stage_task.with_options(
            retries=settings.retries, retry_delay_seconds=settings.retry_delay_seconds
        )
        try:
            summaries = _stages(root, graph, run_stage, target)
            outcome = act_on_decision(
                root,
                parse_params(yaml.safe_load(config.params_text)).data,
                publish_results and target is None,
                lambda: _stages(root, graph, run_stage, None),  # retrain on the appended rows
            )
        except BaseException:
            if publish_results:
                restore(root, before)
                get_run_logger().error("workspace restored; no branch written")
            raise
        summaries += list(outcome.notes)
        try:
            if publish_results:
                summaries += list(publish_outcome(root, settings, outcome))
        finally:
            if outcome.extra:  # the new data version and its results live on the branch
                restore(root, before)
    return summaries


def _stages(root: Path, graph: StageGraph, run_stage, target: str | None) -> list[str]:  # noqa: ANN001
    """Submit the stages (up to `target`) in graph order; their summary lines."""
    futures: dict = {}
    for stage in stages_up_to(graph.stages, graph.edges, target):
        upstream = [futures[s] for s in graph.upstream(stage) if s in futures]
        futures[stage] = run_stage.with_options(name=stage, task_run_name=stage).submit(
            str(root), stage, wait_for=upstream
        )
    return [future.result() for future in futures.values()]


def _failure_line(exc: BaseException) -> str:
    """The one line that says why a run failed (a stage's line names its stage)."""
    return exc.line if isinstance(exc, StageFailed) else f"orchestrate: error: {exc}"


def _serve(args: argparse.Namespace) -> int:
    """Serve the flow on `orchestrate.cron` (composed from conf/): every run publishes."""
    if not os.environ.get("PREFECT_API_URL"):
        print(
            "orchestrate: error: a schedule needs a Prefect server: start one "
            "(`make prefect-server`, or deploy/docker-compose.yml) and export "
            "PREFECT_API_URL=http://127.0.0.1:4200/api",
            file=sys.stderr,
        )
        return 2
    root = Path(args.repo).resolve()
    try:
        settings = load_run_config(root, args.overrides, from_conf=True).orchestrate
    except StageError as exc:
        print(f"orchestrate: error: {exc}", file=sys.stderr)
        return 2
    pipeline.serve(
        name="nightly",
        cron=settings.cron,
        global_limit=1,  # one run of the deployment at a time (the lock covers the rest)
        parameters={
            "repo": str(root),
            "overrides": args.overrides,
            "target": args.target,
            "publish_results": True,
        },
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "serve"])
    parser.add_argument("--repo", default=".", help="the DVC repository (default: .)")
    parser.add_argument(
        "-S",
        "--set",
        dest="overrides",
        action="append",
        default=[],
        help="Hydra override, as with `dvc exp run -S` (repeatable)",
    )
    parser.add_argument("--target", default=None, help="run only up to this stage")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="commit the results to a retrain/<date> branch (serve always does)",
    )
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    state = pipeline(
        repo=args.repo,
        overrides=args.overrides,
        target=args.target,
        publish_results=args.publish,
        return_state=True,
    )
    if state.is_completed():
        return 0
    line = state.message or "orchestrate: error: the flow failed"
    print(line, file=sys.stderr)
    return 1 if is_transient_failure(line) or "encountered an exception" in line else 2


if __name__ == "__main__":
    raise SystemExit(main())
