"""Every shipped config option composes and validates; invalid ones fail with a clear message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from commands.compose import compose, experiment_of, stale_diff
from ml_pipeline.core.config import Params, load_params, parse_params
from ml_pipeline.core.errors import StageError
from tests.configs import model_config, shipped_params_dict
from tests.conftest import ROOT, run

GROUPS = sorted(p.name for p in (ROOT / "conf").iterdir() if p.is_dir())


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / "conf" / group).glob("*.yaml"))


def composed(tmp_path: Path, *overrides: str) -> dict:
    out = tmp_path / "params.yaml"
    compose(out, list(overrides), ROOT / "conf")
    return yaml.safe_load(out.read_text())


def test_committed_params_match_conf(tmp_path: Path) -> None:
    """params.yaml follows conf/; after `dvc exp run -S ...` the workspace holds that experiment's
    params.yaml (docs/configuration.md, "Add your own dataset"): then the committed one must
    follow conf/."""
    params = ROOT / "params.yaml"
    if experiment_of(params, ROOT) is not None:
        committed = run(["git", "show", "HEAD:params.yaml"], ROOT).stdout
        params = tmp_path / "params.yaml"
        params.write_text(committed)
    diff = stale_diff(params, [], ROOT / "conf")
    assert diff == "", f"params.yaml is stale; run `make params`:\n{diff}"


def test_composition_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    compose(first, ["model=rf"], ROOT / "conf")
    compose(second, ["model=rf"], ROOT / "conf")
    assert first.read_bytes() == second.read_bytes()


# split=time needs a dataset with a time column, which none of the shipped ones has.
SHIPPED = [f"{g}={o}" for g in GROUPS for o in options(g) if f"{g}={o}" != "split=time"]


@pytest.mark.parametrize("override", SHIPPED)
def test_every_shipped_option_composes_and_validates(tmp_path: Path, override: str) -> None:
    group, option = override.split("=")
    data = option if group in ("register", "validation") else "adult"  # a gate fits its task
    data = {"starter_regression": "diamonds", "starter_classification": "adult"}.get(data, data)
    params = parse_params(
        composed(tmp_path, *([] if group == "data" else [f"data={data}"]), override)
    )
    assert isinstance(params, Params)
    if group == "data":
        assert params.data.name == option
    if group == "model":  # a variant (lgbm_adult) is named after its family
        assert option.split("_")[0] == params.model.name


def test_time_split_composes_and_asks_for_a_time_column(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="split.method 'time' needs data.time_column"):
        parse_params(composed(tmp_path, "split=time"))


@pytest.mark.parametrize("data", options("data"))
def test_each_dataset_brings_its_default_split(tmp_path: Path, data: str) -> None:
    params = parse_params(composed(tmp_path, f"data={data}"))
    own_split = params.data.test_file or params.data.split_column
    if own_split:
        assert params.split.method == "predefined"
    else:  # a dataset added as docs/configuration.md says (make suite) may pick stratified or time
        assert params.split.method in {"random", "stratified", "time"}
        assert params.split.method != "time" or params.data.time_column


def test_command_line_split_wins_over_the_dataset_default(tmp_path: Path) -> None:
    params = parse_params(composed(tmp_path, "data=adult", "split=stratified"))
    assert params.split.method == "stratified"


def test_unknown_group_option_lists_the_options(tmp_path: Path) -> None:
    with pytest.raises(HydraException, match=r"(?s)Could not find 'model/xgb'.*hgb.*linear.*rf"):
        composed(tmp_path, "model=xgb")


def test_unknown_key_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises((HydraException, OmegaConfBaseException), match="depth"):
        composed(tmp_path, "model.depth=3")


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        (
            ["model=xgb"],
            "override model=xgb: no option 'xgb' in group 'model' (conf/model/); "
            "options: hgb, lgbm, lgbm_adult, linear, rf",
        ),
        (["model=hgb,xgb"], "override model=hgb,xgb: no option 'xgb' in group 'model'"),
        (
            ["model=rf", "model.depth=3"],
            "override model.depth=3: unknown key 'model.depth'; keys of model: calibration, "
            "max_depth, max_features, min_samples_leaf, n_estimators, n_jobs, name",
        ),
        (["modl=rf"], "override modl=rf: unknown key 'modl'; groups and keys: compute, cv, data,"),
        (
            ["registration.x=1"],
            "override registration.x=1: unknown key 'registration.x'; groups and keys: compute, "
            "cv, data,",
        ),
    ],
)
def test_an_unknown_override_is_one_line_naming_the_allowed_names(
    overrides: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hydra's 5-12 lines (`make params`, `make orchestrate`) become one (issue 23, item 16)."""
    from commands import compose as compose_module

    out = f"--output={ROOT / 'build' / 'never-written.yaml'}"
    assert compose_module.main([out, *overrides]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"compose: error: {line}"), err
    assert not (ROOT / "build" / "never-written.yaml").exists()


