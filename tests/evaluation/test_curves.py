"""Learning curves: the loss per boosting iteration of a fitted model, equal to scikit-learn's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, root_mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ml_pipeline.evaluation import curves


def toy(n: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    features = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    return features, np.where(features["a"] + rng.normal(scale=0.5, size=n) > 0, "yes", "no")


def test_iteration_losses_read_the_fitted_model_without_changing_it() -> None:
    features, target = toy()
    model = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=15))
    model.fit(features, target)
    before = model.predict_proba(features)
    losses = curves.iteration_losses(model, features, target)
    assert len(losses) == model[-1].n_iter_ == 15
    assert losses[-1] == pytest.approx(log_loss(target, before))
    assert losses[0] > losses[-1]
    assert np.array_equal(model.predict_proba(features), before)
    linear = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, target)
    assert curves.iteration_losses(linear, features, target) == []


@pytest.mark.parametrize("classes", [["no", "yes"], ["a", "b", "c"]])
def test_staged_log_losses_equal_scikit_learns_to_the_bit(classes: list[str]) -> None:
    rng = np.random.default_rng(1)
    truth = rng.choice(classes, size=500)
    probas = [rng.dirichlet(np.ones(len(classes)), size=500) for _ in range(5)]
    probas[0][:3] = np.eye(len(classes))[0]  # certain answers: clipped at eps as scikit-learn does
    expected = [log_loss(truth, proba, labels=classes) for proba in probas]
    assert curves.staged_log_losses(truth, probas, classes) == expected


def test_regression_curve_is_the_rmse_of_each_iteration_on_the_first_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    features, _ = toy()
    target = 3 * features["a"].to_numpy() + features["b"].to_numpy()
    model = make_pipeline(StandardScaler(), HistGradientBoostingRegressor(max_iter=10))
    model.fit(features, target)
    monkeypatch.setattr(curves, "CURVE_MAX_ROWS", 100)
    losses = curves.iteration_losses(model, features, target)
    assert len(losses) == 10 and losses[0] > losses[-1]
    head = model.predict(features.iloc[:100])
    assert losses[-1] == pytest.approx(root_mean_squared_error(target[:100], head), rel=1e-12)


def test_loss_names_match_the_task() -> None:
    assert curves.loss_name("classification") == "log_loss"
    assert curves.loss_name("regression") == "rmse"
