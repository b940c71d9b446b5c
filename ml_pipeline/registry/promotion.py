"""The registration decision as a pure function: thresholds, champion comparison, reason text.

`decide` returns a `Registration`; reports/registration.json, the registered version's tags and
the run's `registry.*` tags are all written from it (stages/register.py does only the I/O).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Final, Literal

from ml_pipeline.core.config import Direction, RegisterConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation.baselines import skill
from ml_pipeline.evaluation.paired import Paired, paired_report
from ml_pipeline.registry.slice_gate import slice_checks
from ml_pipeline.tracking.lineage import DECISION_TAG, VERSION_TAG

CHAMPION: Final = "champion"
CHALLENGER: Final = "challenger"
REJECTED: Final = "rejected"
UNDEFINED = " (not gated: null, undefined on this data)"
Decision = Literal["champion", "challenger", "rejected"]

# Tags of a registered version (besides its lineage) and of the run that registered it.
GATE_TAG = "gate"
ALIAS_TAG = "alias.at_registration"
PRIMARY_METRIC_TAG = "primary_metric"


@dataclass(frozen=True)
class Candidate:
    """The run being registered: its test metrics, and its version if registered before: the
    aliases that version holds now and the alias it got when registered (`ALIAS_TAG`)."""

    run_id: str
    metrics: Mapping[str, float | None]  # None: null, undefined on this data (MAPE near zero)
    registered_as: int | None = None
    holds: tuple[str, ...] = ()
    decided: str | None = None
    slices: Mapping[str, Any] | None = None  # reports/slices.json, for register.slice_gate


@dataclass(frozen=True)
class Champion:
    """The current champion version, and its primary metric on the candidate's test data.

    `value` is None when the two are not comparable (`basis` says why); `recorded` is the
    value its own tags record.
    """

    version: int
    value: float | None = None
    basis: str = ""
    recorded: float | None = None
    slices: Mapping[str, Any] | None = None  # its run's slices.json where comparable
    slices_basis: str = "slices not read"
    paired: Paired | None = None  # candidate − champion on the same rows (registry/pairing.py)
    paired_note: str = ""  # how it was paired, or why not


@dataclass(frozen=True)
class Registration:
    """What `register` decided and why; `register_version` says whether to create a version."""

    decision: Decision
    reasons: tuple[str, ...]
    alias: str | None
    version: int | None
    champion_before: dict[str, Any] | None
    champion_after: dict[str, Any] | None
    registered_model: str
    primary_metric: dict[str, Any]
    thresholds: tuple[dict[str, Any], ...]
    register_version: bool = False
    paired: dict[str, Any] | None = None  # the paired comparison with the champion, if made

    def registered(self, version: int) -> Registration:
        """This decision once the new version exists (a new champion is that version)."""
        after = self.champion_after
        if self.alias == CHAMPION:
            after = {"version": version, "value": self.primary_metric["value"]}
        return replace(self, version=version, champion_after=after, register_version=False)

    def report(self) -> dict[str, Any]:
        """The content of reports/registration.json."""
        report = asdict(self)
        del report["register_version"]
        report["reasons"], report["thresholds"] = list(self.reasons), list(self.thresholds)
        return report

    def version_tags(self) -> dict[str, str]:
        """Tags of the registered version when it is created, besides its lineage."""
        return {GATE_TAG: "passed", PRIMARY_METRIC_TAG: self.primary_metric["name"]}

    def finished_tags(self) -> dict[str, str]:
        """The tag a version gets once its alias is set: it marks the registration finished."""
        return {ALIAS_TAG: str(self.alias)}

    def paired_metrics(self) -> dict[str, float]:
        """`paired.<metric>.difference`/`.ci_lower`/`.ci_upper` for the run (when paired)."""
        if not self.paired or self.paired.get("difference") is None:
            return {}
        metric = self.paired["metric"]
        keys = ("difference", "ci_lower", "ci_upper")
        return {f"paired.{metric}.{key}": self.paired[key] for key in keys}

    def run_tags(self) -> dict[str, str]:
        """Tags of the run that was gated."""
        tags: dict[str, str] = {DECISION_TAG: self.decision}
        if self.version is not None:
            tags[VERSION_TAG] = str(self.version)
        return tags

    def summary(self) -> str:
        shown = f"v{self.version} {self.alias or '(no alias now)'}" if self.version else "nothing"
        return f"{self.decision}: registered {shown}; {self.reasons[0]}"


def finished(aliases: Sequence[str], tags: Mapping[str, str]) -> bool:
    """Whether a registered version was finished: it holds an alias, or carries `ALIAS_TAG`
    (set right after its alias, which a newer champion or challenger may have taken since).
    A version with neither was left by a `register` killed between creating it and setting
    its alias: it is deleted and the decision made again."""
    return bool(aliases) or ALIAS_TAG in tags


def check_metrics_exist(config: RegisterConfig, metrics: Mapping[str, float]) -> None:
    """Every metric the gate names must be in metrics.json (the task decides which exist)."""
    for key, metric in config.named_metrics():
        if metric not in metrics:
            present = ", ".join(sorted(metrics))
            raise StageError(
                f"{key}: metric {metric!r} is not in metrics.json (has: {present}); choose this "
                "dataset's gate with `- override /register: <option>` in its conf/data file"
            )
    for i, threshold in enumerate(config.thresholds):
        if threshold.gated() not in metrics:
            raise StageError(
                f"register.thresholds[{i}].bound: {threshold.gated()!r} is not in metrics.json "
                "(an evaluation from before intervals): run `dvc repro evaluate`, or write "
                "bound: point"
            )


def at_least(value: float, bound: float, direction: Direction) -> bool:
    """`value` is at least as good as `bound` in `direction`."""
    return value >= bound if direction == "higher" else value <= bound


def check_thresholds(config: RegisterConfig, metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per gate rule (metric, rule, observed value, passed): each threshold, then
    `register.beat_baseline` when it is on.

    A threshold compares the metric or, with `bound: conservative`, the bad end of its 95 %
    interval (`ThresholdConfig.gated`). A metric that is null in metrics.json (MAPE near a zero
    target) is undefined: not gated.
    """
    checks = [
        {
            "metric": t.gated(),
            "rule": f"{t.gated()} {'>=' if t.direction == 'higher' else '<='} {t.value}"
            + (UNDEFINED if metrics[t.gated()] is None else ""),
            "observed": metrics[t.gated()],
            "passed": metrics[t.gated()] is None
            or at_least(metrics[t.gated()], t.value, t.direction),
        }
        for t in config.thresholds
    ]
    if config.beat_baseline:
        checks.append(baseline_check(config, metrics))
    return checks