@pytest.mark.parametrize(
    ("section", "values", "message"),
    [
        ("model", {"max_iter": "many"}, "model.max_iter: Input should be a valid integer"),
        ("model", {"learning_rate": -1.0}, "model.learning_rate: Input should be greater than 0"),
        (
            "model",
            {"depth": 3},
            "unknown key 'model.depth'; allowed keys here: calibration, name, learning_rate",
        ),
        ("model", {"name": "xgb"}, "model: Input tag 'xgb'"),
        ("split", {"method": "by_month"}, "split.method: Input should be 'predefined', 'random'"),
        (
            "split",
            {"method": "random", "test_size": 1.5},
            "split.test_size must be between 0 and 1",
        ),
        (
            "data",
            {"task": "ranking"},
            "data.task: Input should be 'classification' or 'regression'",
        ),
        ("data", {"numeric": ["age", "age"]}, "'age' is listed twice"),
        ("data", {"bogus": 1}, "unknown key 'data.bogus'; allowed keys here: name, task, dir"),
        ("cv", {"n_splits": 1}, "cv.n_splits: Input should be greater than or equal to 2"),
        ("interval", {"level": 1.0}, "interval.level: Input should be less than 1"),
        ("interval", {"walk_forward_share": 0}, "interval.walk_forward_share: Input should be"),
    ],
)
def test_invalid_values_fail_with_key_and_allowed_values(
    section: str, values: dict, message: str
) -> None:
    raw = shipped_params_dict()
    raw[section].update(values)
    with pytest.raises(StageError) as caught:
        parse_params(raw)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_rf_keys_are_listed_for_an_unknown_rf_key() -> None:
    raw = shipped_params_dict()
    raw["model"] = model_config("rf").model_dump()
    raw["model"]["n_estimator"] = raw["model"].pop("n_estimators")  # a typo
    with pytest.raises(
        StageError,
        match=r"unknown key 'model.n_estimator'; allowed keys here: "
        r"calibration, name, n_estimators",
    ):
        parse_params(raw)


def test_predefined_split_needs_a_test_file() -> None:
    raw = shipped_params_dict()
    raw["data"]["test_file"] = None
    with pytest.raises(StageError, match="split.method 'predefined' needs data.test_file"):
        parse_params(raw)


def test_missing_params_file_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="make params"):
        load_params(tmp_path / "params.yaml")


def test_params_are_frozen() -> None:
    params = parse_params(shipped_params_dict())
    with pytest.raises(ValueError):
        params.seed = 1  # type: ignore[misc]


def test_a_gate_for_the_other_task_fails_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "params.yaml"
    compose(out, ["data=diamonds", "register=adult"])
    with pytest.raises(StageError, match=r"register.primary_metric 'roc_auc' is not a regression"):
        parse_params(yaml.safe_load(out.read_text()))


def test_every_dataset_selects_a_gate_for_its_own_metrics(tmp_path: Path) -> None:

    for data, metric in [("adult", "roc_auc"), ("tiny", "roc_auc"), ("diamonds", "rmse")]:
        out = tmp_path / f"params-{data}.yaml"
        compose(out, [f"data={data}"])
        params = parse_params(yaml.safe_load(out.read_text()))
        assert params.registration.primary_metric == metric
        assert params.tracking.registered_model == f"ml-pipeline-{data}"


def test_bad_gate_config_fails_naming_the_key() -> None:
    raw = yaml.safe_load(Path("params.yaml").read_text())
    raw["register"]["direction"] = "up"
    with pytest.raises(StageError, match="register.direction"):
        parse_params(raw)


