"""`make image`: the generated Dockerfile and its pins match uv.lock (no Docker daemon needed)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from commands import image as serving_image
from ml_pipeline.core.errors import StageError
from ml_pipeline.tracking.model_save import model_kwargs, save_model

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "uv.lock"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow model saved exactly as `train` saves one."""
    rows = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(rows, [0, 0, 1, 1])
    path = tmp_path_factory.mktemp("model") / "model"
    save_model(pipeline, model_kwargs(pipeline, rows), path)
    return path


def pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9-]+)==(\S+)$", text, flags=re.M))


def test_generated_context_pins_every_package_to_the_lock(model_dir: Path, tmp_path: Path) -> None:
    dockerfile = serving_image.write_context(model_dir, tmp_path / "image", LOCK)
    locked = {p["name"]: p["version"] for p in tomllib.loads(LOCK.read_text())["package"]}
    requirements = pins((tmp_path / "image/requirements.txt").read_text())
    assert {"mlflow", "scikit-learn", "pandas", "numpy", "cloudpickle"} <= requirements.keys()
    assert all(locked[name] == version for name, version in requirements.items())
    constraints = pins((tmp_path / "image/constraints.txt").read_text())
    assert constraints == {n: v for n, v in locked.items() if n != "ml-pipeline"}
    text = dockerfile.read_text()
    python = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minor = re.search(r"FROM python:(3\.\d+)-slim", text).group(1)
    assert f">={minor}" in python
    assert "-r /opt/ml/requirements.txt -c /opt/ml/constraints.txt" in text
    assert (tmp_path / "image/model/MLmodel").is_file()


def test_a_requirement_at_another_version_than_the_lock_is_refused() -> None:
    locked = serving_image.locked_versions(LOCK)
    assert serving_image.pinned_requirements([f"numpy=={locked['numpy']}"], locked) == [
        f"mlflow=={locked['mlflow']}",
        f"numpy=={locked['numpy']}",
    ]
    with pytest.raises(StageError, match=r"numpy==1\.0\.0 differs from uv\.lock"):
        serving_image.pinned_requirements(["numpy==1.0.0"], locked)
    with pytest.raises(StageError, match="not in uv.lock"):
        serving_image.pinned_requirements(["torch==2.0"], locked)


def test_a_missing_lock_is_one_line(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(StageError, match="uv.lock: not found; run make image from"):
        serving_image.write_context(model_dir, tmp_path / "image", tmp_path / "uv.lock")
    assert not (tmp_path / "image").exists()


def test_cli_writes_the_context_for_a_model_uri(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    out = tmp_path / "image"
    args = ["--model-uri", str(model_dir), "--output", str(out), "--no-build"]
    assert serving_image.main(args) == 0
    assert (out / "Dockerfile").is_file() and (out / "model/MLmodel").is_file()
    assert not (tmp_path / "image.download").exists()
    assert "docker build -t ml-pipeline-model:latest" in capsys.readouterr().out


# Run in the build context as the image's CMD runs: `ml_pipeline` is the context's package.
IN_CONTEXT = """
import json, sys
import mlflow.pyfunc
from fastapi.testclient import TestClient
from ml_pipeline.serving.app import build_app
app = build_app(mlflow.pyfunc.load_model("model"))
answer = TestClient(app).post("/invocations", json={"dataframe_records": []})
loaded = {n: m.__file__ for n, m in sys.modules.items() if n.split(".")[0] == "ml_pipeline"}
print(json.dumps([answer.status_code, answer.json(), loaded]))
"""


def test_the_image_serves_with_the_readable_4xx_middleware(model_dir: Path, tmp_path: Path) -> None:
    """The image runs `python -m ml_pipeline.serving.app` in /opt/ml with the context's
    ml_pipeline/serving/ (app.py, request_body.py) alone: loaded from the context, it answers a
    request with no rows with one line, no trace, and loads no other project module."""
    import json
    import os
    import subprocess
    import sys

    context = tmp_path / "image"
    dockerfile = serving_image.write_context(model_dir, context, LOCK).read_text()
    assert "COPY ml_pipeline /opt/ml/ml_pipeline" in dockerfile
    assert "WORKDIR /opt/ml" in dockerfile and "ENV PYTHONPATH=/opt/ml" in dockerfile
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, flags=re.M).group(1))
    assert command[:4] == ["python", "-m", "ml_pipeline.serving.app", "/opt/ml/model"]
    assert command[4:] == ["--host", "0.0.0.0", "--port", str(serving_image.PORT)]
    files = {str(p.relative_to(context)) for p in (context / "ml_pipeline").rglob("*.py")}
    assert files == {
        "ml_pipeline/__init__.py",
        "ml_pipeline/serving/__init__.py",
        "ml_pipeline/serving/app.py",
        "ml_pipeline/serving/request_body.py",
    }
    assert (context / "ml_pipeline/__init__.py").read_text() == ""
    env = os.environ | {"PYTHONPATH": str(context), "MLFLOW_DISABLE_TELEMETRY": "true"}
    run = subprocess.run(
        [sys.executable, "-c", IN_CONTEXT], cwd=context, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2_000:]
    status, body, loaded = json.loads(run.stdout.splitlines()[-1])
    assert (status, body) == (
        400,
        {"error_code": "BAD_REQUEST", "message": "the request has no rows: send one"},
    )
    assert sorted(loaded) == [
        "ml_pipeline",
        "ml_pipeline.serving",
        "ml_pipeline.serving.app",
        "ml_pipeline.serving.request_body",
    ]
    assert all(Path(file).is_relative_to(context) for file in loaded.values())
