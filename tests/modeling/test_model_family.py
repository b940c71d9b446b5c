"""The "A new model family" steps of docs/extending.md, done in a copy of the repository, give a
family that composes, validates, trains and scores; a variant of a family is a YAML file alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import pipeline_env

KNN_YAML = "# k nearest neighbours.\nname: knn\nn_neighbors: 7\nweights: distance\n"
KNN_CONFIG = """

class KnnConfig(FamilyConfig):
    name: Literal["knn"]
    n_neighbors: int = Field(ge=1)
    weights: Literal["uniform", "distance"]
"""
KNN_FAMILY = (
    '    "knn": Family(KNeighborsClassifier, KNeighborsRegressor, "scaled", seeded=False),\n'
)
VARIANT = "defaults:\n  - hgb\n  - _self_\nmax_depth: 8\n"

CHECK = """
import json, sys
from commands.compose import compose
from ml_pipeline.core.config import MODEL_FAMILIES, load_params
from stages import prepare
from stages import train
from ml_pipeline.evaluation.metrics import score

compose("params.yaml", ["data=tiny", "cv=fast", "model=" + sys.argv[1]])
params = load_params("params.yaml")
train_rows, test_rows, _ = prepare.run(params)
model, _ = train.run(params, train_rows)
print(json.dumps({
    "families": sorted(MODEL_FAMILIES),
    "model": params.model.model_dump(),
    "estimator": type(model.named_steps["model"]).__name__,
    "metrics": score(model, test_rows, params.data).metrics,
}))
"""


def insert_before(path: Path, anchor: str, text: str) -> None:
    source = path.read_text()
    assert anchor in source, f"{path}: {anchor!r} moved; update docs/extending.md and this test"
    path.write_text(source.replace(anchor, text + anchor, 1))


def run_check(repo: Path, model: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHECK, model],
        cwd=repo,
        env=pipeline_env() | {"PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.slow
def test_adding_a_family_takes_the_readme_steps(tiny_dir: Path) -> None:
    repo = tiny_dir
    # 1. conf/model/<name>.yaml
    (repo / "conf/model/knn.yaml").write_text(KNN_YAML)
    # 2. a config class, added to the ModelConfig union
    config = repo / "ml_pipeline/core/model_config.py"
    insert_before(config, "\n\nModelConfig = Annotated[", KNN_CONFIG)
    union = "LinearConfig | LgbmConfig,"
    assert config.read_text().count(union) == 1, "the ModelConfig union changed: update the test"
    config.write_text(config.read_text().replace(union, "LinearConfig | LgbmConfig | KnnConfig,"))
    # 3. an entry in modeling.FAMILIES
    modeling = repo / "ml_pipeline/modeling/pipeline.py"
    insert_before(modeling, "}\n\n\ndef build_pipeline", KNN_FAMILY)
    insert_before(
        modeling,
        "from sklearn.pipeline import",
        "from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor\n",
    )
    # A variant of a shipped family: YAML only.
    (repo / "conf/model/hgb_deep.yaml").write_text(VARIANT)

    knn = run_check(repo, "knn")
    assert knn["families"] == ["hgb", "knn", "lgbm", "linear", "rf"]
    model = {"name": "knn", "n_neighbors": 7, "weights": "distance", "calibration": "none"}
    assert knn["model"] == model
    assert knn["estimator"] == "KNeighborsClassifier"
    assert 0.5 < knn["metrics"]["accuracy"] <= 1.0

    deep = run_check(repo, "hgb_deep")
    assert deep["model"]["max_depth"] == 8 and deep["model"]["learning_rate"] == 0.1
    assert deep["estimator"] == "HistGradientBoostingClassifier"
