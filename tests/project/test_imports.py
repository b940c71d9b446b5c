"""Each stage pays only for the libraries it uses: heavy packages stay out of module imports.

One fresh interpreter imports every stage module in turn and records which heavy packages each
one brought in (a package already loaded by an earlier module counts for that module only), so
a shared helper that starts importing MLflow, Great Expectations, matplotlib or scikit-learn at
module level fails here. The order of ALLOWED matters: pandas is watched only in the stages
imported before `prepare` (which needs it), i.e. `check` and `search`.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("pandas", "mlflow", "great_expectations", "matplotlib", "sklearn")
# What importing each stage module may bring in (the rest is imported when it is used).
ALLOWED = {
    "check": set(),
    "search": set(),  # pandas, MLflow and Optuna only when a search is configured
    "prepare": {"pandas"},
    "validate": set(),  # Great Expectations when the suite runs
    "register": set(),  # MLflow when it connects; scikit-learn only to re-score a champion
    "train": {"sklearn"},  # MLflow when it connects
    "evaluate": {"sklearn"},  # matplotlib when it draws; never MLflow (test_model_dir.py)
    "monitor": set(),  # scipy for the tests, MLflow when batches were scored
}
PROBE = """
import importlib, json, sys
heavy, found = {heavy!r}, {{}}
for stage in {stages!r}:
    importlib.import_module(f"stages.{{stage}}")
    loaded = sorted(name for name in heavy if name in sys.modules)
    found[stage] = [name for name in loaded if name not in sum(found.values(), [])]
print(json.dumps(found))
"""


def imported_by_stage() -> dict[str, list[str]]:
    """Heavy packages first loaded by importing each stage module, lightest stages first."""
    code = PROBE.format(heavy=HEAVY, stages=list(ALLOWED))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_stage_modules_import_only_the_heavy_packages_they_need() -> None:
    found = imported_by_stage()
    extra = {stage: set(found[stage]) - allowed for stage, allowed in ALLOWED.items()}
    assert not any(extra.values()), f"heavy imports at module level: {extra}"
