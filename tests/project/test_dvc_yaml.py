"""dvc.yaml itself, as DVC parses it: commands, params, deps and outs all line up."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from dvc.dependency.param import ParamsDependency
from dvc.repo import Repo
from dvc.stage import PipelineStage

from ml_pipeline.core import paths
from ml_pipeline.core.imports import import_closure
from ml_pipeline.core.stage_deps import is_code, stale_stages
from tests.conftest import ROOT, pipeline_env

EXPECTED_ORDER = [
    *("check", "prepare", "validate", "search", "train", "evaluate", "register", "score"),
]


@pytest.fixture(scope="module")
def stages() -> list:
    with Repo(str(ROOT)) as repo:  # dvc.yaml's stages, not the .dvc files of user datasets
        return [stage for stage in repo.index.stages if isinstance(stage, PipelineStage)]


def module_of(cmd: str) -> str:
    parts = cmd.split()
    assert parts[:2] == ["python", "-m"], f"stage command should be `python -m stages.X`: {cmd}"
    return parts[2]


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
        missing = set(import_closure(ROOT, module_of(stage.cmd))) - declared
        assert not missing, f"stage {stage.name!r} imports undeclared {sorted(missing)}"


def test_code_deps_are_generated_by_make_deps() -> None:
    """Exactly the import closure, in `make deps`'s order: no stale or extra code dep."""
    assert stale_stages(ROOT, (ROOT / "dvc.yaml").read_text()) == []


def test_an_edit_to_the_pr_charts_or_an_unimported_init_reruns_no_stage(stages: list) -> None:
    for stage in stages:
        declared = {dep.def_path for dep in stage.deps}
        assert "ml_pipeline/reporting/charts.py" not in declared, stage.name
        assert not {path for path in declared if path.endswith("__init__.py")}, stage.name


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


def test_dvc_status_ignores_report_code_and_sees_a_curves_edit(tmp_path: Path) -> None:
    """Real DVC on the stages' code deps (commands that do nothing, no data)."""
    for folder in ("stages", "ml_pipeline"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__py*"))
    declared = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    code_only = {
        name: {"cmd": "true", "deps": [d for d in stage["deps"] if is_code(d)]}
        for name, stage in declared.items()
    }
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": code_only}))
    env = pipeline_env()
    for cmd in (["dvc", "init", "--no-scm", "-q"], ["dvc", "repro", "-q"]):
        subprocess.run(cmd, cwd=tmp_path, env=env, check=True, capture_output=True)

    def stale_after_editing(module: str) -> set[str]:
        with (tmp_path / module).open("a") as file:
            file.write("# edited\n")
        status = subprocess.run(
            ["dvc", "status", "--json"], cwd=tmp_path, env=env, check=True, capture_output=True
        )
        return set(json.loads(status.stdout))

    assert stale_after_editing("ml_pipeline/reporting/charts.py") == set()
    assert stale_after_editing("ml_pipeline/__init__.py") == set()
    assert stale_after_editing("ml_pipeline/reporting/verdicts.py") == set()
    assert stale_after_editing("ml_pipeline/evaluation/curves.py") == {
        "train",
        "evaluate",
        "register",
    }
