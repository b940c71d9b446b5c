"""Lineage of a pipeline execution: data hashes as DVC computes them, git state, params.

Pure functions and file reads only (no MLflow), so they are cheap and testable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ml_pipeline.core import paths

# MLflow limits: a param value to 6000 characters, a tag value to 8000.
MAX_PARAM = 6000

# The lineage tag vocabulary: each name spelled here only.
COMMIT = "git.commit"
DIRTY = "git.dirty"
PARAMS_MODIFIED = "git.params_modified"
EXP_NAME = "dvc.exp_name"
BASELINE_REV = "dvc.baseline_rev"
DVC_PREFIX = "dvc."  # dvc.<stage>.<path>: md5 of an earlier stage's output in dvc.lock
DATA_PREFIX = "data.md5."  # data.md5.<split>: md5 of a prepared split
METRIC_PREFIX = "metric."  # metric.<name>: a test metric of metrics.json (a null one: no tag)
# host.<fact>: the machine `train` ran on (cpu, cores, memory_gb, os, python, and the version of
# each of HOST_LIBRARIES): on the run only, to explain a fit time or a last-digit difference.
HOST_PREFIX = "host."
HOST_LIBRARIES = ("numpy", "pandas", "scipy", "scikit-learn", "lightgbm", "mlflow", "dvc")
# What releases before the metric catalog wrote for a null metric; read back as null.
NULL_TAGS = ("None", "null", "")
REPRODUCE = "reproduce"
RUN_ID = "mlflow.run_id"
# The registration decision on the run (registry/promotion.py writes them; the MLflow runs view
# shows the decision).
DECISION_TAG = "registry.decision"
VERSION_TAG = "registry.version"
# Monitoring after release (stage `monitor`): its run names the version it watched; the version
# carries the latest decision and the run that made it.
MONITOR_MODEL = "monitor.model"
MONITOR_VERSION = "monitor.version"
MONITOR_DECISION = "monitor.decision"
MONITOR_RUN = "monitor.run_id"


def _flag(value: bool | None) -> str | None:
    return None if value is None else str(value).lower()


def metric_value(text: str) -> float | None:
    """A `metric.<name>` tag's value; None for a null metric (legacy tags say "None")."""
    return None if text.strip() in NULL_TAGS else float(text)


@dataclass(frozen=True)
class Lineage:
    """How a model was made, as MLflow tags: written by train and register, read by reproduce.

    Fields left None (or empty) are not written; `from_tags` ignores tags it does not know.
    """

    commit: str | None = None
    dirty: bool | None = None
    params_modified: bool | None = None
    exp_name: str | None = None
    baseline_rev: str | None = None
    dvc_outs: Mapping[str, str] = field(default_factory=dict)  # "<stage>.<path>" → md5
    data_md5: Mapping[str, str] = field(default_factory=dict)  # split → md5
    reproduce: str | None = None
    run_id: str | None = None
    metrics: Mapping[str, float | None] = field(default_factory=dict)  # None: null, no tag

    @property
    def params_run_id(self) -> str | None:
        """The run whose logged params.yaml replaces the commit's (it differed), if any."""
        return self.run_id if self.params_modified else None

    def to_tags(self) -> dict[str, str]:
        single = {
            COMMIT: self.commit,
            DIRTY: _flag(self.dirty),
            PARAMS_MODIFIED: _flag(self.params_modified),
            EXP_NAME: self.exp_name,
            BASELINE_REV: self.baseline_rev,
            REPRODUCE: self.reproduce,
            RUN_ID: self.run_id,
        }
        tags = {key: value for key, value in single.items() if value is not None}
        tags |= {f"{DVC_PREFIX}{out}": md5 for out, md5 in self.dvc_outs.items()}
        tags |= {f"{DATA_PREFIX}{split}": md5 for split, md5 in self.data_md5.items()}
        tags |= {
            f"{METRIC_PREFIX}{name}": str(value)
            for name, value in self.metrics.items()
            if value is not None
        }
        return tags

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Lineage:
        def flag(key: str) -> bool | None:
            return None if key not in tags else tags[key] == "true"

        def prefixed(prefix: str, exclude: tuple[str, ...] = ()) -> dict[str, str]:
            return {
                key.removeprefix(prefix): value
                for key, value in tags.items()
                if key.startswith(prefix) and key not in exclude
            }

        return cls(
            commit=tags.get(COMMIT),
            dirty=flag(DIRTY),
            params_modified=flag(PARAMS_MODIFIED),
            exp_name=tags.get(EXP_NAME),
            baseline_rev=tags.get(BASELINE_REV),
            dvc_outs=prefixed(DVC_PREFIX, exclude=(EXP_NAME, BASELINE_REV)),
            data_md5=prefixed(DATA_PREFIX),
            reproduce=tags.get(REPRODUCE),
            run_id=tags.get(RUN_ID),
            metrics={name: metric_value(v) for name, v in prefixed(METRIC_PREFIX).items()},
        )