def baseline_check(config: RegisterConfig, metrics: Mapping[str, Any]) -> dict[str, Any]:
    """register.beat_baseline: the primary metric's skill must reach register.baseline_margin."""
    metric = config.primary_metric
    value, baseline = metrics.get(metric), metrics.get(f"baseline.{metric}")
    observed = skill(metric, value, baseline)
    return {
        "metric": f"skill.{metric}",
        "rule": f"skill.{metric} >= {config.baseline_margin} (register.beat_baseline: "
        f"{metric} {value} vs baseline {baseline})",
        "observed": observed,
        "passed": observed is not None and observed >= config.baseline_margin,
    }


def passes_thresholds(config: RegisterConfig, metrics: Mapping[str, float]) -> bool:
    return all(check["passed"] for check in check_thresholds(config, metrics))


def decide(
    candidate: Candidate, champion: Champion | None, config: RegisterConfig, registered_model: str
) -> Registration:
    """Rejected on a failed threshold; else champion or challenger, with the reason.

    First passing model: champion. Comparison off: champion. Not comparable (a null primary
    metric, or a champion tested elsewhere): challenger.
    Else champion when at least as good as the champion on the same test data. A run registered
    before keeps its version (nothing is registered again).
    """
    metric = config.primary_metric
    value = candidate.metrics[metric]
    checks = tuple(check_thresholds(config, candidate.metrics))
    checks += slice_checks(config, candidate.slices, champion)  # registry/slice_gate.py
    common: dict[str, Any] = {
        "registered_model": registered_model,
        "primary_metric": {"name": metric, "direction": config.direction, "value": value},
        "thresholds": checks,
        "paired": None
        if champion is None
        else paired_report(champion.paired, champion.paired_note),
    }
    failed = [c for c in checks if not c["passed"]]
    kept = None if champion is None else {"version": champion.version, "value": champion.recorded}
    if failed:  # the champion, if any, stays as it is
        reasons = tuple(f"{c['rule']} failed: observed {c['observed']}" for c in failed)
        if candidate.registered_as is None:
            return Registration(REJECTED, reasons, None, None, kept, kept, **common)
        alias = held_alias(candidate)  # registered by an earlier gate: the registry is unchanged
        reasons += (
            f"run {candidate.run_id} was registered as v{candidate.registered_as} before, which "
            f"holds {alias or 'no alias'} now; nothing changed in the registry",
        )
        return Registration(REJECTED, reasons, alias, candidate.registered_as, kept, kept, **common)
    if candidate.registered_as is not None:
        return already_registered(candidate, champion, common)
    if champion is None:
        reason = "no champion yet: the first passing model becomes champion"
        return Registration(
            CHAMPION, (reason,), CHAMPION, None, None, None, **common, register_version=True
        )
    before = {"version": champion.version, "value": champion.value, "basis": champion.basis}
    kept = {"version": champion.version, "value": champion.value}
    alias, reason = compare(metric, value, champion, config)
    after = kept if alias == CHALLENGER else None
    return Registration(
        alias, (reason,), alias, None, before, after, **common, register_version=True
    )


