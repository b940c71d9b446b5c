"""Lineage of a pipeline execution: data hashes as DVC computes them, git state, params.

Pure functions and file reads only (no MLflow), so they are cheap and testable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import yaml

DVC_LOCK = Path("dvc.lock")
PARAMS_FILE = "params.yaml"
# MLflow limits: a param value to 6000 characters, a tag value to 8000.
MAX_PARAM = 6000


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


def lock_hashes(before: str | None = None, lock: Path = DVC_LOCK) -> dict[str, str]:
    """`dvc.<stage>.<path>` → md5 of the outputs recorded in dvc.lock (empty if none).

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
        f"dvc.{name}.{out['path']}": str(out.get("md5", ""))
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
    return ["dvc.lock", *(next(iter(e)) if isinstance(e, dict) else str(e) for e in entries)]


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
    outputs = pipeline_outputs((cwd or Path.cwd()) / "dvc.yaml")
    excluded = [f":(exclude,top){path}" for path in [*outputs, PARAMS_FILE]]
    changed = ["diff", "--name-only", commit, "--"]  # the working tree against the commit
    dirty = git(*changed, ".", *excluded) if commit else ""
    params_modified = git(*changed, f":(top){PARAMS_FILE}") if commit else ""
    return {
        "git.commit": commit or "unknown",
        "git.dirty": str(bool(dirty)).lower(),
        "git.params_modified": str(bool(params_modified)).lower(),
    }


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


def run_tags(stage: str, data_hashes: dict[str, str], cwd: Path | None = None) -> dict[str, str]:
    """Tags that tie the run `stage` starts to git, the DVC experiment and the data it used."""
    tags = git_state(cwd)
    exp_name = os.environ.get("DVC_EXP_NAME") or None
    if exp_name:
        tags["dvc.exp_name"] = exp_name
    if os.environ.get("DVC_EXP_BASELINE_REV"):
        tags["dvc.baseline_rev"] = os.environ["DVC_EXP_BASELINE_REV"]
    tags |= {f"data.md5.{name}": md5 for name, md5 in data_hashes.items()}
    tags |= lock_hashes(before=stage)
    tags["reproduce"] = reproduce_command(
        tags["git.commit"],
        exp_name,
        tags["git.dirty"] == "true",
        tags["git.params_modified"] == "true",
    )
    return tags