def file_md5(path: Path) -> str:
    """The md5 DVC 3 records for a file in dvc.lock (plain md5 of the bytes)."""
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    """Nested mappings → {"a.b.c": "value"}; lists and scalars become JSON strings."""
    if isinstance(tree, dict) and tree:
        flat: dict[str, str] = {}
        for key, value in tree.items():
            flat |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return flat
    text = tree if isinstance(tree, str) else json.dumps(tree, sort_keys=True)
    return {prefix: text[:MAX_PARAM]}


def lock_hashes(before: str | None = None, lock: Path = paths.DVC_LOCK) -> dict[str, str]:
    """`<stage>.<path>` → md5 of the outputs recorded in dvc.lock (empty if none).

    With `before`, only the stages ahead of it: while a stage runs, its own entry and the later
    ones still describe the previous execution.
    """
    if not lock.is_file():
        return {}
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
    names = list(stages)
    if before in names:
        names = names[: names.index(before)]
    return {
        f"{name}.{out['path']}": str(out.get("md5", ""))
        for name in names
        for out in stages[name].get("outs", [])
    }


def pipeline_outputs(dvc_yaml: Path) -> list[str]:
    """Paths the pipeline itself writes: dvc.lock and every stage's outs, metrics and plots."""
    if not dvc_yaml.is_file():
        return []
    stages = (yaml.safe_load(dvc_yaml.read_text()) or {}).get("stages", {})
    entries = [
        entry
        for stage in stages.values()
        for section in ("outs", "metrics", "plots")
        for entry in stage.get(section, [])
    ]
    return [
        str(paths.DVC_LOCK),
        *(next(iter(e)) if isinstance(e, dict) else str(e) for e in entries),
    ]


def git_state(cwd: Path | None = None) -> dict[str, str]:
    """Commit, dirty flag and params flag of the working tree (in a DVC experiment: its baseline).

    Dirty means code, config or data pointers differ from the commit. Two things do not count:
    the outputs the pipeline writes itself (dvc.lock, metrics, reports), and params.yaml, which
    `dvc exp run -S` rewrites and every run logs as an artifact (`git.params_modified` says
    whether it differs from the commit).
    """

    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    # A DVC experiment runs on a temporary commit of its own; its baseline is the real one.
    commit = os.environ.get("DVC_EXP_BASELINE_REV") or git("rev-parse", "HEAD")
    outputs = pipeline_outputs((cwd or Path.cwd()) / paths.DVC_YAML)
    excluded = [f":(exclude,top){path}" for path in [*outputs, paths.PARAMS]]
    changed = ["diff", "--name-only", commit, "--"]  # the working tree against the commit
    dirty = git(*changed, ".", *excluded) if commit else ""
    params_modified = git(*changed, f":(top){paths.PARAMS}") if commit else ""
    state = Lineage(
        commit=commit or "unknown", dirty=bool(dirty), params_modified=bool(params_modified)
    )
    return state.to_tags()


def reproduce_command(
    commit: str, exp_name: str | None, dirty: bool, params_modified: bool = False
) -> str:
    """The shell command that brings this execution back."""
    if exp_name:
        return f"dvc exp apply {shlex.quote(exp_name)} && dvc repro"
    command = f"git checkout {commit} && dvc checkout && dvc repro"
    if dirty:
        command += "  # plus uncommitted code changes that no commit holds"
    elif params_modified:
        command += "  # with this run's params.yaml artifact (make reproduce does all this)"
    return command


def run_lineage(stage: str, data_hashes: dict[str, str], cwd: Path | None = None) -> Lineage:
    """What ties the run `stage` starts to git, the DVC experiment and the data it used."""
    state = Lineage.from_tags(git_state(cwd))
    exp_name = os.environ.get("DVC_EXP_NAME") or None
    commit = str(state.commit)
    return Lineage(
        commit=commit,
        dirty=state.dirty,
        params_modified=state.params_modified,
        exp_name=exp_name,
        baseline_rev=os.environ.get("DVC_EXP_BASELINE_REV") or None,
        dvc_outs=lock_hashes(before=stage),
        data_md5=data_hashes,
        reproduce=reproduce_command(
            commit, exp_name, bool(state.dirty), bool(state.params_modified)
        ),
    )


def host_tags() -> dict[str, str]:
    """`host.*` tags: CPU model, logical cores, memory, OS, Python and key library versions."""
    import platform
    from importlib import metadata

    facts = {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count() or "unknown"),
        "memory_gb": memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    for library in HOST_LIBRARIES:
        try:
            facts[library] = metadata.version(library)
        except metadata.PackageNotFoundError:
            facts[library] = "not installed"
    return {f"{HOST_PREFIX}{name}": value for name, value in facts.items()}


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux), else what `platform` knows."""
    import platform

    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def memory_gb() -> str:
    """Physical memory in GB (one decimal), or `unknown` where the OS does not say."""
    try:
        return f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1e9:.1f}"
    except (ValueError, OSError, AttributeError):
        return "unknown"
