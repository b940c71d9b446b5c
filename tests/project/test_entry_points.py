"""Error contracts of every entry point: exit 2 and one line `<name>: error: ...`, no outputs.

In-process (`main(argv)` + capsys) for the cases; one real `python -m stages.<stage>` per stage.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from commands import compose, mlflow_cli, predict, reproduce
from ml_pipeline.core import paths
from stages import evaluate, register, train, validate
from tests.conftest import pipeline_env
from tests.services import free_port


@pytest.fixture
def in_tiny(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tiny_dir)
    return tiny_dir


def one_line(capsys: pytest.CaptureFixture[str], status: int, name: str) -> str:
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}: error: "), err
    return lines[0]


def unreachable(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    port = free_port()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://alice:s3cret@127.0.0.1:{port}")
    return f"http://alice:***@127.0.0.1:{port}", "s3cret"


def test_unreachable_tracking_server_fails_with_one_line_and_no_secret(
    in_tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shown, secret = unreachable(monkeypatch)
    line = one_line(capsys, train.main([]), "train")
    assert line.startswith(f"train: error: MLflow tracking server {shown} is unreachable")
    assert "Connection refused" in line and secret not in line
    assert not (in_tiny / paths.RUN_INFO).exists()

    (in_tiny / "x.csv").write_text("age\n30\n")  # the input is checked first: it exists
    status = predict.main(["--input", "x.csv", "--output", "y.csv"])
    line = one_line(capsys, status, "predict")
    assert "is unreachable" in line and secret not in line
    assert not (in_tiny / "y.csv").exists()


@pytest.mark.parametrize(
    ("main", "name", "missing"),
    [
        (validate.main, "validate", paths.PREPARED_TRAIN),
        (evaluate.main, "evaluate", paths.MODEL_DIR / "MLmodel"),
        (register.main, "register", paths.METRICS),
    ],
)
def test_a_stage_without_its_inputs_names_the_missing_file(
    in_tiny: Path,
    capsys: pytest.CaptureFixture[str],
    main: Callable[[list[str]], int],
    name: str,
    missing: Path,
) -> None:
    line = one_line(capsys, main([]), name)
    assert str(missing) in line and ("no such file" in line or "not found" in line)


def test_register_names_a_missing_output_of_evaluate(
    in_tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths.METRICS.write_text(json.dumps({"accuracy": 0.9, "roc_auc": 0.9, "skill.roc_auc": 0.5}))
    paths.TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    paths.TIMINGS.write_text("{}")
    line = one_line(capsys, register.main([]), "register")
    assert f"{paths.FIGURES_DIR}: no such file" in line


def test_bad_invocations_of_the_tools(in_tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line(capsys, reproduce.main(["models:/m@champion"]), "reproduce")
    assert "expected models:/<name>/<version>" in line
    line = one_line(capsys, compose.main(["--output", "p.yaml", "model=xgb"]), "compose")
    assert "xgb" in line and not (in_tiny / "p.yaml").exists()
    assert mlflow_cli.main(["env"]) == 0
    assert capsys.readouterr().out.startswith("export MLFLOW_TRACKING_URI=sqlite:///")


def test_mlflow_cli_refuses_a_bad_store_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "./mlruns")
    assert "unsupported" in one_line(capsys, mlflow_cli.main(["ui"]), "mlflow")


def test_every_stage_module_reports_errors_in_one_line(tiny_dir: Path) -> None:
    """One real process per stage, started together: exit 2 and one line each."""
    port = free_port()
    env = pipeline_env() | {"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}"}
    (tiny_dir / "data/raw/tiny/tiny.data.gz").unlink()
    stages = ["prepare", "validate", "train", "evaluate", "register"]
    started = {
        stage: subprocess.Popen(
            [sys.executable, "-m", f"stages.{stage}"],
            cwd=tiny_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stage in stages
    }
    expected = {
        "prepare": "tiny.data.gz",
        "validate": str(paths.PREPARED_TRAIN),
        "train": "is unreachable",
        "evaluate": str(paths.MODEL_DIR / "MLmodel"),
        "register": str(paths.METRICS),
    }
    for stage, process in started.items():
        _, err = process.communicate(timeout=300)
        assert process.returncode == 2, err
        assert json.dumps(err.strip()).count("\\n") == 0, err
        assert err.startswith(f"{stage}: error: ") and expected[stage] in err, err
