"""Reproduce a registered model version from its lineage and say whether its metrics match.

    python -m commands.reproduce models:/<name>/<version>      (make reproduce MODEL=...)

Reads the version's lineage tags (git commit, dirty flag, data hashes, metrics), checks the
commit out in a temporary git worktree (with the run's logged params.yaml when it differed from
the commit, as after `dvc exp run -S ...`), brings its DVC-tracked data from the local cache or the
remote, re-runs the pipeline up to `evaluate` (into a throwaway MLflow store, without the DVC run
cache), verifies the prepared data's hashes and compares the metrics. Exit 0 when everything
matches, 1 when something differs, 2 when it cannot reproduce at all.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ml_pipeline.core import paths, progress
from ml_pipeline.core.errors import StageError, entry_point
from ml_pipeline.tracking.lineage import COMMIT, DIRTY, METRIC_PREFIX, Lineage, file_md5

URI = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)$")
# The stages up to evaluate; `search` only runs where its best params did not come with the
# commit or the run, and a stage the commit does not have is skipped.
REPRO_STAGES = ("check", "prepare", "validate", "search", "train", "evaluate")


def parse_uri(uri: str) -> tuple[str, str]:
    """`models:/<name>/<version>` → (name, version)."""
    match = URI.match(uri)
    if not match:
        example = "models:/ml-pipeline-adult/3"
        raise StageError(f"{uri!r}: expected models:/<name>/<version>, e.g. {example}")
    return match["name"], match["version"]


def lineage_from_tags(uri: str, tags: dict[str, str]) -> Lineage:
    """The lineage a version's tags carry; refuse versions that cannot be reproduced exactly."""
    lineage = Lineage.from_tags(tags)
    commit = lineage.commit or ""
    if not commit or commit == "unknown":
        raise StageError(
            f"{uri} has no lineage (no {COMMIT} tag): it was not registered by this pipeline"
        )
    if lineage.dirty:
        raise StageError(
            f"{uri} was trained from uncommitted changes on top of {commit[:10]} ({DIRTY}=true), "
            "so no commit holds its exact code"
        )
    if lineage.params_modified and not lineage.params_run_id:
        raise StageError(f"{uri} ran with modified params.yaml but names no run to fetch it")
    if not lineage.metrics:
        raise StageError(f"{uri} has no {METRIC_PREFIX}* tags to compare with")
    known = {split: md5 for split, md5 in lineage.data_md5.items() if split in paths.PREPARED}
    return replace(lineage, data_md5=known)


def differences(
    recorded: Mapping[str, float | None], reproduced: Mapping[str, float | None]
) -> list[str]:
    """One line per recorded metric that the reproduction does not give back exactly (a null
    one, tagged or not, must be null again)."""
    return [
        f"{name}: recorded {value}, reproduced {reproduced.get(name, 'nothing')}"
        for name, value in sorted(recorded.items())
        if reproduced.get(name) != value
    ]


# ---- I/O --------------------------------------------------------------------------------------


def mlflow_client() -> tuple[Any, str]:
    """A client of the configured tracking store, and the store's URI for messages."""
    from ml_pipeline.tracking.store import reachable_store

    store = reachable_store()
    import mlflow

    from ml_pipeline.tracking.session import reconcile_store

    client = mlflow.MlflowClient(store.tracking_uri, os.environ.get("MLFLOW_REGISTRY_URI"))
    reconcile_store(store, client)  # runs of killed stages (no stage may have connected)
    return client, store.shown_uri


def version_tags(client: Any, where: str, uri: str) -> dict[str, str]:
    """The tags of a registered model version."""
    from mlflow.exceptions import MlflowException

    name, version = parse_uri(uri)
    try:
        return dict(client.get_model_version(name, version).tags)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise StageError(f"{uri}: no such model version in {where}") from None
        raise


def fetch_params(client: Any, run_id: str, workdir: Path) -> Path:
    """The params.yaml that run `run_id` logged, downloaded into `workdir`."""
    from mlflow.exceptions import MlflowException

    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return Path(client.download_artifacts(run_id, paths.PARAMS.name, str(workdir)))
    except (MlflowException, OSError) as exc:
        raise StageError(f"run {run_id}: cannot fetch its params.yaml artifact ({exc})") from None


def fetch_search(client: Any, run_id: str, workdir: Path) -> Path | None:
    """The reports/search.json that run `run_id` trained with, if it logged one."""
    names = {f.path for f in client.list_artifacts(run_id)}
    if paths.SEARCH_REPORT.name not in names:
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    return Path(client.download_artifacts(run_id, paths.SEARCH_REPORT.name, str(workdir)))


