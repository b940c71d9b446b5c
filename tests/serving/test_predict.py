"""Batch scoring (`commands.predict`) with a real MLflow model saved the way `train` saves it."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from commands.predict import check_schema, main, predict
from ml_pipeline.core.config import FeaturesConfig, ValidationConfig
from ml_pipeline.core.errors import StageError
from ml_pipeline.core.scoring_config import Scoring
from ml_pipeline.evaluation import conformal
from ml_pipeline.modeling.pipeline import build_pipeline
from ml_pipeline.serving.settings import KEY
from ml_pipeline.tracking.model_save import model_kwargs, save_model
from tests.configs import model_config, shipped_params
from tests.modeling.test_modeling import toy

INTERVAL = {"level": 0.9, "half_width": 0.25, "residuals": 120}


def saved_toy_model(
    directory: Path, task: str = "classification", carries: bool = True, **read: Any
) -> Path:
    """A toy pipeline saved by `train`'s code; its example rows have nulls in `x` and `colour`.
    It carries its scoring settings (serving/settings.py; `read`: its data.read) unless not
    `carries`, as models saved before them; a regression model also its prediction interval
    (`INTERVAL`), as `train` gives it one."""
    cfg, frame = toy(task)
    cfg = cfg.model_copy(update={"read": cfg.read.model_copy(update=read)})
    features = frame[cfg.features]
    pipeline = build_pipeline(cfg, model_config("hgb", max_iter=5), seed=0)
    pipeline.fit(features, frame["target"])
    path = directory / "model"
    settings = Scoring(data=cfg, features=FeaturesConfig(), validation=ValidationConfig(columns={}))
    metadata: dict[str, Any] = {KEY: settings.model_dump_json()} if carries else {}
    if task == "regression":
        metadata[conformal.KEY] = INTERVAL
    save_model(pipeline, model_kwargs(pipeline, features.head(20), metadata or None), path)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_toy_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Any:
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(str(model_dir))


ROWS = pd.DataFrame(
    {
        "x": [0.5, np.nan, -1.0],
        "colour": ["red", None, np.nan],
        "size": ["S", "M", None],
        "id": [1, 2, 3],
    }
)


def score(model_dir: Path, tmp_path: Path, rows: pd.DataFrame, output: str) -> tuple[int, Path]:
    """`python -m commands.predict` in process, on `rows` written as CSV."""
    rows.to_csv(tmp_path / "rows.csv", index=False)
    args = ["--input", str(tmp_path / "rows.csv"), "--output", str(tmp_path / output)]
    return main([*args, "--model-uri", str(model_dir)]), tmp_path / output


def test_every_column_is_required_and_null_values_still_score(model: Any) -> None:
    from mlflow.exceptions import MlflowException

    schema = model.metadata.get_input_schema()
    assert [(s.name, s.required) for s in schema.inputs] == [
        ("x", True),
        ("colour", True),
        ("size", True),
    ]
    assert len(model.predict(ROWS)) == 3  # what `mlflow models serve` calls, nulls and all
    with pytest.raises(MlflowException, match=r"missing inputs \['colour'\]"):
        model.predict(ROWS.drop(columns="colour"))


def test_a_missing_column_fails_with_one_line_even_if_the_signature_says_optional(
    model_dir: Path, model: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlflow.models import infer_signature

    code, out = score(model_dir, tmp_path, ROWS.drop(columns="colour"), "scored.csv")
    assert code == 2 and not out.exists()
    assert capsys.readouterr().err == (
        f"predict: error: {tmp_path / 'rows.csv'}: missing column 'colour' "
        "(the model needs: x, colour, size)\n"
    )
    # Models logged before every column was required: `colour` is optional there.
    older = infer_signature(ROWS.drop(columns="id"), model.predict(ROWS)).inputs
    assert not older.input_dict()["colour"].required
    with pytest.raises(StageError, match="missing column 'colour'"):
        check_schema(ROWS.drop(columns="colour"), older, "rows.csv")


def test_an_all_empty_text_column_in_a_csv_scores(model_dir: Path, tmp_path: Path) -> None:
    code, out = score(model_dir, tmp_path, ROWS.head(1).assign(colour=None), "scored.csv")
    scored = pd.read_csv(out)
    assert code == 0 and len(scored) == 1 and scored["prediction"].isin(["hi", "lo"]).all()
    assert list(scored.columns[:4]) == ["x", "colour", "size", "id"]  # extra columns are kept


def test_whole_numbers_score_where_the_model_has_decimals(
    model_dir: Path, model: Any, tmp_path: Path
) -> None:
    rows = ROWS.assign(x=[1, 2, 3])  # a CSV of whole numbers is read as int64
    code, out = score(model_dir, tmp_path, rows, "scored.csv")
    assert code == 0 and len(pd.read_csv(out)) == 3
    assert check_schema(rows, model.metadata.get_input_schema(), "rows.csv")["x"].dtype == "float64"


def test_a_failing_prediction_is_one_line_naming_the_input(model: Any) -> None:
    rows = ROWS.assign(colour=np.nan)  # float64, e.g. from Parquet: MLflow refuses it as text
    with pytest.raises(StageError) as caught:
        predict(model, rows, "rows.parquet")
    message = str(caught.value)
    assert message.startswith("rows.parquet: cannot be scored (") and "\n" not in message


@pytest.mark.parametrize(
    "name", ["scored.csv", "scored.csv.gz", "scored.csv.zip", "scored.parquet"]
)
def test_output_format_and_compression_follow_the_output_suffix(
    model_dir: Path, tmp_path: Path, name: str
) -> None:
    code, out = score(model_dir, tmp_path, ROWS, name)
    assert code == 0
    head = out.read_bytes()[:4]
    if name.endswith(".gz"):
        assert head[:2] == b"\x1f\x8b" and gzip.decompress(out.read_bytes()).startswith(b"x,")
    elif name.endswith(".zip"):
        assert zipfile.ZipFile(out).namelist() == ["scored.csv"]
    elif name.endswith(".parquet"):
        assert head == b"PAR1"
    else:
        assert head == b"x,co"
    scored = pd.read_parquet(out) if name.endswith(".parquet") else pd.read_csv(out)
    assert len(scored) == 3 and {"prediction", "proba_hi", "proba_lo", "id"} <= set(scored)


def test_predict_checks_the_signature_naming_the_column() -> None:
    from mlflow.models import infer_signature

    from commands.predict import check_schema

    rows = pd.DataFrame({"age": [30.0, 40.0], "sex": ["Male", "Female"]})
    signature = infer_signature(rows, pd.Series(["a", "b"]))
    assert list(check_schema(rows.assign(extra=1), signature.inputs, "x.csv").columns) == [
        "age",
        "sex",
    ]
    with pytest.raises(StageError, match="x.csv: missing column 'sex'"):
        check_schema(rows.drop(columns="sex"), signature.inputs, "x.csv")
    with pytest.raises(StageError, match=r"column 'age' must be numeric .*'old'"):
        check_schema(rows.assign(age=["30", "old"]), signature.inputs, "x.csv")


# Two rows of `tiny` (headerless; `?` is missing, `|` starts a comment): a blank age, a
# thousands separator in fnlwgt, a `?` workclass.
TINY_ROWS = [
    '39, State-gov, "77,516", Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White,'
    " Male, 2174, 0, 40, United-States, <=50K",
    " , ?, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, White, Male, 0,"
    " 0, 13, United-States, >50K",
]


def test_predict_reads_a_file_as_prepare_reads_the_dataset(
    template_dir: Path, tmp_path: Path
) -> None:
    from mlflow.models import infer_signature

    from commands.predict import read_rows
    from ml_pipeline.core.config import ReadOptions, load_params
    from ml_pipeline.data.dataset import coerce_types, read_table

    tiny = load_params(template_dir / "params.yaml").data
    data = tiny.model_copy(update={"read": tiny.read.model_copy(update={"thousands": ","})})
    source = tmp_path / "batch.csv"
    source.write_text("| a comment line\n" + "\n".join(TINY_ROWS) + "\n")
    typed, coerced = coerce_types(read_table(source, data, "data.train_file"), data)
    assert coerced == {} and typed["age"].isna().tolist() == [False, True]
    assert typed["fnlwgt"].tolist() == [77516.0, 83311.0]
    schema = infer_signature(typed[data.features]).inputs
    without_target = [row.rsplit(",", 1)[0] for row in TINY_ROWS]
    header = ", ".join(c for c in data.read.columns if c != data.target)
    for rows in (TINY_ROWS, without_target, [header, *without_target]):  # all read alike
        source.write_text("\n".join(rows) + "\n")
        scored = check_schema(read_rows(source, data, schema), schema, str(source))
        pd.testing.assert_frame_equal(scored, typed[data.features], check_dtype=False)
    plain = read_rows(source, data.model_copy(update={"read": ReadOptions()}), schema)
    assert plain["fnlwgt"].isna().tolist() == [True, False]  # no data.read.thousands: missing
    source.write_text("1, 2, 3\n")
    with pytest.raises(StageError, match=r"batch.csv: 3 column\(s\) found and no header line"):
        read_rows(source, data, schema)


def test_a_missing_input_is_refused_before_the_model_is_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--input", str(tmp_path / "absent.csv"), "--output", str(tmp_path / "out.csv")]
    assert main([*args, "--model-uri", str(tmp_path / "no-model")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"predict: error: --input {tmp_path / 'absent.csv'}: not found"


def test_unseen_categories_are_counted_per_column() -> None:
    from ml_pipeline.validation.unseen import unseen_counts, unseen_line

    params = shipped_params()
    rows = pd.DataFrame({"workclass": ["Private", "Astronaut", "Astronaut", None], "age": [1] * 4})
    counts = unseen_counts(rows, params)
    assert counts == {"workclass": 2}
    assert "workclass 2" in unseen_line(counts, len(rows))


def test_an_input_naming_a_column_twice_is_refused(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("x,colour,size,x\n0.5,red,S,7\n")
    args = ["--input", str(source), "--output", str(tmp_path / "out.csv")]
    assert main([*args, "--model-uri", str(model_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("predict: error: ") and len(err.splitlines()) == 1, err
    assert "rows.csv" in err and "column 'x' appears twice" in err
    assert not (tmp_path / "out.csv").exists()


def test_a_huge_value_in_a_numeric_column_is_echoed_capped(model: Any) -> None:
    rows = ROWS.astype({"x": object})
    rows.loc[1, "x"] = "old" * 2_000_000
    with pytest.raises(StageError, match="must be numeric") as raised:
        check_schema(rows, model.metadata.get_input_schema(), "rows.csv")
    assert len(str(raised.value)) < 1_000 and "(6,000,000 characters)" in str(raised.value)


def test_a_regression_model_predicts_its_interval_a_classifier_none(
    model: Any, tmp_path: Path
) -> None:
    import mlflow.pyfunc

    regressor = mlflow.pyfunc.load_model(str(saved_toy_model(tmp_path, "regression")))
    assert regressor.metadata.metadata[conformal.KEY] == INTERVAL
    scored = predict(regressor, ROWS, "rows.csv")
    np.testing.assert_allclose(scored["prediction_lower"], scored["prediction"] - 0.25)
    np.testing.assert_allclose(scored["prediction_upper"], scored["prediction"] + 0.25)
    assert "prediction_lower" not in predict(model, ROWS, "rows.csv")  # classification
