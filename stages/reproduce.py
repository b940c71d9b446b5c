"""Reproduce a registered model version from its lineage and say whether its metrics match.

    python -m stages.reproduce models:/<name>/<version>      (make reproduce MODEL=...)

Reads the version's lineage tags (git commit, dirty flag, data hashes, metrics), checks the
commit out in a temporary git worktree, brings its DVC-tracked data from the local cache or the
remote, re-runs the pipeline up to `evaluate` (into a throwaway MLflow store, without the DVC run
cache), verifies the prepared data's hashes and compares the metrics. Exit 0 when everything
matches, 1 when something differs, 2 when it cannot reproduce at all.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from stages.errors import StageError, run_stage
from stages.lineage import file_md5

URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")
DATA_FILES = {"train": "data/prepared/train.parquet", "test": "data/prepared/test.parquet"}


@dataclass(frozen=True)
class Lineage:
    """What a model version records about how it was made."""

    commit: str
    data_md5: dict[str, str]
    metrics: dict[str, float]


def parse_uri(uri: str) -> tuple[str, str]:
    """`models:/<name>/<version>` → (name, version)."""
    match = URI.match(uri)
    if not match:
        example = "models:/ml-pipeline-adult/3"
        raise StageError(f"{uri!r}: expected models:/<name>/<version>, e.g. {example}")
    return match["name"], match["version"]


def lineage_from_tags(uri: str, tags: dict[str, str]) -> Lineage:
    """The lineage a version's tags carry; refuse versions that cannot be reproduced exactly."""
    commit = tags.get("git.commit", "")
    if not commit or commit == "unknown":
        raise StageError(
            f"{uri} has no lineage (no git.commit tag): it was not registered by this pipeline"
        )
    if tags.get("git.dirty") == "true":
        exp = tags.get("dvc.exp_name")
        hint = f" (DVC experiment {exp}: `dvc exp branch {exp}` and commit it)" if exp else ""
        raise StageError(
            f"{uri} was trained from uncommitted changes on top of {commit[:10]} (git.dirty=true), "
            f"so no commit holds its exact code and params{hint}"
        )
    data = {split: tags[f"data.md5.{split}"] for split in DATA_FILES if f"data.md5.{split}" in tags}
    metrics = {
        k.removeprefix("metric."): float(v) for k, v in tags.items() if k.startswith("metric.")
    }
    if not metrics:
        raise StageError(f"{uri} has no metric.* tags to compare with")
    return Lineage(commit=commit, data_md5=data, metrics=metrics)


def differences(recorded: dict[str, float], reproduced: dict[str, float]) -> list[str]:
    """One line per recorded metric that the reproduction does not give back exactly."""
    return [
        f"{name}: recorded {value}, reproduced {reproduced.get(name, 'nothing')}"
        for name, value in sorted(recorded.items())
        if reproduced.get(name) != value
    ]


# ---- I/O --------------------------------------------------------------------------------------


def version_tags(uri: str) -> dict[str, str]:
    """The tags of a registered model version, from the configured tracking store."""
    from stages.tracking import configure_env, probe, resolve_store

    configure_env()
    store = resolve_store()
    probe(store)
    import mlflow
    from mlflow.exceptions import MlflowException

    name, version = parse_uri(uri)
    client = mlflow.MlflowClient(store.tracking_uri, os.environ.get("MLFLOW_REGISTRY_URI"))
    try:
        return dict(client.get_model_version(name, version).tags)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise StageError(f"{uri}: no such model version in {store.shown_uri}") from None
        raise


def sh(cmd: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = next((line for line in detail if "ERROR" in line), detail[-1] if detail else "")
        raise StageError(f"{what} failed: {reason.removeprefix('ERROR: ')}")
    return result.stdout


def reproduce(lineage: Lineage, root: Path, workdir: Path) -> tuple[dict[str, float], list[str]]:
    """Re-run the pipeline at the lineage's commit; return its metrics and every mismatch."""
    venv = str(Path(sys.executable).parent)
    env = os.environ | {
        "PATH": f"{venv}{os.pathsep}{os.environ.get('PATH', '')}",
        "DVC_NO_ANALYTICS": "1",
        "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
    }
    known = subprocess.run(["git", "cat-file", "-e", f"{lineage.commit}^{{commit}}"], cwd=root)
    if known.returncode != 0:
        raise StageError(
            f"commit {lineage.commit[:10]} is not in this repository; `git fetch` it first"
        )
    tree = workdir / "tree"
    sh(
        ["git", "worktree", "add", "-q", "--detach", str(tree), lineage.commit],
        root,
        env,
        "git worktree add",
    )
    try:
        sh(
            ["dvc", "config", "--local", "cache.dir", str(root / ".dvc" / "cache")],
            tree,
            env,
            "dvc config",
        )
        tracked = sh(["git", "ls-files", "--", "*.dvc"], tree, env, "git ls-files").split()
        if tracked:
            sh(["dvc", "pull", *tracked], tree, env, f"fetching the data of {lineage.commit[:10]}")
        sh(["dvc", "repro", "--force", "--no-run-cache", "evaluate"], tree, env, "dvc repro")
        problems = [
            f"data {split}: recorded md5 {md5}, reproduced {file_md5(tree / DATA_FILES[split])}"
            for split, md5 in sorted(lineage.data_md5.items())
            if file_md5(tree / DATA_FILES[split]) != md5
        ]
        reproduced = json.loads((tree / "metrics.json").read_text())
        return reproduced, problems + differences(lineage.metrics, reproduced)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)], cwd=root, capture_output=True
        )


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        raise StageError("usage: python -m stages.reproduce models:/<name>/<version>")
    uri = args[0]
    parse_uri(uri)
    lineage = lineage_from_tags(uri, version_tags(uri))
    root = Path.cwd()
    print(f"reproduce: {uri} from commit {lineage.commit[:10]} (this takes a full pipeline run)")
    with tempfile.TemporaryDirectory(prefix="reproduce-") as tmp:
        reproduced, problems = reproduce(lineage, root, Path(tmp))
    for name, value in sorted(lineage.metrics.items()):
        mark = "ok" if reproduced.get(name) == value else "DIFFERS"
        print(f"  {name:<20} recorded {value:<12} reproduced {reproduced.get(name)!s:<12} {mark}")
    if problems:
        print(f"reproduce: {uri} does NOT reproduce:\n  " + "\n  ".join(problems))
        return 1
    print(
        f"reproduce: {uri} reproduces exactly (data hashes and all {len(lineage.metrics)} metrics)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_stage("reproduce", main))