def repro_stages(tree: Path) -> list[str]:
    """The commit's stages up to evaluate, in order; `search` only where its result is missing."""
    declared = yaml.safe_load((tree / paths.DVC_YAML).read_text()).get("stages", {})
    searched = (tree / paths.SEARCH_REPORT).exists()
    return [s for s in REPRO_STAGES if s in declared and not (s == "search" and searched)]


def sh(cmd: list[str], cwd: Path, env: dict[str, str], what: str, stream: bool = False) -> str:
    """Run `cmd`; `stream` shows its output as it goes (on a terminal). One line on failure."""
    if stream:
        result = progress.run_streaming(cmd, cwd, env)
    else:
        result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        reason = next((line for line in detail if "ERROR" in line), detail[-1] if detail else "")
        raise StageError(f"{what} failed: {reason.removeprefix('ERROR: ')}")
    return result.stdout


def reproduce(
    lineage: Lineage,
    root: Path,
    workdir: Path,
    params: Path | None = None,
    search: Path | None = None,
) -> tuple[dict[str, float], list[str]]:
    """Re-run the pipeline at the lineage's commit (with `params` as params.yaml if given);
    return its metrics and every mismatch."""
    venv = str(Path(sys.executable).parent)
    env = os.environ | {
        "PATH": f"{venv}{os.pathsep}{os.environ.get('PATH', '')}",
        "DVC_NO_ANALYTICS": "1",
        "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
    }
    commit = str(lineage.commit)  # lineage_from_tags refuses a version without one
    known = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=root)
    if known.returncode != 0:
        raise StageError(f"commit {commit[:10]} is not in this repository; `git fetch` it first")
    tree = workdir / "tree"
    sh(
        ["git", "worktree", "add", "-q", "--detach", str(tree), commit],
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
        if params is not None:
            shutil.copyfile(params, tree / paths.PARAMS)
        if search is not None:  # the search's best params, so the search itself is not re-run
            (tree / paths.SEARCH_REPORT).parent.mkdir(exist_ok=True)
            shutil.copyfile(search, tree / paths.SEARCH_REPORT)
        tracked = sh(["git", "ls-files", "--", "*.dvc"], tree, env, "git ls-files").split()
        if tracked:
            sh(["dvc", "pull", *tracked], tree, env, f"fetching the data of {commit[:10]}")
        repro = ["dvc", "repro", "--force", "--no-run-cache", "--single-item", *repro_stages(tree)]
        sh(repro, tree, env, "dvc repro", stream=True)
        problems = [
            f"data {split}: recorded md5 {md5}, reproduced {file_md5(tree / paths.PREPARED[split])}"
            for split, md5 in sorted(lineage.data_md5.items())
            if file_md5(tree / paths.PREPARED[split]) != md5
        ]
        reproduced = json.loads((tree / paths.METRICS).read_text())
        return reproduced, problems + differences(lineage.metrics, reproduced)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)], cwd=root, capture_output=True
        )


@entry_point("reproduce")
def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        raise StageError("usage: python -m commands.reproduce models:/<name>/<version>")
    uri = args[0]
    parse_uri(uri)
    client, where = mlflow_client()
    lineage = lineage_from_tags(uri, version_tags(client, where, uri))
    root = Path.cwd()
    source = f"commit {str(lineage.commit)[:10]}"
    if lineage.params_run_id:
        source += f" with the params.yaml of run {lineage.params_run_id}"
    print(f"reproduce: {uri} from {source} (this takes a full pipeline run)")
    with tempfile.TemporaryDirectory(prefix="reproduce-") as tmp:
        params = None
        search = None
        if lineage.params_run_id:
            params = fetch_params(client, lineage.params_run_id, Path(tmp) / "params")
            search = fetch_search(client, lineage.params_run_id, Path(tmp) / "search")
        reproduced, problems = reproduce(lineage, root, Path(tmp), params, search)
    for name, value in sorted(lineage.metrics.items()):
        mark = "ok" if reproduced.get(name) == value else "DIFFERS"
        print(f"  {name:<20} recorded {value!s:<12} reproduced {reproduced.get(name)!s:<12} {mark}")
    if problems:
        print(f"reproduce: {uri} does NOT reproduce:\n  " + "\n  ".join(problems))
        return 1
    print(
        f"reproduce: {uri} reproduces exactly (data hashes and all {len(lineage.metrics)} metrics)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
