"""CI, hooks and deploy files: actions pinned to commits, hooks local, images pinned."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
USES = re.compile(r"uses:\s*(\S+)(.*)")


def locked_versions() -> dict[str, str]:
    """Package name → version in uv.lock."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {package["name"]: package["version"] for package in lock["package"]}


def test_every_action_is_pinned_to_a_commit_with_its_tag_named() -> None:
    found = 0
    for workflow in WORKFLOWS:
        for line in workflow.read_text().splitlines():
            match = USES.search(line)
            if not match:
                continue
            found += 1
            ref = match.group(1).split("@", 1)[1]
            assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{workflow.name}: {line.strip()}"
            assert re.search(r"# v\d", match.group(2)), f"{workflow.name}: tag comment: {line}"
    assert found >= 5


def test_ci_workflow_runs_lint_and_tests_with_the_uv_cache_once_per_branch() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    assert workflow["concurrency"]["cancel-in-progress"] is True
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    commands = " ".join(step.get("run", "") for step in steps)
    assert "make lint" in commands and "make test" in commands
    uv_steps = [s for s in steps if s.get("uses", "").startswith("astral-sh/setup-uv@")]
    assert uv_steps and all(s["with"]["enable-cache"] is True for s in uv_steps)
    ecosystems = yaml.safe_load((ROOT / ".github/dependabot.yml").read_text())["updates"]
    assert {"github-actions", "uv"} <= {u["package-ecosystem"] for u in ecosystems}


def test_a_workflow_runs_the_mutation_check_weekly_and_on_code_pull_requests() -> None:
    runs = {}
    for workflow in WORKFLOWS:
        config = yaml.safe_load(workflow.read_text())
        steps = [step for job in config["jobs"].values() for step in job["steps"]]
        commands = [step.get("run", "") for step in steps]
        if any("make mutants" in command for command in commands):
            runs[workflow.name] = (config.get("on", config.get(True)), " ".join(commands))
    assert runs, "no workflow runs `make mutants`"
    for name, (triggers, commands) in runs.items():
        assert commands.index("make setup") < commands.index("make mutants"), name
        assert triggers["schedule"][0]["cron"], name
        paths = set(triggers["pull_request"]["paths"])
        assert {"stages/**", "ml_pipeline/**", "orchestration/**", "tools/**"} <= paths, name
    makefile = (ROOT / "Makefile").read_text()
    assert "\n\tpython tools/mutants.py" in makefile.split("\nmutants:", 1)[1].split("\n\n")[0]


def test_hooks_are_local_tools_of_the_venv_and_scan_for_secrets() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {"ruff", "ruff-format", "check-params", "check-deps", "detect-secrets"} <= hooks.keys()
    assert hooks["check-params"]["entry"] == "make check-params"
    assert hooks["check-deps"]["entry"].endswith("-m commands.deps --check")
    for hook in hooks.values():
        tool = hook["entry"].split()[0]
        assert tool == "make" or (ROOT / tool).exists() or tool.startswith(".venv/"), tool


def test_deploy_images_and_server_packages_are_pinned() -> None:
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if "image" in service:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"
    dockerfile = (ROOT / "deploy/Dockerfile.mlflow").read_text()
    pins = dict(re.findall(r"([a-z0-9-]+)==([\w.]+)", dockerfile))
    locked = locked_versions()
    assert {"mlflow", "psycopg2-binary", "boto3"} <= pins.keys()
    for package, version in pins.items():
        assert locked[package] == version, (
            f"Dockerfile.mlflow {package}=={version}: lock {locked[package]}"
        )


def test_dask_image_carries_the_locked_versions_and_compose_points_workers_at_it() -> None:
    pins = dict(
        re.findall(r"([a-z0-9-]+)==([\w.]+)", (ROOT / "deploy/Dockerfile.dask").read_text())
    )
    locked = locked_versions()
    assert {"dask", "distributed", "lightgbm", "pandas", "scikit-learn", "cloudpickle"} <= set(pins)
    assert {package: locked[package] for package in pins} == pins
    services = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())["services"]
    scheduler, worker = services["dask-scheduler"], services["dask-worker"]
    assert worker["image"] == scheduler["image"] and "dask-scheduler:8786" in worker["command"]
    assert worker["environment"]["PYTHONPATH"].startswith("${ML_PIPELINE_REPO")  # issue 23, 18


def test_the_longest_test_files_are_handed_out_first() -> None:
    from tests.conftest import LONGEST_FIRST

    assert all(list((ROOT / "tests").rglob(name)) for name in LONGEST_FIRST)  # none renamed away
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.count("--dist loadfile --no-loadscope-reorder") == 2  # test and test-fast


def test_collection_puts_the_longest_files_first_and_keeps_the_rest_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from tests.conftest import LONGEST_FIRST, pytest_collection_modifyitems

    names = ["test_a.py", LONGEST_FIRST[1], "test_b.py", LONGEST_FIRST[0], "test_a.py"]

    def collected() -> list[int]:
        items = [SimpleNamespace(path=Path("tests") / n, index=i) for i, n in enumerate(names)]
        pytest_collection_modifyitems(items)  # type: ignore[arg-type]
        return [item.index for item in items]

    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert collected() == [0, 1, 2, 3, 4]  # plain pytest: as collected, unit tests first
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    assert collected() == [3, 1, 0, 2, 4]


def test_the_secrets_baseline_is_current_and_every_finding_is_an_audited_placeholder(
    tmp_path: Path,
) -> None:
    """The detect-secrets hook passes on every tracked file (as `pre-commit run --all-files`
    does on a clean clone); the hook rewrites a baseline whose line numbers moved, so it reads a
    copy. Each finding is audited: a placeholder (`PASSWORD`, `...-do-not-leak`), not a secret."""
    baseline = tmp_path / "baseline.json"
    shutil.copy2(ROOT / ".secrets.baseline", baseline)
    excluded = {"uv.lock", "dvc.lock", ".secrets.baseline"}
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    files = [name for name in tracked if name and name not in excluded and (ROOT / name).is_file()]
    hook = Path(sys.executable).parent / "detect-secrets-hook"
    done = subprocess.run(
        [str(hook), "--baseline", str(baseline), *files], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert baseline.read_bytes() == (ROOT / ".secrets.baseline").read_bytes(), "baseline moved"
    findings = json.loads(baseline.read_text())["results"]
    assert all(item.get("is_secret") is False for items in findings.values() for item in items)


def test_ci_runs_every_hook() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    commands = [step.get("run", "") for step in workflow["jobs"]["lint"]["steps"]]
    assert any(".venv/bin/pre-commit run --all-files" in command for command in commands)
