"""Progress on a terminal only; MLflow's noise dropped; chunked scoring gives the same rows."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pandas as pd
import pytest

from commands import predict
from ml_pipeline.core import progress


def test_quiet_when_not_on_a_terminal(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ML_PIPELINE_PROGRESS", raising=False)
    assert list(progress.each(range(3), 3, "folds")) == [0, 1, 2]  # pytest captures: no TTY
    progress.note("working")
    assert capsys.readouterr() == ("", "")


def test_a_bar_on_stderr_when_asked(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_PIPELINE_PROGRESS", "1")
    assert list(progress.each(range(3), 3, "train: cv folds")) == [0, 1, 2]
    progress.note("report: drawing roc.png")
    out, err = capsys.readouterr()
    assert out == "" and "train: cv folds:   0%|" in err and "/3 [" in err
    assert "… report: drawing roc.png" in err


def test_ticking_scorer_returns_the_same_scores_and_counts_calls() -> None:
    class Counter:
        n = 0

        def update(self) -> None:
            self.n += 1

    ticks = Counter()
    score = progress.ticking(lambda a, b: a + b, ticks)
    assert score(1, 2) == 3 and score(2, 2) == 4
    assert ticks.n == 2


def test_streamed_command_output_is_kept_and_echoed(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ML_PIPELINE_PROGRESS", "1")
    cmd = [sys.executable, "-c", "import sys; print('stage a'); print('ERROR: b', file=sys.stderr)"]
    result = progress.run_streaming(cmd, None, None)
    assert result.returncode == 0 and result.stdout == "stage a\nERROR: b\n"
    assert "  | stage a" in capsys.readouterr().err


def test_mlflow_noise_is_dropped_and_other_warnings_kept(caplog) -> None:
    progress.quiet_mlflow()
    progress.quiet_mlflow()  # once is enough; twice adds nothing
    logger = logging.getLogger("mlflow.utils.environment")
    assert len(logger.filters) == 1
    with caplog.at_level(logging.WARNING):
        logger.warning("Failed to resolve installed pip version. ``pip`` will be added")
        logger.warning("something the user must see")
    assert [r.getMessage() for r in caplog.records] == ["something the user must see"]


def test_scoring_in_chunks_gives_the_rows_of_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(predict, "CHUNK_ROWS", 4)
    features = pd.DataFrame({"a": np.arange(10.0)})
    calls = []

    def score(frame: pd.DataFrame) -> np.ndarray:
        calls.append(len(frame))
        return np.column_stack([frame["a"] * 2, frame["a"] * 3])

    chunked = predict.in_chunks(score, features, "probabilities")
    assert calls == [4, 4, 2]
    assert np.array_equal(chunked, np.column_stack([features["a"] * 2, features["a"] * 3]))
