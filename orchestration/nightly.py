"""What the nightly flow does with the monitor's decision (issue 24; the contract of the `score`
and `monitor` stages): read `reports/monitor_decision.json`; `ok` → record it and stop, unless
the DAG itself changed results (new data, code or params: published as before);
`retrain` → append the labelled batches (orchestration/append.py), run the pipeline again and
publish with the monitoring evidence leading the report; no decision → as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from ml_pipeline.core import paths
from ml_pipeline.core.config import DataConfig, OrchestrateConfig
from ml_pipeline.core.errors import StageError
from orchestration.append import Appended, append_batches
from orchestration.publish import git, publish

MONITOR_DECISION = paths.MONITOR_DECISION  # the monitor stage's (issue 24)
INCOMING_DIR = paths.INCOMING_DIR  # `score`'s dependency: the batches


@dataclass(frozen=True)
class Decision:
    """`reports/monitor_decision.json` as the monitor stage writes it."""

    decision: str  # "retrain" | "ok"
    reasons: tuple[str, ...]
    batches: tuple[str, ...]
    champion_version: str | None


def read_decision(repo: Path) -> Decision | None:
    """The monitor's decision, or None when there is none (no monitor stage: behave as before).
    A file that breaks the contract is one line naming the file and the key."""
    path = repo / MONITOR_DECISION
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise StageError(f"{MONITOR_DECISION}: not JSON ({exc})") from None
    if not isinstance(raw, dict) or raw.get("decision") not in ("retrain", "ok"):
        raise StageError(f"{MONITOR_DECISION}: key 'decision' must be 'retrain' or 'ok'")
    for key in ("reasons", "batches"):
        if not isinstance(raw.get(key, []), list):
            raise StageError(f"{MONITOR_DECISION}: key {key!r} must be a list")
    version = raw.get("champion_version")
    return Decision(
        raw["decision"],
        tuple(map(str, raw.get("reasons", []))),
        tuple(map(str, raw.get("batches", []))),
        None if version is None else str(version),
    )


def evidence(decision: Decision, appended: Appended | None) -> str:
    """The report's first section: why the run retrained (or did not), in the monitor's words."""
    lines = [
        f"## Monitoring evidence: {decision.decision}",
        "",
        f"Champion version {decision.champion_version or '?'}; batches: "
        + (", ".join(decision.batches) or "none"),
        "",
        *[f"- {reason}" for reason in decision.reasons],
    ]
    if appended is not None:
        added = ", ".join(f"{b}: {n} row(s)" for b, n in appended.rows.items()) or "none"
        lines += ["", f"Labelled rows appended to the training data: {added}."]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Outcome:
    """What the monitor's decision made of a run: the decision, the rows appended, notes."""

    decision: Decision | None
    appended: Appended | None
    notes: tuple[str, ...] = ()
    changed: bool = False  # the DAG changed results besides score and monitor (results_changed)

    @property
    def publishes(self) -> bool:
        """No decision (no monitor stage): publish as before; `retrain`: when labelled rows were
        appended and the pipeline ran on them; else (`ok`, or nothing to append) only when the
        DAG changed results besides monitoring (new data, code or params), as before."""
        return self.decision is None or self.changed or bool(self.appended and self.appended.files)

    @property
    def lead(self) -> str | None:
        """The monitoring evidence that opens the pull-request report."""
        return evidence(self.decision, self.appended) if self.decision else None

    @property
    def extra(self) -> tuple[str, ...]:
        return self.appended.files if self.appended else ()


def monitoring_stages(lock: dict) -> set[str]:
    """The stages of a dvc.lock fed by the incoming batches (`score`), and those downstream of
    them (`monitor`): what a new batch re-runs."""
    found: set[str] = set()
    watched = [str(INCOMING_DIR)]
    while True:
        more = {
            name
            for name, stage in lock.items()
            if name not in found
            and any(
                d["path"] == w or d["path"].startswith(f"{w}/")
                for d in stage.get("deps", [])
                for w in watched
            )
        }
        if not more:
            return found
        found |= more
        watched += [o["path"] for name in more for o in lock[name].get("outs", [])]


def results_changed(repo: Path) -> bool:
    """Whether the DAG changed results besides monitoring: a stage other than
    `monitoring_stages` whose dvc.lock entry differs from HEAD's (it ran on new data, code or
    params). No dvc.lock in the workspace: nothing ran, nothing changed."""
    path = repo / "dvc.lock"
    if not path.is_file():
        return False
    now = (yaml.safe_load(path.read_text()) or {}).get("stages", {})
    committed = git(repo, "show", "HEAD:dvc.lock", check=False)  # "" when HEAD has none
    before = (yaml.safe_load(committed) or {}).get("stages", {}) if committed else {}
    skip = monitoring_stages(now) | monitoring_stages(before)
    return {k: v for k, v in now.items() if k not in skip} != {
        k: v for k, v in before.items() if k not in skip
    }


def act_on_decision(
    repo: Path, data: DataConfig, publishing: bool, rerun: Callable[[], list[str]]
) -> Outcome:
    """After the DAG: no decision, or `ok` on no batch → as before; `ok` → record it, stop
    (publish as before if the DAG changed results: `results_changed`); `retrain` in a run that
    publishes → append the labelled batches and `rerun` the pipeline on them."""
    decision = read_decision(repo)
    if decision is None or (decision.decision == "ok" and not decision.batches):
        return Outcome(None, None)  # no monitor stage, or no batch yet to judge: as before
    said = f"monitor: {decision.decision}: {'; '.join(decision.reasons) or 'no reason given'}"
    changed = publishing and results_changed(repo)
    stop = "nothing retrained, " + (
        "the DAG's results changed (data, code or params): published as before"
        if changed
        else "nothing published"
    )
    if decision.decision == "ok":
        return Outcome(decision, None, (f"{said}; {stop}",), changed)
    if not publishing:
        return Outcome(decision, None, (f"{said}; a run once appends and retrains nothing",))
    appended = append_batches(repo, data, decision.batches)
    rows = ", ".join(f"{b}: {n}" for b, n in appended.rows.items()) or "none new"
    if not appended.files:
        return Outcome(
            decision, appended, (f"{said}; no labelled rows to append ({rows}): {stop}",), changed
        )
    notes = (said, f"appended labelled rows ({rows}) as a new data version", *rerun())
    return Outcome(decision, appended, notes)


def publish_outcome(repo: Path, settings: OrchestrateConfig, outcome: Outcome) -> tuple[str, ...]:
    """Keep the results on a `<branch_prefix><date>` branch when `outcome` publishes, its
    monitoring evidence first in the report; the notes of what was done (none: nothing)."""
    if not outcome.publishes:
        return ()
    done = publish(
        repo,
        settings.branch_prefix,
        settings.base_branch,
        settings.git_remote,
        settings.push_data,
        extra=outcome.extra,
        lead=outcome.lead,
    )
    return done.notes


def save_outcome(path: Path, outcome: Outcome) -> None:
    """Keep the outcome for a later Airflow task (`publish`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(outcome)))


def load_outcome(path: Path) -> Outcome:
    """The outcome `save_outcome` kept; no file: no decision (publish as before)."""
    if not path.is_file():
        return Outcome(None, None)
    raw = json.loads(path.read_text())
    said, added = raw["decision"], raw["appended"]
    decision = (
        Decision(
            said["decision"],
            tuple(said["reasons"]),
            tuple(said["batches"]),
            said["champion_version"],
        )
        if said
        else None
    )
    appended = Appended(added["rows"], tuple(added["files"])) if added else None
    return Outcome(decision, appended, tuple(raw["notes"]), bool(raw.get("changed")))
