"""The search engine: Optuna proposes trials, joblib (locally or on Dask) scores their CV folds.

Trials are asked from Optuna in batches of `search.batch`. Each batch runs in two rounds of
joblib tasks: the first fold of every trial, then (after median pruning on that fold) the other
folds of the trials still alive. So the work is spread as (trial, fold) fits, which keeps every
core or Dask worker busy, and the result depends only on the seed and the batch size, never on
where or in which order the fits ran. The folds and the fit-and-score of one fold are train's
(ml_pipeline/modeling/cv.py), so a trial scores exactly as train's CV of its hyperparameters.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ml_pipeline.core.cluster import DASK_ENV as DASK_ENV  # the search's docs name it here
from ml_pipeline.core.cluster import address_and_key, connect
from ml_pipeline.core.config import Direction, Params, SearchConfig, SearchParam
from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation.catalog import METRICS, SEARCH_METRICS
from ml_pipeline.features.recipe import model_data
from ml_pipeline.modeling import cv
from ml_pipeline.modeling.cv import CV_METRIC
from ml_pipeline.modeling.pipeline import build_pipeline


def suggest(trial: Any, name: str, spec: SearchParam) -> Any:
    """Ask an Optuna trial for one hyperparameter as the search space describes it."""
    if spec.type == "categorical":
        return trial.suggest_categorical(name, spec.choices)
    assert spec.low is not None and spec.high is not None  # SearchParam checks ranges have both
    if spec.type == "int":
        step = int(spec.step) if spec.step else 1
        return trial.suggest_int(name, int(spec.low), int(spec.high), step=step, log=spec.log)
    return trial.suggest_float(name, spec.low, spec.high, step=spec.step, log=spec.log)


def distributions(space: dict[str, SearchParam]) -> dict[str, Any]:
    """The Optuna distribution of every hyperparameter (what `suggest` samples from)."""
    import optuna

    study = optuna.create_study()
    trial = study.ask()
    for name, spec in space.items():
        suggest(trial, name, spec)
    return dict(trial.distributions)


def metric_of(params: Params) -> tuple[str, str, float]:
    """(metric name, scikit-learn scorer, sign that turns the scorer into the metric)."""
    search = params.search
    name = search.metric or CV_METRIC[params.data.task][0]
    scorer = SEARCH_METRICS[params.data.task][name]
    return name, scorer, cv.sign_of(scorer)


def search_direction(params: Params) -> Direction:
    """search.direction, else the search metric's own (evaluation/catalog.py): a regression
    search that leaves it out minimises RMSE."""
    return params.search.direction or METRICS[metric_of(params)[0]].direction


def new_study(params: Params) -> Any:
    """The Optuna study that proposes the trials: seeded TPE in the search's direction, with
    median pruning after each trial's first fold when `search.prune`."""
    import optuna

    search = params.search
    return optuna.create_study(
        direction="maximize" if search_direction(params) == "higher" else "minimize",
        sampler=optuna.samplers.TPESampler(seed=search.seed, multivariate=True, constant_liar=True),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=search.batch, n_warmup_steps=0)
        if search.prune
        else optuna.pruners.NopPruner(),
    )


def scheduler_address(search: SearchConfig) -> str | None:
    """The Dask scheduler to use: search.dask_scheduler, else $DASK_SCHEDULER_ADDRESS, else none."""
    return address_and_key(search.dask_scheduler, "search.dask_scheduler")[0]


@contextmanager
def backend(search: SearchConfig) -> Iterator[str]:
    """joblib's backend for the fits: the Dask cluster when one is configured, else local."""
    address, key = address_and_key(search.dask_scheduler, "search.dask_scheduler")
    if not address:
        yield "local"
        return
    import joblib

    with connect(address, key) as client, joblib.parallel_backend("dask"):
        yield f"dask {address} ({len(client.scheduler_info()['workers'])} workers)"


@dataclass
class TrialResult:
    """One finished trial: what it tried and how it scored."""

    number: int
    params: dict[str, Any]
    state: str  # COMPLETE, PRUNED or FAIL
    scores: list[float]
    fit_seconds: float
    cpu_seconds: float
    error: str | None = None

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def std(self) -> float | None:
        return statistics.pstdev(self.scores) if self.scores else None


@dataclass
class SearchResult:
    """Every trial and the best one (by the search's metric and direction)."""

    metric: str
    direction: str
    trials: list[TrialResult] = field(default_factory=list)
    best: TrialResult | None = None
    importance: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    where: str = "local"

    @property
    def cpu_seconds(self) -> float:
        return sum(t.cpu_seconds for t in self.trials)


