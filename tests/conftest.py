"""Shared fixtures: a throwaway copy of the repository in which the real pipeline can run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from commands.compose import compose

ROOT = Path(__file__).resolve().parents[1]
# What a fresh clone holds that the pipeline needs (outputs and caches are left behind).
SOURCE_DIRS = ("stages", "ml_pipeline", "commands")  # the Python code the pipeline runs
REPO_FILES = [
    "conf",
    *SOURCE_DIRS,
    "data/raw",
    "data/incoming",
    "dvc.yaml",
    "params.yaml",
    ".dvcignore",
    ".gitignore",
]
BIN = Path(sys.executable).parent


# With several pytest-xdist workers each core already runs a test: one OpenMP thread per process
# (results do not depend on it), else OpenMP pools spin waiting for a busy core and a stage
# takes many times its CPU time. A value set by the user wins.
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    os.environ.setdefault("OMP_NUM_THREADS", "1")

# The longest files first (`--durations` on 2 workers, Nov 2026: from ~4 minutes down to ~20 s
# each; the other files take seconds). Under pytest-xdist (`make test`: `--dist loadfile
# --no-loadscope-reorder`) a worker claims the next file in this order as it runs low on work,
# so no long file starts last and runs alone while the other worker idles. Without xdist the
# order stays pytest's (unit tests first). Order only, never which tests run.
LONGEST_FIRST = (
    "test_orchestration_e2e.py",
    "test_nightly_e2e.py",
    "test_fresh_clone.py",
    "test_hosted.py",
    "test_reproduce.py",
    "test_mlflow_e2e.py",
    "test_mlflow_server.py",
    "test_pipeline_e2e.py",
    "test_search_e2e.py",
    "test_report.py",
    "test_datadraft.py",
    "test_browser.py",
    "test_team_setup.py",
    "test_validation.py",
    "test_prefect_flow.py",
    "test_nightly_flow.py",
    "test_forecast_e2e.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In an xdist worker: longest files first; within a file, and among the rest, the order
    pytest collected."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


# Where MLflow writes: each test picks its store; none is inherited from the shell or a test.
TRACKING_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
SESSION_TRACKING_ENV = {key: os.environ.get(key) for key in TRACKING_VARS}  # before any fixture


def pipeline_env() -> dict[str, str]:
    """The environment `make` gives the stages: the venv first on PATH, telemetry off."""
    env = {k: v for k, v in os.environ.items() if k not in TRACKING_VARS}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        DVC_NO_ANALYTICS="1",
        MLFLOW_DISABLE_TELEMETRY="true",
        GX_ANALYTICS_ENABLED="false",
        PYTHONHASHSEED="0",
    )
    return env


@pytest.fixture(autouse=True)
def no_tracking_uri_leak() -> Iterator[None]:
    """Undo `mlflow.set_tracking_uri`/`set_registry_uri` after each in-process test.

    Both set a module global that outranks the environment, and the environment too: a store
    chosen by one test (a damaged one, say) must not answer the next test's `models:/` URI.
    """
    yield
    if "mlflow" in sys.modules:
        import mlflow

        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]  # None clears the global
        mlflow.set_registry_uri(None)  # type: ignore[arg-type]
    for key, value in SESSION_TRACKING_ENV.items():  # not the test's start: a module fixture
        if value is None:  # (set up before it) may have set them outside a monkeypatch
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def run(
    cmd: list[str],
    cwd: Path,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command in `cwd` with the pipeline's environment (plus `env`); fail loudly."""
    result = subprocess.run(
        cmd,
        cwd=cwd,
        env=pipeline_env() | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def run_queue(repo: Path, tasks: int, env: dict[str, str] | None = None) -> None:
    """`dvc queue start -j 2`; wait until no task is queued or running; all `tasks` succeeded."""
    run(["dvc", "queue", "start", "-j", "2"], repo, env=env)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = run(["dvc", "queue", "status"], repo).stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(3)
    failed = [line.split()[0] for line in status.splitlines() if line.endswith("Failed")]
    logs = [run(["dvc", "queue", "logs", task], repo, check=False).stdout for task in failed]
    assert status.count("Success") == tasks, "\n".join([status, *(log[-3000:] for log in logs)])


# What the tests configure: `tiny` with the shipped hgb, whatever model conf/ selects today (a
# kept winner changes conf/'s defaults: docs/experiments.md, "Keep a winner").
TINY = ("data=tiny", "model=hgb")


def tiny_overrides(*overrides: str) -> list[str]:
    """TINY, less the groups that `overrides` choose themselves, then `overrides`."""
    chosen = {override.split("=", 1)[0] for override in overrides}
    return [base for base in TINY if base.split("=", 1)[0] not in chosen] + list(overrides)


def make_repo(dest: Path, overrides: list[str]) -> Path:
    """Copy the repository's sources into `dest`, make it a git + DVC repo, compose params."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in REPO_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / name)
    run(["git", "init", "-q"], dest)
    run(["git", "config", "user.email", "tests@example.com"], dest)
    run(["git", "config", "user.name", "tests"], dest)
    run(["dvc", "init", "-q"], dest)
    run(["dvc", "config", "core.analytics", "false"], dest)
    run(["dvc", "config", "hydra.enabled", "true"], dest)
    shutil.copytree(ROOT / ".dvc/plots", dest / ".dvc/plots")  # the project's plot templates
    compose(dest / "params.yaml", overrides, dest / "conf")
    run(["git", "add", "-A"], dest)
    run(["git", "commit", "-q", "-m", "copy"], dest)
    return dest


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory, migrated_db: Path) -> Path:
    """One git + DVC repository per test session, configured for `tiny`, with an empty migrated
    MLflow store (git-ignored, as a user's first stage would make it); tests copy it."""
    repo = make_repo(tmp_path_factory.mktemp("template") / "repo", tiny_overrides())
    seed_store(migrated_db, repo)
    return repo


@pytest.fixture
def repo_copy(template_repo: Path, tmp_path: Path) -> Callable[..., Path]:
    """Make a fresh copy of the template repository, recomposed with Hydra overrides."""

    def copy(*overrides: str) -> Path:
        dest = tmp_path / f"repo{len(list(tmp_path.glob('repo*')))}"
        shutil.copytree(template_repo, dest, symlinks=True)
        if overrides:
            compose(dest / "params.yaml", tiny_overrides(*overrides), dest / "conf")
        return dest

    return copy


@pytest.fixture
def tiny_repo(repo_copy: Callable[..., Path]) -> Path:
    """A repository copy configured for the `tiny` dataset, nothing run yet."""
    return repo_copy()


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sources, conf, the `tiny` data and its params.yaml: no git, no DVC (fast to make)."""
    dest = tmp_path_factory.mktemp("plain") / "repo"
    for name in (*SOURCE_DIRS, "conf", "data/raw/tiny"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    compose(dest / "params.yaml", tiny_overrides(), dest / "conf")
    return dest


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store with its schema made (migrations cost seconds per store)."""
    import mlflow

    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    mlflow.MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


def seed_store(migrated_db: Path, directory: Path) -> str:
    """Put an empty, migrated `mlflow.db` in `directory`; return its tracking URI."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy2(migrated_db, directory / "mlflow.db")
    return f"sqlite:///{directory / 'mlflow.db'}"


@pytest.fixture
def tiny_dir(template_dir: Path, migrated_db: Path, tmp_path: Path) -> Path:
    """A fresh plain copy configured for `tiny` (with an empty store), for tests that run
    stages without DVC."""
    dest = tmp_path / "plain"
    shutil.copytree(template_dir, dest)
    seed_store(migrated_db, dest)
    return dest


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    """A client of a real in-process LocalCluster (2 workers, one thread each) for a module's
    tests of the `compute: dask` paths. Not entered as a context (`with Client(...)` would make
    it the current client for the whole module, so a later test's own cluster would still run
    its tasks in this process): the default client, until a newer one is made."""
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
