"""The import closure of a module, and dvc.yaml's code deps regenerated from it (`make deps`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands import deps
from ml_pipeline.core.imports import import_closure
from ml_pipeline.core.stage_deps import rewrite, stale_stages

FILES = {
    "stages/__init__.py": "",
    "stages/a.py": (
        "from ml_pipeline.core import paths\n"
        "import ml_pipeline.data.dataset as dataset\n"
        "def f():\n    from ml_pipeline.evaluation.metrics import score\n"
        "import pandas\n"
    ),
    "stages/b.py": "from ml_pipeline import helpers\n",
    "ml_pipeline/__init__.py": "",
    "ml_pipeline/helpers.py": "from ml_pipeline.core import CONSTANT\n",
    "ml_pipeline/core/__init__.py": "CONSTANT = 1\n",
    "ml_pipeline/core/paths.py": "from . import errors\n",
    "ml_pipeline/core/errors.py": "",
    "ml_pipeline/data/__init__.py": "",
    "ml_pipeline/data/dataset.py": "from ..core.errors import E\n",
    "ml_pipeline/evaluation/__init__.py": "",
    "ml_pipeline/evaluation/metrics.py": "",
    "ml_pipeline/reporting/__init__.py": "",
    "ml_pipeline/reporting/charts.py": "",
}

DVC_YAML = """\
# top comment
stages:
  a:
    cmd: python -m stages.a
    deps:
      # data first
      - data/raw
      - ml_pipeline/reporting/charts.py
      - stages/a.py
      - ${data.dir}
    params:
      - seed
  b:
    cmd: python -m stages.b
    outs:
      - out.txt
  shell:
    cmd: echo hi
    deps:
      - ml_pipeline/reporting/charts.py

plots:
  - reports/plots/roc.csv:
      x: fpr
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_closure_follows_every_import_form_and_only_imported_inits(project: Path) -> None:
    assert import_closure(project, "stages.a") == [
        "ml_pipeline/core/errors.py",  # relative, from a relative import
        "ml_pipeline/core/paths.py",  # `from pkg import module`
        "ml_pipeline/data/dataset.py",  # `import a.b as c`
        "ml_pipeline/evaluation/metrics.py",  # inside a function
        "stages/a.py",
    ]
    # A package's __init__.py only when a name is taken from the package itself.
    assert import_closure(project, "stages.b") == [
        "ml_pipeline/core/__init__.py",
        "ml_pipeline/helpers.py",
        "stages/b.py",
    ]


def test_rewrite_replaces_only_code_entries_and_keeps_the_rest(project: Path) -> None:
    fresh = rewrite(project, DVC_YAML)
    assert stale_stages(project, DVC_YAML) == ["a", "b"]
    assert stale_stages(project, fresh) == []
    assert rewrite(project, fresh) == fresh  # stable
    assert fresh.split("plots:")[1] == DVC_YAML.split("plots:")[1]
    lines = fresh.splitlines()
    a_deps = lines[lines.index("    deps:") + 1 : lines.index("    params:")]
    assert a_deps == [
        "      # data first",
        "      - data/raw",
        "      - stages/a.py",  # the entry point first, then the rest sorted
        "      - ml_pipeline/core/errors.py",
        "      - ml_pipeline/core/paths.py",
        "      - ml_pipeline/data/dataset.py",
        "      - ml_pipeline/evaluation/metrics.py",
        "      - ${data.dir}",
    ]
    b_stage = fresh.split("  b:\n")[1].split("  shell:")[0]
    assert b_stage.startswith("    cmd: python -m stages.b\n    deps:\n      - stages/b.py\n")
    assert "    outs:\n      - out.txt\n" in b_stage
    assert fresh.split("  shell:\n")[1].startswith(  # not a `python -m` stage: left alone
        "    cmd: echo hi\n    deps:\n      - ml_pipeline/reporting/charts.py\n"
    )


def test_check_names_each_stale_stage_and_exits_1(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dvc_yaml = project / "dvc.yaml"
    dvc_yaml.write_text(DVC_YAML)
    assert deps.main(["--check", "--dvc-yaml", str(dvc_yaml)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{dvc_yaml}: stage {name}: deps out of date (make deps)" for name in ("a", "b")
    ]
    assert deps.main(["--dvc-yaml", str(dvc_yaml)]) == 0
    assert deps.main(["--check", "--dvc-yaml", str(dvc_yaml)]) == 0
    assert dvc_yaml.read_text() == rewrite(project, DVC_YAML)