def test_an_applied_experiments_params_is_named_not_called_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After `dvc exp run -S data=...` the workspace's params.yaml is the experiment's (its commit
    under refs/exps/<HEAD>/): check-params names it and says how to keep it or go back."""
    from commands import compose as compose_module

    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "conf", tmp_path / "conf")
    compose(tmp_path / "params.yaml", [], tmp_path / "conf")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *command], tmp_path)
    head = run(["git", "rev-parse", "HEAD"], tmp_path).stdout.strip()
    compose(tmp_path / "params.yaml", ["data=tiny"], tmp_path / "conf")
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "exp"], tmp_path)
    exp = run(["git", "rev-parse", "HEAD"], tmp_path).stdout.strip()
    run(["git", "reset", "-q", "--soft", head], tmp_path)  # workspace: the experiment's file
    run(["git", "update-ref", f"refs/exps/{head[:2]}/{head[2:]}/still-yell", exp], tmp_path)

    assert experiment_of(tmp_path / "params.yaml", tmp_path) == "still-yell"
    assert compose_module.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "holds the parameters of experiment 'still-yell' (dvc exp run)" in err
    assert "git checkout params.yaml" in err

    with (tmp_path / "params.yaml").open("a") as handle:
        handle.write("# edited by hand\n")
    assert experiment_of(tmp_path / "params.yaml", tmp_path) is None
    assert compose_module.main(["--check"]) == 1
    assert "differs from conf/; run `make params`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("section", "change", "key"),
    [
        ("register", {"direction": "lower"}, "register.direction"),
        (
            "register",
            {"thresholds": [{"metric": "accuracy", "direction": "lower", "value": 0.5}]},
            "register.thresholds.0.direction",
        ),
        (
            "report",
            {"gate": [{"metric": "rmse", "direction": "higher", "tolerance": 0.01}]},
            "report.gate.0.direction",
        ),
    ],
)
def test_a_direction_that_contradicts_the_catalog_is_refused_naming_the_key(
    section: str, change: dict, key: str
) -> None:
    raw = shipped_params_dict()
    raw[section] = raw[section] | change
    with pytest.raises(StageError, match=rf"^params\.yaml: {key}: '\w+' contradicts the metric"):
        parse_params(raw)


def test_an_omitted_direction_is_the_catalogs() -> None:
    raw = shipped_params_dict()
    register = {k: v for k, v in raw["register"].items() if k != "direction"}
    register["thresholds"] = [{"metric": "log_loss", "value": 0.5}]
    raw["register"], raw["report"] = register, {"gate": [{"metric": "rmse", "tolerance": 0.1}]}
    params = parse_params(raw)
    assert params.registration.direction == "higher"  # roc_auc
    assert params.registration.thresholds[0].direction == "lower"
    assert params.report.gate[0].direction == "lower"


def test_a_metric_the_catalog_does_not_rank_needs_its_direction() -> None:
    raw = shipped_params_dict()
    raw["register"] = raw["register"] | {"thresholds": [{"metric": "cv_accuracy_std", "value": 1}]}
    with pytest.raises(StageError, match=r"register\.thresholds\.0: metric 'cv_accuracy_std' is"):
        parse_params(raw)
    raw["register"]["thresholds"][0]["direction"] = "lower"  # a spread: the config decides
    assert parse_params(raw).registration.thresholds[0].direction == "lower"


def test_make_exp_checks_only_the_names_sweeps_included(capsys: pytest.CaptureFixture[str]) -> None:
    """`make exp` runs `compose --names` before `dvc exp run`: sweeps pass, a typo is one line."""
    from commands import compose as compose_module

    assert compose_module.main(["--names", "data=tiny", "model=hgb,rf", "model.max_iter=10"]) == 0
    sweep = "model.max_iter=range(100,400,100)"
    assert compose_module.main(["--names", "model=hgb", sweep]) == 0
    assert compose_module.main(["--names", "model=rf", "model.max_iter=10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "compose: error: override model.max_iter=10: unknown key 'model.max_iter'; keys of "
        "model: calibration, max_depth, max_features, min_samples_leaf, n_estimators, n_jobs, name"
    ]
