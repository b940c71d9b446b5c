"""Keep a scheduled run's results the DVC way: a `retrain/<date>` branch, `dvc push`, a report.

The branch is written with Git plumbing (a temporary index, `commit-tree`, `update-ref`), so
HEAD and the base branch never move and nothing is ever committed to `main`. Before the run,
`snapshot` records the workspace; a failed run is put back with `restore`.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from orchestration.stage import pipeline_env

REPORT_DIR = "pr-report"


class PublishError(Exception):
    """The workspace or Git refuses a scheduled run; the message is one line."""


@dataclass(frozen=True)
class Snapshot:
    """The workspace before a run: a commit holding its tracked files, and untracked files."""

    commit: str
    untracked: frozenset[str]


@dataclass(frozen=True)
class Published:
    """What a scheduled run left: the branch commit (None: nothing changed) and the report."""

    branch: str
    commit: str | None
    notes: tuple[str, ...] = ()


def git(
    repo: Path, *args: str, env: dict[str, str] | None = None, check: bool = True, raw: bool = False
) -> str:
    """Run git in `repo`; return stdout (stripped unless `raw`); raise PublishError on failure."""
    result = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, env=env or None
    )
    if check and result.returncode != 0:
        line = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise PublishError(f"git {' '.join(args[:2])} failed: {line}")
    return result.stdout if raw else result.stdout.strip()


def pipeline_files(repo: Path) -> set[str]:
    """Git-tracked results of the pipeline: dvc.lock, params.yaml, every `cache: false` output."""
    from dvc.repo import Repo

    paths = {"dvc.lock", "params.yaml"}
    with Repo(str(repo)) as dvc_repo:
        for stage in dvc_repo.index.stages:
            paths |= {out.def_path for out in stage.outs if not out.use_cache}
    return paths


def _is_result(path: str, results: set[str]) -> bool:
    return (
        path in results
        or any(path.startswith(f"{r}/") for r in results)
        or (
            Path(path).name == ".gitignore"  # DVC lists its cached outputs there
        )
    )


def changed_paths(repo: Path) -> list[str]:
    """Tracked files that differ from HEAD, and untracked files Git does not ignore."""
    listed = git(repo, "status", "--porcelain", "--untracked-files=all", "-z", raw=True)
    return [entry[3:] for entry in listed.split("\0") if entry]


def check_clean(repo: Path) -> None:
    """Refuse a scheduled run when files other than the pipeline's results have changed."""
    results = pipeline_files(repo)
    others = [p for p in changed_paths(repo) if not _is_result(p, results)]
    if others:
        raise PublishError(
            f"uncommitted changes outside the pipeline's results ({', '.join(others[:3])}"
            f"{', ...' if len(others) > 3 else ''}): a scheduled run commits only results; "
            "commit or stash them first"
        )


def snapshot(repo: Path) -> Snapshot:
    """Record the workspace (tracked files via `git stash create`, which changes nothing)."""
    commit = git(repo, "stash", "create") or git(repo, "rev-parse", "HEAD")
    untracked = git(repo, "ls-files", "--others", "--exclude-standard", "-z")
    return Snapshot(commit, frozenset(p for p in untracked.split("\0") if p))


def restore(repo: Path, before: Snapshot) -> None:
    """Put the workspace back as `snapshot` found it: Git files, then DVC's outputs."""
    git(repo, "restore", f"--source={before.commit}", "--worktree", "--", ".")
    now = git(repo, "ls-files", "--others", "--exclude-standard", "-z")
    for path in {p for p in now.split("\0") if p} - before.untracked:
        (repo / path).unlink(missing_ok=True)
    subprocess.run(
        ["dvc", "checkout", "--force", "--quiet"],
        cwd=repo,
        env=pipeline_env(),
        capture_output=True,
    )


def branch_name(prefix: str, today: dt.date | None = None) -> str:
    """`retrain/2026-11-29` for prefix `retrain/` (UTC date)."""
    return f"{prefix}{(today or dt.datetime.now(dt.UTC).date()).isoformat()}"


