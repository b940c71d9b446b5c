"""Hyperparameter search: the space → Optuna mapping, the config checks, the best-params file
that train reads, and the engine itself on `tiny` (in process, local joblib)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from commands.compose import compose
from ml_pipeline.core.config import Params, SearchParam, parse_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.columns import features_and_target
from ml_pipeline.modeling.best_params import apply_search, read_best, with_best
from ml_pipeline.modeling.tuning import distributions, new_study, run_search, search_direction
from tests.configs import model_config
from tests.conftest import ROOT


def composed(tmp_path: Path, *overrides: str) -> dict:
    compose(tmp_path / "params.yaml", list(overrides), ROOT / "conf")
    return yaml.safe_load((tmp_path / "params.yaml").read_text())


@pytest.fixture(scope="module")
def quick_raw(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """params.yaml of `tiny` with the shipped quick LightGBM search."""
    return composed(tmp_path_factory.mktemp("quick"), "data=tiny", "cv=fast", "search=lgbm_quick")


def with_search(raw: dict, **search: object) -> dict:
    return raw | {"search": raw["search"] | search}


def test_space_maps_to_optuna_distributions() -> None:
    space = {
        "lr": SearchParam(type="float", low=0.01, high=0.3, log=True),
        "frac": SearchParam(type="float", low=0.5, high=1.0, step=0.1),
        "trees": SearchParam(type="int", low=100, high=800, step=50),
        "leaves": SearchParam(type="int", low=8, high=64, log=True),
        "kind": SearchParam(type="categorical", choices=["a", 1, None]),
    }
    assert distributions(space) == {
        "lr": FloatDistribution(0.01, 0.3, log=True),
        "frac": FloatDistribution(0.5, 1.0, step=0.1),
        "trees": IntDistribution(100, 800, step=50),
        "leaves": IntDistribution(8, 64, log=True),
        "kind": CategoricalDistribution(["a", 1, None]),
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "float", "low": 1.0, "high": 1.0}, "needs low < high"),
        ({"type": "float", "low": 0.0, "high": 1.0, "log": True}, "needs low > 0"),
        ({"type": "int", "low": 1.5, "high": 4}, "whole-number low and high"),
        ({"type": "categorical", "choices": []}, "non-empty `choices`"),
        ({"type": "categorical", "choices": [1], "low": 0}, "takes `choices`, not low/high"),
        ({"type": "int", "low": 1, "high": 9, "choices": [1]}, "takes low/high, not `choices`"),
        ({"type": "float", "low": 0.1, "high": 1, "log": True, "step": 0.1}, "cannot be combined"),
    ],
)
def test_bad_ranges_fail_naming_the_parameter(quick_raw: dict, spec: dict, message: str) -> None:
    raw = with_search(quick_raw, space={"learning_rate": spec})
    with pytest.raises(StageError, match=r"search\.space\.learning_rate: .*" + message):
        parse_params(raw)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"family": "hgb"}, "search.family 'hgb' but model.name is 'lgbm'; pass -S model=hgb"),
        ({"space": {"depth": {"type": "int", "low": 1, "high": 3}}}, "search.space.depth: not a"),
        (
            {"metric": "rmse", "direction": "lower"},
            "search.metric 'rmse' is not a classification CV metric",
        ),
        ({"direction": "up"}, "search.direction"),
        (
            {"space": {"num_leaves": {"type": "int", "low": 1, "high": 8}}},
            "search.space.num_leaves: 1 is not a valid lgbm num_leaves (Input should be greater",
        ),
        (
            {"space": {"subsample": {"type": "categorical", "choices": [0.5, 2.0]}}},
            "search.space.subsample: 2.0 is not a valid lgbm subsample",
        ),
    ],
)
def test_search_that_does_not_fit_the_model_is_refused(
    quick_raw: dict, change: dict, message: str
) -> None:
    with pytest.raises(StageError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_params(with_search(quick_raw, **change))


def test_default_composition_has_the_search_off(tmp_path: Path) -> None:
    params = parse_params(composed(tmp_path))
    assert params.search.name == "none" and not params.search.enabled
    assert apply_search(params, tmp_path / "absent.json") is params  # no file needed when off


def write_report(path: Path, **fields: object) -> Path:
    report = {"search": "lgbm_quick", "family": "lgbm", "best": {"params": {"num_leaves": 7}}}
    path.write_text(json.dumps(report | fields))
    return path


def test_train_gets_the_best_params_of_the_configured_search(
    quick_raw: dict, tmp_path: Path
) -> None:
    params = parse_params(quick_raw)
    report = write_report(tmp_path / "search.json")
    trained = apply_search(params, report)
    assert trained.model.num_leaves == 7 and params.model.num_leaves == 31
    assert trained.model.model_dump(exclude={"num_leaves"}) == params.model.model_dump(
        exclude={"num_leaves"}
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"search": "other"}, "holds search 'other' of family 'lgbm'.*dvc repro search"),
        ({"family": "hgb"}, "holds search 'lgbm_quick' of family 'hgb'"),
        ({"best": {"params": {"max_depth": 3}}}, "must name only search.space keys"),
        ({"best": {}}, "must name only search.space keys"),
    ],
)
def test_a_best_params_file_of_another_search_is_refused(
    quick_raw: dict, tmp_path: Path, fields: dict, message: str
) -> None:
    report = write_report(tmp_path / "search.json", **fields)
    with pytest.raises(StageError, match=message):
        read_best(parse_params(quick_raw), report)


def test_missing_or_broken_best_params_file_says_what_to_run(
    quick_raw: dict, tmp_path: Path
) -> None:
    params = parse_params(quick_raw)
    with pytest.raises(StageError, match="not found; run the search first: dvc repro search"):
        read_best(params, tmp_path / "absent.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(StageError, match="not valid JSON"):
        read_best(params, tmp_path / "bad.json")
    too_small = r"best\.params: num_leaves: .* greater than or equal to 2"
    with pytest.raises(StageError, match=too_small):
        with_best(params, {"num_leaves": 1})  # below the family's minimum of 2


def load_tiny(raw: dict) -> tuple[pd.DataFrame, pd.Series]:
    """The cleaned `tiny` train file: features and target."""
    from ml_pipeline.data.dataset import clean, read_table

    params = parse_params(raw)
    path = ROOT / params.data.dir / params.data.train_file
    frame = clean(read_table(path, params.data, "data.train_file"), params.data)[0]
    return features_and_target(frame, params.data)


@pytest.fixture(scope="module")
def tiny_train(quick_raw: dict) -> tuple[pd.DataFrame, pd.Series]:
    return load_tiny(quick_raw)


def small(raw: dict, **search: object) -> Params:
    return parse_params(with_search(raw, n_jobs=1, **search))


def test_search_is_reproducible_with_its_seed_and_prunes(quick_raw: dict, tiny_train) -> None:
    features, target = tiny_train
    first = run_search(small(quick_raw, trials=6, batch=2), features, target)
    again = run_search(small(quick_raw, trials=6, batch=2), features, target)
    other = run_search(small(quick_raw, trials=6, batch=2, seed=1), features, target)
    assert [t.params for t in first.trials] == [t.params for t in again.trials]
    assert first.best.number == again.best.number and first.best.mean == again.best.mean
    assert [t.params for t in first.trials] != [t.params for t in other.trials]
    assert len(first.trials) == 6 and first.where == "local"
    pruned = [t for t in first.trials + other.trials if t.state == "PRUNED"]
    assert pruned and all(len(t.scores) == 1 for t in pruned)
    complete = [t for t in first.trials if t.state == "COMPLETE"]
    assert all(len(t.scores) == 3 for t in complete)  # cv=fast: every fold scored
    assert first.best.mean == max(t.mean for t in complete)
    assert set(first.importance) <= set(first.best.params)


def test_direction_lower_picks_the_lowest_score(quick_raw: dict, tiny_train) -> None:
    features, target = tiny_train
    params = small(quick_raw, trials=4, batch=4, metric="log_loss", direction="lower", prune=False)
    result = run_search(params, features, target)
    scores = [t.mean for t in result.trials]
    assert all(s > 0 for s in scores)  # log loss itself, not scikit-learn's negated scorer
    assert result.best.mean == min(scores) and len(set(scores)) > 1


@pytest.fixture(scope="module")
def regression_raw(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A diamonds (regression) search whose file names neither a metric nor a direction."""
    raw = composed(tmp_path_factory.mktemp("reg"), "data=diamonds", "search=lgbm_quick")
    search = {k: v for k, v in raw["search"].items() if k not in ("metric", "direction")}
    return raw | {"search": search}


