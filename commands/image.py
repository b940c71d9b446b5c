"""A Docker image that serves the champion, with every Python package pinned to uv.lock.

    python -m commands.image [--model-uri models:/NAME@champion] [--output build/image]
                                   [--tag ml-pipeline-model:latest] [--no-build]

Writes `<output>/Dockerfile`, `<output>/requirements.txt` (the model's own requirements at the
versions of uv.lock), `<output>/constraints.txt` (every package of uv.lock, so pip resolves the
rest of the tree to the locked versions too), `<output>/model/` (the model's files) and
`<output>/ml_pipeline/serving/` (app.py, MLflow's scoring app with the readable 4xx answers of
`make serve`, and the request_body.py it imports, with empty `__init__.py` files), then runs
`docker build` when a Docker daemon answers. It serves on port 8080.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from ml_pipeline.core import progress
from ml_pipeline.core.errors import StageError, run_stage

LOCK = Path("uv.lock")
# What the scoring server (ml_pipeline/serving/app.py) needs beyond the model's requirements: mlflow
# (which brings fastapi and uvicorn).
SERVER_PACKAGES = ("mlflow",)
# The server's files, as paths in the repository and in the context (the image runs
# `python -m ml_pipeline.serving.app` in /opt/ml): app.py imports no project module but
# request_body.py, which imports none (tests/serving/test_serving.py checks it).
SERVING = Path("ml_pipeline") / "serving"
SERVER_FILES = (SERVING / "app.py", SERVING / "request_body.py")
ROOT = Path(__file__).resolve().parents[1]
PORT = 8080
COMMAND = ["python", "-m", "ml_pipeline.serving.app", "/opt/ml/model"]
COMMAND += ["--host", "0.0.0.0", "--port", str(PORT)]
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:==\s*([^\s;#]+))?")


def locked_versions(lock: Path = LOCK) -> dict[str, str]:
    """Package name (normalised) → version, for every package of uv.lock but the project itself."""
    packages = tomllib.loads(lock.read_text())["package"]
    return {
        normalise(p["name"]): p["version"]
        for p in packages
        if "version" in p and "virtual" not in p.get("source", {})
    }


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(lines: list[str], locked: dict[str, str]) -> list[str]:
    """The model's requirements (+ the server's) as `name==version` at the lock's versions.

    A requirement the lock does not hold, or pins at another version, is an error: the image
    would then run code the tests never ran.
    """
    pins: dict[str, str] = {}
    for line in [*lines, *SERVER_PACKAGES]:
        match = REQUIREMENT.match(line)
        if not match or line.strip().startswith(("#", "-")):
            continue
        name, wanted = normalise(match.group(1)), match.group(2)
        if name not in locked:
            raise StageError(f"model requirement {line.strip()!r} is not in uv.lock; add it")
        if wanted and wanted != locked[name]:
            raise StageError(
                f"model requirement {name}=={wanted} differs from uv.lock ({locked[name]}); "
                "retrain the model with this lock (dvc repro -f train) or re-lock"
            )
        pins[name] = locked[name]
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def dockerfile(python_version: str) -> str:
    """The Dockerfile text: slim Python, pinned packages, the model, ml_pipeline/serving/app.py
    (run as a module from /opt/ml, where its package and request_body.py are)."""
    return f"""# Serves model/ on port {PORT}; written by `make image` (commands/image.py)
FROM python:{python_version}-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 MLFLOW_DISABLE_TELEMETRY=true
COPY requirements.txt constraints.txt /opt/ml/
RUN pip install --no-cache-dir -r /opt/ml/requirements.txt -c /opt/ml/constraints.txt
COPY model /opt/ml/model
COPY ml_pipeline /opt/ml/ml_pipeline
ENV PYTHONPATH=/opt/ml
WORKDIR /opt/ml
RUN useradd --create-home --uid 10001 serve
USER serve
EXPOSE {PORT}
CMD {json.dumps(COMMAND)}
"""


def python_minor() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def write_context(model_dir: Path, output: Path, lock: Path = LOCK) -> Path:
    """Write the build context for the MLflow model in `model_dir`; return the Dockerfile."""
    if not lock.is_file():
        raise StageError(f"{lock}: not found; run make image from the repository's root")
    requirements = model_dir / "requirements.txt"
    if not requirements.is_file():
        raise StageError(f"{model_dir}: no requirements.txt; is it an MLflow model directory?")
    locked = locked_versions(lock)
    pins = pinned_requirements(requirements.read_text().splitlines(), locked)
    if output.exists():
        shutil.rmtree(output)
    shutil.copytree(model_dir, output / "model")
    (output / SERVING).mkdir(parents=True)
    for package in (SERVING.parent, SERVING):  # empty: the package brings nothing else
        (output / package / "__init__.py").touch()
    for file in SERVER_FILES:
        shutil.copy2(ROOT / file, output / file)
    (output / "requirements.txt").write_text("\n".join(pins) + "\n")
    constraints = [f"{name}=={version}" for name, version in sorted(locked.items())]
    (output / "constraints.txt").write_text("\n".join(constraints) + "\n")
    path = output / "Dockerfile"
    path.write_text(dockerfile(python_minor()))
    return path


def download_model(model_uri: str, destination: Path) -> Path:
    """The model's files from the registry (or a local path) into `destination`."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from ml_pipeline.tracking.store import reachable_store

    store = reachable_store()
    mlflow.set_tracking_uri(store.tracking_uri)
    if not progress.enabled():  # MLflow's download bar, also when not on a terminal
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    destination.mkdir(parents=True, exist_ok=True)
    try:
        return Path(mlflow.artifacts.download_artifacts(model_uri, dst_path=str(destination)))
    except MlflowException as exc:
        raise StageError(
            f"--model-uri {model_uri}: not found in {store.shown_uri} ({exc.error_code}); "
            "run the pipeline (make repro) so a champion exists, or pass --model-uri"
        ) from None


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True)
    return probe.returncode == 0


def main(argv: list[str] | None = None) -> int:
    from ml_pipeline.core import paths
    from ml_pipeline.core.config import load_params
    from ml_pipeline.registry.promotion import champion_uri

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", default=None, help="default: the champion")
    parser.add_argument("--output", type=Path, default=Path("build/image"))
    parser.add_argument("--tag", default="ml-pipeline-model:latest")
    parser.add_argument("--no-build", action="store_true", help="write the context only")
    args = parser.parse_args(argv)
    uri = args.model_uri or champion_uri(load_params(paths.PARAMS).tracking.registered_model)
    staging = args.output.with_name(args.output.name + ".download")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        model_dir = download_model(uri, staging)
        path = write_context(model_dir, args.output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(f"image: wrote {path} for {uri}")
    command = ["docker", "build", "-t", args.tag, str(args.output)]
    if args.no_build:
        print(f"image: build it with: {' '.join(command)}")
        return 0
    if not docker_available():
        print(f"image: no Docker daemon answers; build it where one does: {' '.join(command)}")
        return 0
    subprocess.run(command, check=True)
    print(f"image: built {args.tag}; run: docker run --rm -p 127.0.0.1:{PORT}:{PORT} {args.tag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_stage("image", main) or 0)
