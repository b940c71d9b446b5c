"""The machine a run trained on, tagged `host.*` on its MLflow run (tracking/lineage.py)."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest

from ml_pipeline.tracking.lineage import HOST_LIBRARIES, HOST_PREFIX, host_tags
from stages import prepare, train


def test_host_tags_name_cpu_cores_memory_os_python_and_libraries() -> None:
    tags = host_tags()
    facts = ("cpu", "cores", "memory_gb", "os", "python", *HOST_LIBRARIES)
    assert set(tags) == {f"{HOST_PREFIX}{fact}" for fact in facts}
    assert tags["host.python"] == platform.python_version()
    assert int(tags["host.cores"]) >= 1 and float(tags["host.memory_gb"]) > 0
    import sklearn

    assert tags["host.scikit-learn"] == sklearn.__version__
    assert all(value for value in tags.values())


def test_train_tags_its_run_with_the_host(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow

    monkeypatch.chdir(tiny_dir)
    assert prepare.main([]) == 0
    assert train.main([]) == 0, capsys.readouterr().err
    run_id = json.loads((tiny_dir / "models/run.json").read_text())["run_id"]
    client = mlflow.MlflowClient(f"sqlite:///{tiny_dir / 'mlflow.db'}")
    tags = client.get_run(run_id).data.tags
    assert {k: v for k, v in tags.items() if k.startswith(HOST_PREFIX)} == host_tags()
    cost = json.loads((tiny_dir / "reports/cost/train.json").read_text())
    assert cost["cpu_seconds"] > 0 and cost["peak_memory_mb"] > 10