def run_search(
    params: Params,
    features: pd.DataFrame,
    target: pd.Series,
    on_batch: Callable[[list[TrialResult]], None] | None = None,
) -> SearchResult:
    """Run the configured search; `on_batch` sees each batch's trials as they finish."""
    import optuna
    from joblib import Parallel

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = params.search
    metric, scorer_name, sign = metric_of(params)
    study = new_study(params)
    folds = cv.folds(params, features, target)  # train's CV folds (modeling/cv.py)
    result = SearchResult(metric=metric, direction=search_direction(params))
    started = time.perf_counter()
    with backend(search) as where:
        result.where = where
        # max_nbytes=None: no memory-mapped copies of the data, whose clean-up by loky's
        # resource tracker printed KeyError tracebacks at exit on adult.
        parallel = Parallel(n_jobs=search.n_jobs, max_nbytes=None)
        fits = Fits(parallel, features, target, folds, scorer_name, sign)
        while len(study.trials) < search.trials:
            size = min(search.batch, search.trials - len(study.trials))
            batch = _run_batch(params, study, [study.ask() for _ in range(size)], fits)
            result.trials += batch
            if on_batch:
                on_batch(batch)
    result.wall_seconds = time.perf_counter() - started
    complete = [t for t in result.trials if t.state == "COMPLETE"]
    if not complete:
        raise StageError(f"search {search.name!r}: no trial completed; widen search.space")
    best = study.best_trial.number
    result.best = next(t for t in result.trials if t.number == best)
    result.importance = importance(study)
    return result


@dataclass
class Fits:
    """Scores (trial, fold) fits on the CV folds with a joblib `Parallel` (local or Dask)."""

    parallel: Any
    features: pd.DataFrame
    target: pd.Series
    folds: list[cv.Fold]
    scorer_name: str
    sign: float

    def __call__(self, jobs: list[tuple[int, int]], pipes: dict[int, Any]) -> list[cv.FoldRun]:
        """(score, wall seconds, CPU seconds) of each (trial number, fold number), in order."""
        from joblib import delayed

        if not jobs:
            return []
        tasks = (
            delayed(cv.score_fold)(
                pipes[t], self.features, self.target, *self.folds[f], self.scorer_name, self.sign
            )
            for t, f in jobs
        )
        return list(self.parallel(tasks))


def _run_batch(params: Params, study: Any, trials: list[Any], fits: Fits) -> list[TrialResult]:
    """Score a batch of asked trials: every first fold, then (after median pruning on it) the
    other folds of the trials still alive; tell the study each outcome."""
    chosen = {t.number: _suggest_all(t, params.search) for t in trials}
    pipes = {n: _pipeline(params, p) for n, p in chosen.items()}
    runs: dict[int, list[cv.FoldRun]] = {n: [] for n in chosen}
    first = [(t.number, 0) for t in trials]
    for (n, _), out in zip(first, fits(first, pipes), strict=True):
        runs[n].append(out)
    for trial in trials:  # tell the pruner about every first fold before asking it
        trial.report(runs[trial.number][0][0], step=0)
    n_folds = len(fits.folds)
    alive = [t.number for t in trials if not (n_folds > 1 and t.should_prune())]
    rest = [(n, f) for n in alive for f in range(1, n_folds)]
    for (n, _), out in zip(rest, fits(rest, pipes), strict=True):
        runs[n].append(out)
    return [_tell(study, t, chosen[t.number], runs[t.number], t.number in alive) for t in trials]


def _tell(
    study: Any, trial: Any, chosen: dict[str, Any], out: list[cv.FoldRun], alive: bool
) -> TrialResult:
    """The trial's record; the study learns its mean score, or that it was pruned."""
    import optuna

    record = TrialResult(
        number=trial.number,
        params=chosen,
        state="COMPLETE" if alive else "PRUNED",
        scores=[s for s, _, _ in out],
        fit_seconds=sum(w for _, w, _ in out),
        cpu_seconds=sum(c for _, _, c in out),
    )
    if alive:
        study.tell(trial, record.mean)
    else:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    return record


def importance(study: Any) -> dict[str, float]:
    """Optuna's parameter importance (fANOVA, seeded); empty when too few trials completed."""
    import optuna

    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if len(done) < 2 or not study.best_trial.params:
        return {}
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    try:
        values = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError):  # e.g. every completed trial has the same params
        return {}
    return {k: float(v) for k, v in values.items()}


def _suggest_all(trial: Any, search: SearchConfig) -> dict[str, Any]:
    return {name: suggest(trial, name, spec) for name, spec in search.space.items()}


def _pipeline(params: Params, chosen: dict[str, Any]) -> Any:
    model = type(params.model).model_validate({**params.model.model_dump(), **chosen})
    return build_pipeline(model_data(params), model, params.seed)
