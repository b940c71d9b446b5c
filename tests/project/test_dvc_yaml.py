"""dvc.yaml itself, as DVC parses it: commands, params, deps and outs all line up."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest
import yaml
from dvc.dependency.param import ParamsDependency
from dvc.repo import Repo
from dvc.stage import PipelineStage

from ml_pipeline.core import paths
from tests.conftest import ROOT

EXPECTED_ORDER = ["check", "prepare", "validate", "search", "train", "evaluate", "register"]


@pytest.fixture(scope="module")
def stages() -> list:
    with Repo(str(ROOT)) as repo:  # dvc.yaml's stages, not the .dvc files of user datasets
        return [stage for stage in repo.index.stages if isinstance(stage, PipelineStage)]


def module_of(cmd: str) -> str:
    parts = cmd.split()
    assert parts[:2] == ["python", "-m"], f"stage command should be `python -m stages.X`: {cmd}"
    return parts[2]


def stage_imports(module: str) -> set[str]:
    """Files of the project modules (`stages.*`, `ml_pipeline.*`) `module` imports, transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = f"{name.replace('.', '/')}.py"
        if path in seen or not (ROOT / path).is_file():
            continue
        seen.add(path)
        tree = ast.parse((ROOT / path).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] in ("stages", "ml_pipeline"):
                    todo.append(node.module)  # a module, or a package whose names are modules:
                    todo += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.split(".")[0] == "ml_pipeline"]
    return seen


def git_tracked() -> set[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    return set(listed.stdout.splitlines())


def test_stages_are_in_pipeline_order(stages: list) -> None:
    names = [stage.name for stage in stages]
    assert names == [name for name in EXPECTED_ORDER if name in names]
    assert {"prepare", "train", "evaluate"} <= set(names)


def test_every_command_is_an_existing_stage_module(stages: list) -> None:
    for stage in stages:
        module = module_of(stage.cmd)
        assert (ROOT / f"{module.replace('.', '/')}.py").is_file(), stage.cmd


def test_every_imported_project_module_is_a_declared_dep(stages: list) -> None:
    for stage in stages:
        declared = {dep.def_path for dep in stage.deps}
        missing = stage_imports(module_of(stage.cmd)) - declared
        assert not missing, f"stage {stage.name!r} imports undeclared {sorted(missing)}"


def test_every_params_key_exists_in_params_yaml(stages: list) -> None:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for stage in stages:
        for dep in stage.deps:
            if isinstance(dep, ParamsDependency):
                for key in dep.params:
                    node = params
                    for part in key.split("."):
                        assert part in node, f"{stage.name}: param {key!r} not in params.yaml"
                        node = node[part]


def test_every_dep_is_produced_by_an_earlier_stage_or_tracked(stages: list) -> None:
    tracked = git_tracked()
    produced: set[str] = set()
    for stage in stages:
        for dep in stage.deps:
            if isinstance(dep, ParamsDependency):
                continue
            path = dep.def_path
            in_git = path in tracked or any(f.startswith(f"{path}/") for f in tracked)
            in_dvc = (ROOT / f"{path}.dvc").is_file()
            assert path in produced or in_git or in_dvc, (
                f"{stage.name}: dep {path!r} comes from nowhere"
            )
        produced |= {out.def_path for out in stage.outs}


def test_stage_paths_in_code_match_dvc_yaml(stages: list) -> None:
    declared = {out.def_path for stage in stages for out in stage.outs}
    declared |= {dep.def_path for stage in stages for dep in stage.deps}
    in_code = {
        str(value)
        for name, value in vars(paths).items()
        if name.isupper() and isinstance(value, Path) and value not in paths.NOT_STAGE_FILES
    }
    assert in_code <= declared, sorted(in_code - declared)


def test_metrics_files_are_not_cached(stages: list) -> None:
    """Metrics and small reports live in Git, so `dvc metrics diff` needs no remote."""
    for stage in stages:
        for out in stage.outs:
            if out.metric:
                assert not out.use_cache, f"{out.def_path} should be `cache: false`"