def test_a_regression_search_without_direction_minimises_rmse(regression_raw: dict) -> None:
    params = parse_params(regression_raw)
    assert params.search.metric is None and params.search.direction is None
    assert search_direction(params) == "lower"  # the default CV metric, RMSE, per the catalog
    study = new_study(params)
    for rmse in (3.0, 1.0, 2.0):  # what each trial's CV RMSE came to
        study.tell(study.ask(), rmse)
    assert study.best_value == 1.0


def test_a_search_direction_that_contradicts_its_metric_is_refused(
    quick_raw: dict, regression_raw: dict
) -> None:
    with pytest.raises(StageError, match=r"search\.direction: 'higher' contradicts .* rmse"):
        parse_params(with_search(regression_raw, direction="higher"))  # the default metric
    with pytest.raises(StageError, match=r"search\.direction: 'higher' contradicts .* log_loss"):
        parse_params(with_search(quick_raw, metric="log_loss", direction="higher"))
    mae = parse_params(with_search(regression_raw, metric="mae"))
    assert mae.search.direction == "lower"  # filled in from the catalog


def test_a_lightgbm_model_pins_lightgbm_and_an_sklearn_one_does_not(quick_raw: dict) -> None:
    import lightgbm

    from ml_pipeline.modeling.families import requirements
    from ml_pipeline.modeling.pipeline import build_pipeline

    params = parse_params(quick_raw)
    lgbm = build_pipeline(params.data, params.model, params.seed)[-1]
    assert requirements(lgbm) == [f"lightgbm=={lightgbm.__version__}"]
    assert isinstance(lgbm, lightgbm.LGBMClassifier) and lgbm.get_params()["n_jobs"] == 1
    hgb_model = model_config("hgb").model_dump()
    hgb = parse_params(quick_raw | {"model": hgb_model, "search": {"name": "none"}})
    assert requirements(build_pipeline(hgb.data, hgb.model, hgb.seed)[-1]) == []


