"""Stage `score`: score each new batch of data/incoming/<dataset>/ with the registered champion
(pinned by version), and with the challenger in shadow when one exists.

Writes data/scored/<batch>.parquet per scored batch and reports/score.json (the contract with
`monitor`: docs/monitoring.md). A batch that breaks the champion's data contract is refused
with one line on stderr, status `refused` in the report, and no Parquet file: the stage still
succeeds, so the other batches are scored and monitored (a refused batch is data to look at,
not a fault of the pipeline). Nothing to score (no folder, no batch) is not an error either.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.outputs import json_writer, publish
from ml_pipeline.serving.batches import Refused, Version, batch_files, score_batch


def registered(name: str) -> tuple[Version | None, Version | None]:
    """The champion and challenger versions of `name` (None: no such alias)."""
    import mlflow

    from ml_pipeline.core import progress
    from ml_pipeline.registry.promotion import CHALLENGER, CHAMPION
    from ml_pipeline.serving.versions import load_version, shadow_reason
    from ml_pipeline.tracking.store import reachable_store

    progress.quiet_mlflow()
    client = mlflow.MlflowClient(reachable_store().tracking_uri)
    champion = load_version(client, name, CHAMPION)
    challenger = load_version(client, name, CHALLENGER) if champion is not None else None
    reason = shadow_reason(champion, challenger) if champion and challenger else None
    if reason is not None:
        print(f"score: note: {reason}: no shadow scores", file=sys.stderr)
        challenger = None
    return champion, challenger


def run(
    batches: dict[str, Path],
    champion: Version | None,
    challenger: Version | None,
    folder: Path,
    scorer: Callable[..., dict[str, Any]] = score_batch,
) -> dict[str, dict[str, Any]]:
    """Score every batch into `folder` (<batch>.parquet) with `scorer` (in this process, or
    over partitions on Dask); the report's entry per batch."""
    folder.mkdir(parents=True, exist_ok=True)
    entries, reason = {}, unscorable(champion)
    for name, path in batches.items():
        output = folder / f"{name}.parquet"
        try:
            if champion is None or reason is not None:
                raise Refused(str(reason))
            result = scorer(path, champion, challenger, output)
        except Refused as refused:
            output.unlink(missing_ok=True)
            entries[name] = {"rows": 0, "labelled": 0, "status": "refused", "reason": str(refused)}
            print(f"score: warning: batch {path}: refused: {refused}", file=sys.stderr)
            continue
        rows, labelled = result["rows"], result["labelled"]
        entries[name] = {"rows": rows, "labelled": labelled, "status": "scored", "reason": None}
        print(f"score: {name}: {rows:,} rows ({labelled:,} labelled) scored by v{champion.version}")
        for note in notes(result):
            print(f"score: {name}: {note}", file=sys.stderr)
    return entries


def unscorable(champion: Version | None) -> str | None:
    """Why no batch can be scored, or None."""
    if champion is None:
        return "no version holds the `champion` alias: register a model first"
    if champion.settings.features.active:
        return "the champion forecasts from history (features.*): score it with make predict"
    return None


def notes(result: dict[str, Any]) -> list[str]:
    """What a scored batch's output does not say: values read as missing, contract warnings."""
    from ml_pipeline.data.numbers import coerced_note

    found = [coerced_note(result["coerced"])] if result["coerced"] else []
    return found + result["warnings"]


@entry_point("score")
def main(argv: list[str] | None = None) -> None:
    params = load_params(paths.PARAMS)
    name = params.tracking.registered_model
    incoming = paths.INCOMING_DIR / params.data.name
    batches = batch_files(incoming)
    champion, challenger = registered(name) if batches else (None, None)
    report: dict[str, Any] = {
        "model": name,
        "champion": pinned(champion),
        "challenger": pinned(challenger),
        "batches": {},
    }

    def scored(folder: Path) -> None:
        if params.compute.engine != "dask" or champion is None:
            report["batches"] = run(batches, champion, challenger, folder)
            return
        from ml_pipeline.core.cluster import compute_client, dask_failure
        from ml_pipeline.serving.dask_batches import score_batch_on_dask

        with compute_client(params.compute) as client, dask_failure("scoring the batches"):
            on_dask = partial(score_batch_on_dask, client=client)
            report["batches"] = run(batches, champion, challenger, folder, on_dask)

    publish(
        {
            paths.SCORED_DIR: scored,
            paths.SCORE_REPORT: lambda p: json_writer(report)(p),
            **cost_output("score"),
        }
    )
    if not batches:
        print(f"score: nothing to score in {incoming}/")


def pinned(version: Version | None) -> dict[str, str] | None:
    """A version as reports/score.json pins it."""
    return None if version is None else {"version": version.version, "run_id": version.run_id}


if __name__ == "__main__":
    raise SystemExit(main())
