"""`register` logs `evaluate`'s outputs into the run (evaluate itself does not touch MLflow)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from stages import paths
from stages.config import load_params
from stages.register import log_test_losses
from stages.tracking import active_run, connect


def test_the_test_loss_curve_is_logged_once_per_run(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tiny_dir)
    params = load_params(paths.PARAMS)
    curve = pd.DataFrame({"iteration": [1, 2, 3], "loss": [0.6, 0.51, 0.4875]})
    paths.PLOTS_DIR.mkdir(parents=True)
    curve.to_csv(paths.PLOTS_DIR / paths.LEARNING_CURVE_CSV, index=False)
    tracking = connect(params.tracking.experiment)
    with active_run(tracking) as run:
        for _ in range(2):  # a re-run `register` (new thresholds) does not log it again
            log_test_losses(tracking, params, run.info.run_id)
    history = tracking.client.get_metric_history(run.info.run_id, "test_log_loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.6), (1, 0.51), (2, 0.4875)]