def test_reproduce_skips_the_search_when_its_result_is_there(tmp_path: Path) -> None:
    from commands.reproduce import repro_stages

    every = "{check: {cmd: c}, prepare: {cmd: x}, validate: {cmd: v}, search: {cmd: y}, "
    every += "train: {cmd: t}, evaluate: {cmd: e}, register: {cmd: r}}"
    (tmp_path / "dvc.yaml").write_text(f"stages: {every}\n")
    assert repro_stages(tmp_path) == ["check", "prepare", "validate", "search", "train", "evaluate"]
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "search.json").write_text("{}")
    assert repro_stages(tmp_path) == ["check", "prepare", "validate", "train", "evaluate"]
    # a commit from before `check` and `search` existed
    old = "{prepare: {cmd: x}, validate: {cmd: v}, train: {cmd: t}, evaluate: {cmd: e}}"
    (tmp_path / "dvc.yaml").write_text(f"stages: {old}\n")
    (tmp_path / "reports" / "search.json").unlink()
    assert repro_stages(tmp_path) == ["prepare", "validate", "train", "evaluate"]


def test_dask_scheduler_comes_from_the_config_key_then_the_environment(
    quick_raw: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ml_pipeline.modeling.tuning import DASK_ENV, scheduler_address

    monkeypatch.delenv(DASK_ENV, raising=False)
    assert scheduler_address(parse_params(quick_raw).search) is None  # local joblib
    monkeypatch.setenv(DASK_ENV, "tcp://10.0.0.1:8786")
    assert scheduler_address(parse_params(quick_raw).search) == "tcp://10.0.0.1:8786"
    keyed = parse_params(with_search(quick_raw, dask_scheduler="tcp://10.0.0.2:8786"))
    assert scheduler_address(keyed.search) == "tcp://10.0.0.2:8786"
