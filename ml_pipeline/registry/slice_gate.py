"""The per-slice gate (`register.slice_gate`): no judged slice worse than the champion's.

A candidate fails when, on some slice judged in its reports/slices.json (evaluation/slices.py),
its whole 95 % interval of the primary metric lies on the bad side of the champion's value on
the same slice: worse beyond what the test rows' noise explains. The champion's per-slice
numbers come from its run (the `slices.json` artifact `register` logs); they are comparable only
when the champion was tested on the same test data (`data.md5.test`). `slice_checks` is pure;
`champion_slices` does the reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ml_pipeline.core import paths
from ml_pipeline.core.errors import StageError
from ml_pipeline.core.faults import is_transient
from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES
from ml_pipeline.tracking.lineage import Lineage

if TYPE_CHECKING:
    from ml_pipeline.core.config import RegisterConfig
    from ml_pipeline.registry.promotion import Champion

ARTIFACT = "slices.json"  # the run artifact `register` logs (reports/slices.json)
RULE = "register.slice_gate"


def judged_values(report: Mapping[str, Any] | None, metric: str) -> dict[str, dict[str, Any]]:
    """`column=slice` → the metric and its bounds, for every judged slice of a report."""
    values = {}
    for column, content in (report or {}).get("columns", {}).items():
        for entry in content["slices"]:
            if entry["judged"] and entry["metrics"].get(metric) is not None:
                values[f"{column}={entry['slice']}"] = entry["metrics"]
    return values


def worse_slices(
    candidate: Mapping[str, Any], champion: Mapping[str, Any], metric: str, direction: str
) -> list[str]:
    """The judged slices (in both reports) whose interval lies wholly on the bad side of the
    champion's value, one text each: `race=Black 0.9 (95 %: 0.88 to 0.92) vs champion 0.95`."""
    lower, upper = INTERVAL_SUFFIXES
    theirs = judged_values(champion, metric)
    found = []
    for name, ours in judged_values(candidate, metric).items():
        value = theirs.get(name, {}).get(metric)
        low, high = ours.get(metric + lower), ours.get(metric + upper)
        if value is None or low is None or high is None:
            continue
        if (high < value) if direction == "higher" else (low > value):
            found.append(f"{name} {ours[metric]} (95 %: {low} to {high}) vs champion {value}")
    return found


def check_slices_exist(config: RegisterConfig, slices: Mapping[str, Any] | None) -> None:
    """register.slice_gate needs the candidate's slices (an evaluation from before them has
    none): one line naming the file."""
    if config.slice_gate and not (slices or {}).get("columns"):
        raise StageError(
            f"register.slice_gate: {paths.SLICES} has no slices (an evaluation from before "
            "data.slices): run `dvc repro evaluate`, or set register.slice_gate: false"
        )


def slice_checks(
    config: RegisterConfig, slices: Mapping[str, Any] | None, champion: Champion | None
) -> tuple[dict[str, Any], ...]:
    """The gate entry of `register.slice_gate` (none when it is off), as `check_thresholds`
    writes them: passed without a champion or when its slices are not comparable (the rule
    says why)."""
    if not config.slice_gate:
        return ()
    metric = config.primary_metric
    rule = f"no judged slice's {metric} worse than the champion's beyond its 95 % interval ({RULE})"
    if champion is None or champion.slices is None:
        why = "no champion yet" if champion is None else f"champion {champion.slices_basis}"
        return ({"metric": metric, "rule": f"{rule} (not gated: {why})", "observed": None,
                 "passed": True},)  # fmt: skip
    worse = worse_slices(slices or {}, champion.slices, metric, config.direction)
    observed = "; ".join(worse) if worse else f"no slice worse than champion v{champion.version}"
    return ({"metric": metric, "rule": rule, "observed": observed, "passed": not worse},)


def champion_slices(
    client: Any, version: Any, lineage: Lineage
) -> tuple[Mapping[str, Any] | None, str]:
    """The per-slice report of the champion `version`'s run, or None and why it is not
    comparable with this run's (`lineage`)."""
    from mlflow.exceptions import MlflowException

    if Lineage.from_tags(version.tags).data_md5.get("test") != lineage.data_md5.get("test"):
        return None, "was tested on other data (data.md5.test): slices not comparable"
    try:
        path = client.download_artifacts(version.run_id, ARTIFACT)
    except (MlflowException, OSError) as exc:
        if is_transient(exc):  # a server that did not answer decides nothing: retryable
            raise
        return None, f"has no {ARTIFACT} (registered before per-slice metrics)"
    with open(path) as file:
        return json.load(file), "recorded on the same test data"