def already_registered(
    candidate: Candidate, champion: Champion | None, common: dict[str, Any]
) -> Registration:
    """A run registered before keeps its version; the report states the alias that version
    holds now (the registry's truth) and the decision made when it was registered."""
    version, alias = candidate.registered_as, held_alias(candidate)
    reason = f"run {candidate.run_id} is already registered as v{version}: not registered again"
    if alias != CHAMPION:
        other = f"champion is v{champion.version}" if champion else "no champion"
        reason += f"; v{version} holds {alias or 'no alias'} now ({other})"
    decision: Decision = CHAMPION if (candidate.decided or alias) == CHAMPION else CHALLENGER
    kept = None if champion is None else {"version": champion.version, "value": champion.recorded}
    return Registration(decision, (reason,), alias, version, kept, kept, **common)


def held_alias(candidate: Candidate) -> str | None:
    """The alias the candidate's registered version holds now (champion first), or None."""
    return next((a for a in (CHAMPION, CHALLENGER) if a in candidate.holds), None)


def compare(
    metric: str, value: float | None, champion: Champion, config: RegisterConfig
) -> tuple[Decision, str]:
    """Champion or challenger against the current champion, and why in one line. A null
    primary metric (undefined on this data) on either side is not comparable: challenger."""
    if not config.compare_with_champion:
        return CHAMPION, "register.compare_with_champion is false: promoted without comparison"
    if value is None:
        return CHALLENGER, (
            f"not comparable: {metric} is null (undefined on this test data); champion "
            f"v{champion.version} kept"
        )
    if champion.value is None:
        return CHALLENGER, f"champion v{champion.version} {champion.basis}: kept as champion"
    better = at_least(value, champion.value, config.direction)
    alias: Decision
    verb = "at least as good as" if better else "worse than"
    reason = (
        f"{metric} {value} is {verb} champion v{champion.version}'s {champion.value} "
        f"({champion.basis})"
    )
    if better and config.require_paired_interval:
        paired = champion.paired
        shown = f"{paired.shown()} (95 %)" if paired else f"not known ({champion.paired_note})"
        if paired is None or not paired.excludes_zero(config.direction):
            return CHALLENGER, (
                f"{reason}, but the paired difference {shown} does not exclude zero "
                f"(register.require_paired_interval): champion v{champion.version} kept"
            )
        reason += f"; the paired difference {shown} excludes zero"
    alias = CHAMPION if better else CHALLENGER
    return alias, reason


def champion_uri(registered_model: str) -> str:
    """The URI of the current champion of `registered_model`."""
    return f"models:/{registered_model}@{CHAMPION}"
