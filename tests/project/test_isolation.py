"""In-process tests share one interpreter: what one test points MLflow at must not reach the next.

The two tests run in file order: the first leaves MLflow's global URIs set, as a stage run
in-process does; the second checks that conftest's autouse fixture cleared them.
"""

from __future__ import annotations

from pathlib import Path

import mlflow


def test_a_stage_run_in_process_sets_the_global_store(tmp_path: Path) -> None:
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/elsewhere.db")
    mlflow.set_registry_uri(f"sqlite:///{tmp_path}/elsewhere.db")
    assert mlflow.get_tracking_uri().endswith("elsewhere.db")


def test_the_next_test_does_not_inherit_it() -> None:
    assert not mlflow.get_tracking_uri().endswith("elsewhere.db")
    assert not mlflow.get_registry_uri().endswith("elsewhere.db")