def commit_results(
    repo: Path, branch: str, base: str, message: str, extra: tuple[str, ...] = ()
) -> str | None:
    """Commit the changed results (and the `extra` files: a new data version) to `branch`
    without touching HEAD or the index.

    The tree is HEAD's plus the pipeline's results; the parent is the branch's tip if it exists,
    else HEAD. Returns the new commit, or None when the tree equals the parent's (nothing changed).
    Refuses when `branch` is the base branch or the one checked out.
    """
    if branch in (base, git(repo, "branch", "--show-current")):
        raise PublishError(f"refusing to commit results to {branch!r}: it is the base or HEAD")
    results = pipeline_files(repo)
    paths = [p for p in changed_paths(repo) if _is_result(p, results) or p in extra]
    tip = git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
    parent = tip or git(repo, "rev-parse", "HEAD")
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(repo, "read-tree", "HEAD", env=env)
        if paths:
            git(repo, "add", "-A", "--", *paths, env=env)
        tree = git(repo, "write-tree", env=env)
    if tree == git(repo, "rev-parse", f"{parent}^{{tree}}"):
        return None
    commit = git(repo, "commit-tree", tree, "-p", parent, "-m", message)
    git(repo, "update-ref", f"refs/heads/{branch}", commit, tip or "")
    return commit


def push_data(repo: Path) -> str:
    """`dvc push` to the default remote; a one-line note of what happened."""
    remote = subprocess.run(
        ["dvc", "remote", "default"], cwd=repo, env=pipeline_env(), capture_output=True, text=True
    )
    if remote.returncode != 0 or not remote.stdout.strip():
        return "no DVC remote configured (`dvc remote add -d ...`): data and model not pushed"
    pushed = subprocess.run(
        ["dvc", "push"], cwd=repo, env=pipeline_env(), capture_output=True, text=True
    )
    if pushed.returncode != 0:
        line = (pushed.stderr.strip().splitlines() or ["?"])[-1]
        raise PublishError(f"dvc push to {remote.stdout.strip()!r} failed: {line}")
    return f"pushed data and model to DVC remote {remote.stdout.strip()!r}"


def write_report(repo: Path, branch: str, base: str) -> str:
    """`make report BASE=<base> REV=<branch>` into <repo>/pr-report; a one-line note."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "commands.report",
            "--base",
            base,
            "--rev",
            branch,
            "--output",
            REPORT_DIR,
        ],
        cwd=repo,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    out = (result.stdout + result.stderr).strip().splitlines()
    verdicts = {0: "gate passed", 1: "gate FAILED or no base metrics"}
    verdict = verdicts.get(result.returncode, "error")
    return f"report {branch} vs {base}: {verdict}: {out[-1] if out else ''}"


def publish(
    repo: Path,
    prefix: str,
    base: str,
    remote: str | None,
    push: bool,
    extra: tuple[str, ...] = (),
    lead: str | None = None,
) -> Published:
    """After a successful run: commit results (and `extra` files) to <prefix><date>, push data
    and branch, report; `lead` (the monitoring evidence) opens the report."""
    branch = branch_name(prefix)
    commit = commit_results(repo, branch, base, f"Scheduled retraining {branch}", extra)
    if commit is None:
        return Published(branch, None, ("nothing changed: nothing committed",))
    notes = [f"committed {commit[:12]} to {branch}"]
    if push:
        notes.append(push_data(repo))
    if remote:
        git(repo, "push", remote, f"refs/heads/{branch}:refs/heads/{branch}")
        notes.append(f"pushed {branch} to {remote}")
    report = repo / REPORT_DIR / "report.md"
    report.unlink(missing_ok=True)  # no stale report under this run's evidence
    notes.append(write_report(repo, branch, base))
    if lead:  # first, even when the comparison could not be made
        report.parent.mkdir(exist_ok=True)
        report.write_text(lead + (f"\n{report.read_text()}" if report.is_file() else ""))
    return Published(branch, commit, tuple(notes))
