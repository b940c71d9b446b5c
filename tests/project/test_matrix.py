"""The fault matrix of issue 14: one row per bad input or fault, the same contract for each.

Each row breaks a fresh plain copy of the repository (`tiny`, with an empty migrated MLflow
store), runs the stage in-process (real files, real MLflow on a real SQLite store, real Great
Expectations; DVC's part is in test_check_stage.py) and asserts: exit status 2, one line
`<stage>: error: ...` naming the file/column/key/store, no half-written output, no MLflow run
left RUNNING, nothing registered, and the password of the environment in no output or file.
`validate` lists each failed expectation on its own line before its error line.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from commands import predict
from ml_pipeline.serving import app as serving
from stages import check, evaluate, prepare, register, train, validate
from tests.services import dask_scheduler_with_worker, free_port

SECRET = "matrix-password-do-not-leak"
TRAIN = "data/raw/tiny/tiny.data.gz"
TEST = "data/raw/tiny/tiny.test.gz"
UNWRITABLE = "/sys/ml-pipeline-matrix"  # refused even to root (sysfs)
SCORED = "scored.csv"
OUTPUTS = [
    "reports/check.json",
    "data/prepared/train.parquet",
    "data/prepared/test.parquet",
    "reports/prepare.json",
    "models/model",
    "models/run.json",
    "reports/train.json",
    "metrics.json",
    "reports/registration.json",
    SCORED,
    "scored.xlsx",
]
Row = tuple[Callable[[], int], str, list[str]]


class Case:
    """The repository copy of one row, and the ways a row breaks it."""

    def __init__(self, repo: Path, monkeypatch: pytest.MonkeyPatch, model: Path) -> None:
        self.repo, self.monkeypatch, self.model = repo, monkeypatch, model
        self.keep: list[str] = []  # outputs a row's earlier, passing stage legitimately wrote
        self.stack = ExitStack()  # what a row started (a Dask cluster), closed after the row

    def lines(self, name: str = TRAIN) -> list[str]:
        with gzip.open(self.repo / name, "rt") as handle:
            return handle.read().splitlines()

    def write(self, rows: list[str], name: str = TRAIN) -> None:
        with gzip.open(self.repo / name, "wt") as handle:
            handle.write("\n".join(rows) + "\n")

    def column(self, name: str, value: Callable[[int, list[str]], str]) -> None:
        """Replace column `name` of the raw files by `value(row number, the row's values)`."""
        columns = self.params()["data"]["read"]["columns"]
        index = columns.index(name)
        for file in (TRAIN, TEST):
            rows = [row.split(", ") for row in self.lines(file)]
            for i, row in enumerate(rows):
                if len(row) == len(columns):  # not the test file's comment line
                    row[index] = value(i, row)
            self.write([", ".join(row) for row in rows], file)

    def params(self) -> dict:
        return yaml.safe_load((self.repo / "params.yaml").read_text())

    def set(self, section: str, **values: object) -> None:
        params = self.params()
        params[section].update(values)
        (self.repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    def prepared(self) -> None:
        """Run prepare (it must pass); the row's stage fails after it."""
        assert prepare.main([]) == 0
        for output in OUTPUTS[:4]:  # check's and prepare's own outputs are legitimately there
            self.keep.append(output)

    def after(self, run: Callable[[], int]) -> Callable[[], int]:
        def wrapped() -> int:
            status = run()
            for output in self.keep:
                shutil.rmtree(self.repo / output, ignore_errors=True)
                (self.repo / output).unlink(missing_ok=True)
            return status

        return wrapped

    def predict(self, rows: pd.DataFrame | str | None, *extra: str, uri: bool = True) -> Any:
        """`predict` of `rows` (a frame, raw text, or None: no file) with the tiny model."""
        source = self.repo / "rows.csv"
        if isinstance(rows, pd.DataFrame):
            rows.to_csv(source, index=False)
        elif rows is not None:
            source.write_text(rows)
        args = ["--input", str(source), "--output", str(self.repo / SCORED)]
        args += ["--model-uri", str(self.model)] if uri else []
        return lambda: predict.main([*args, *extra])

    def batch(self) -> pd.DataFrame:
        return pd.read_parquet(self.model.parent / "test.parquet").drop(columns="income").head(20)


# --- prepare: files -----------------------------------------------------------------------------
def truncated(c: Case) -> Row:
    (c.repo / TRAIN).write_bytes((c.repo / TRAIN).read_bytes()[:-200])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "truncated"]


def not_gzip(c: Case) -> Row:
    (c.repo / TRAIN).write_bytes(b"39, State-gov, 77516\n")
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "data.train_file"]


def missing_file(c: Case) -> Row:
    (c.repo / TRAIN).unlink()
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "data.train_file"]


def missing_test_file(c: Case) -> Row:
    (c.repo / TEST).unlink()
    return lambda: prepare.main([]), "prepare", ["tiny.test.gz", "data.test_file"]


def empty_file(c: Case) -> Row:
    c.write([])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "empty"]


def dropped_column(c: Case) -> Row:
    c.write([row.rsplit(",", 1)[0] for row in c.lines()])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "14 column(s)", "lists 15"]


def wrong_delimiter(c: Case) -> Row:
    c.write([row.replace(", ", ";") for row in c.lines()])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "delimiter"]


def header_line(c: Case) -> Row:
    c.write([", ".join(c.params()["data"]["read"]["columns"]), *c.lines()])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "data.read.header"]


def header_only(c: Case) -> Row:
    c.write([", ".join(c.params()["data"]["read"]["columns"])])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "header"]


def garbage_lines(c: Case) -> Row:
    rows = c.lines()
    rows.insert(100, "this line is garbage")  # line 101
    rows.insert(201, "<html><body>503 Service Unavailable</body></html>")  # line 202
    c.write(rows)
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz: line(s) 101, 202 have fewer"]


def unwritable_output(c: Case) -> Row:
    (c.repo / "data/prepared").unlink(missing_ok=True)
    (c.repo / "data/prepared").symlink_to(UNWRITABLE)
    needles = ["data/prepared/train.parquet", "data/prepared is not a folder", "writable"]
    return lambda: prepare.main([]), "prepare", needles


def file_size_limit(c: Case) -> Row:
    """`ulimit -f`: a write past the limit fails with EFBIG (Python ignores SIGXFSZ)."""
    import resource

    def run() -> int:
        limits = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, limits[1]))  # tiny's train: ~15 kB
        try:
            return prepare.main([])
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, limits)

    return run, "prepare", ["data/prepared/train.parquet", "File too large"]


# --- prepare: values ----------------------------------------------------------------------------
def class_spelling(c: Case) -> Row:
    c.write([r.replace(">50K", ">50k") if i % 5 else r for i, r in enumerate(c.lines())])
    return lambda: prepare.main([]), "prepare", ["'>50K', '>50k'", "data.target_map"]


def single_class(c: Case) -> Row:
    c.write([row for row in c.lines() if row.endswith("<=50K")])
    return lambda: prepare.main([]), "prepare", ["'income'", "single class", "data.target"]


def dates_in_a_numeric_column(c: Case) -> Row:
    c.column("age", lambda i, _: f"2020-01-{i % 28 + 1:02d}")
    return lambda: prepare.main([]), "prepare", ["'age'", "data.numeric", "data.time_column"]


def unknown_target(c: Case) -> Row:
    c.set("data", target="salary")
    return lambda: prepare.main([]), "prepare", ["'salary'", "data.target"]


def unknown_feature_column(c: Case) -> Row:
    c.set("data", numeric=[*c.params()["data"]["numeric"], "height"])
    return lambda: prepare.main([]), "prepare", ["'height'", "data.numeric"]


def positive_label_not_a_class(c: Case) -> Row:
    c.set("data", positive_label="rich")
    return lambda: prepare.main([]), "prepare", ["'rich'", "data.positive_label"]


def text_regression_target(c: Case) -> Row:
    categorical = [col for col in c.params()["data"]["categorical"] if col != "workclass"]
    c.set("data", task="regression", target="occupation", positive_label=None)
    c.set("data", categorical=[col for col in categorical if col != "occupation"])
    c.set("register", primary_metric="rmse", direction="lower", thresholds=[])
    return lambda: prepare.main([]), "prepare", ["'occupation'", "data.task", "non-numeric"]


def empty_test_split(c: Case) -> Row:
    c.set("split", method="random", test_size=0.001)
    c.set("data", test_file=None)
    return lambda: prepare.main([]), "prepare", ["split.test_size=0.001", "empty split"]


# --- check: every key of params.yaml ------------------------------------------------------------
def bad_param(c: Case) -> Row:
    c.set("model", learning_rate="abc")
    return lambda: check.main([]), "check", ["model.learning_rate"]


def negative_param(c: Case) -> Row:
    c.set("model", learning_rate=-1.0)
    return lambda: check.main([]), "check", ["model.learning_rate", "greater than 0"]


def text_for_an_integer(c: Case) -> Row:
    c.set("model", max_iter="many")
    return lambda: check.main([]), "check", ["model.max_iter", "integer"]


def unknown_key(c: Case) -> Row:
    c.set("model", depth=3)
    return lambda: check.main([]), "check", ["'model.depth'", "allowed keys"]


def unknown_section(c: Case) -> Row:
    params = c.params() | {"registration": {"primary_metric": "roc_auc"}}  # the code's name
    (c.repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return lambda: check.main([]), "check", ["'registration'", "monitor, register, search"]


def unknown_register_key(c: Case) -> Row:
    c.set("register", minimum=0.8)
    needles = ["'register.minimum'", "allowed keys here: primary_metric, direction"]
    return lambda: check.main([]), "check", needles


def unknown_model_family(c: Case) -> Row:
    c.set("model", name="xgb")
    return lambda: check.main([]), "check", ["'xgb'", "'hgb'"]


def unknown_split_method(c: Case) -> Row:
    c.set("split", method="by_month")
    return lambda: check.main([]), "check", ["split.method", "'random'"]


def split_size_out_of_range(c: Case) -> Row:
    c.set("split", method="random", test_size=1.5)
    return lambda: check.main([]), "check", ["split.test_size", "between 0 and 1"]


def unknown_task(c: Case) -> Row:
    c.set("data", task="ranking")
    return lambda: check.main([]), "check", ["data.task", "'classification'"]


def feature_listed_twice(c: Case) -> Row:
    c.set("data", numeric=["age", "age"])
    return lambda: check.main([]), "check", ["'age'", "listed twice"]


def list_given_as_text(c: Case) -> Row:
    c.set("data", categorical="workclass")
    return lambda: check.main([]), "check", ["data.categorical", "list"]


def lag_zero_at_horizon_zero(c: Case) -> Row:
    c.set("features", horizon=0, lags={"age": [0]})  # the row's own value "built from the past"
    return lambda: check.main([]), "check", ["features.lags.age: lag 0 at features.horizon 0"]


def baseline_picked_by_config(c: Case) -> Row:
    c.set("features", horizon=1, baseline="zero")  # a baseline chosen to lose
    return lambda: check.main([]), "check", ["'features.baseline'"]


def unknown_target_transform(c: Case) -> Row:
    c.set("features", horizon=1, target={"transform": "return"})
    return lambda: check.main([]), "check", ["features.target.transform", "'log_return'"]


def params_not_yaml(c: Case) -> Row:
    (c.repo / "params.yaml").write_text("model: [unclosed\n")
    return lambda: check.main([]), "check", ["params.yaml", "not valid YAML at line 2"]


def params_missing(c: Case) -> Row:
    (c.repo / "params.yaml").unlink()
    return lambda: check.main([]), "check", ["params.yaml", "make params"]


# --- validate, train, evaluate, register --------------------------------------------------------
def column_all_missing(c: Case) -> Row:
    c.column("age", lambda *_: "?")
    c.prepared()
    return c.after(lambda: validate.main([])), "validate", ["'age'", "error-level"]


def too_many_levels(c: Case) -> Row:
    c.column("education", lambda i, _: f"level-{i % 300}")
    c.prepared()
    return c.after(lambda: train.main([])), "train", ["'education'", "255", "data.categorical"]


def id_like_text_column(c: Case) -> Row:
    c.column("native_country", lambda i, _: f"id-{i}")
    c.prepared()
    return c.after(lambda: train.main([])), "train", ["'native_country'", "like an ID"]


def target_leak(c: Case) -> Row:
    c.column("capital_gain", lambda _, row: "1" if row[-1].startswith(">50K") else "0")
    c.prepared()
    return c.after(lambda: train.main([])), "train", ["'capital_gain'", "leakage"]


def train_before_prepare(c: Case) -> Row:
    return lambda: train.main([]), "train", ["data/prepared/train.parquet", "dvc repro"]


def damaged_store(c: Case) -> Row:
    c.prepared()
    (c.repo / "mlflow.db").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    return c.after(lambda: train.main([])), "train", [str(c.repo / "mlflow.db"), "damaged"]


def deleted_experiment(c: Case) -> Row:
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{c.repo / 'mlflow.db'}")
    client.delete_experiment(client.create_experiment("ml-pipeline"))
    c.prepared()
    return c.after(lambda: train.main([])), "train", ["'ml-pipeline'", "deleted", "restore"]


def unwritable_artifact_store(c: Case) -> Row:
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{c.repo / 'mlflow.db'}")
    client.create_experiment("ml-pipeline", artifact_location=UNWRITABLE)
    c.set("model", max_iter=10)
    c.set("cv", n_splits=2)
    c.prepared()
    return c.after(lambda: train.main([])), "train", [UNWRITABLE, "marked FAILED"]


def unreachable_server(c: Case) -> Row:
    c.prepared()
    c.monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://alice:{SECRET}@127.0.0.1:{free_port()}")
    return (
        c.after(lambda: train.main([])),
        "train",
        ["alice:***@127.0.0.1", "unreachable", "(transient:"],
    )


def dask_workers_cannot_import(c: Case) -> Row:
    from tests.configs import model_config

    address = c.stack.enter_context(dask_scheduler_with_worker(c.repo.parent, None))
    params = c.params() | {"model": model_config("lgbm").model_dump()}
    params["compute"] |= {"engine": "dask", "address": address}
    (c.repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # `prepare` is the first stage that sends tasks to the cluster (data/dask_prepare.py)
    return c.after(lambda: prepare.main([])), "prepare", [address, "cannot import", "PYTHONPATH"]


def evaluate_before_train(c: Case) -> Row:
    c.prepared()
    return c.after(lambda: evaluate.main([])), "evaluate", ["models/model/MLmodel", "dvc repro"]


def damaged_model(c: Case) -> Row:
    c.prepared()
    (c.repo / "models/model").mkdir(parents=True)
    (c.repo / "models/model/MLmodel").write_text("flavors: {python_function: {}}\n")
    c.keep.append("models/model")
    return c.after(lambda: evaluate.main([])), "evaluate", ["models/model", "dvc repro -f train"]


def register_before_evaluate(c: Case) -> Row:
    return lambda: register.main([]), "register", ["metrics.json", "dvc repro"]


# --- predict ------------------------------------------------------------------------------------
def predict_missing_input(c: Case) -> Row:
    return c.predict(None), "predict", ["rows.csv", "not found"]


def predict_empty_file(c: Case) -> Row:
    return c.predict(""), "predict", ["rows.csv", "empty"]


def predict_header_only(c: Case) -> Row:
    return c.predict(c.batch().head(0)), "predict", ["rows.csv", "no rows"]


def predict_missing_column(c: Case) -> Row:
    return c.predict(c.batch().drop(columns="age")), "predict", ["'age'", "missing column"]


def predict_column_count(c: Case) -> Row:
    return c.predict("39, State-gov, 77516\n"), "predict", ["rows.csv", "3 column(s)"]


def predict_unknown_model(c: Case) -> Row:
    run = c.predict(c.batch(), "--model-uri", str(c.repo / "models/none"), uri=False)
    return run, "predict", ["--model-uri", "models/none", "cannot load"]


def predict_without_a_champion(c: Case) -> Row:
    run = c.predict(c.batch(), uri=False)
    return run, "predict", ["models:/ml-pipeline-tiny@champion", "cannot load"]


def predict_unwritable_output(c: Case) -> Row:
    c.predict(c.batch())  # writes rows.csv
    args = ["--input", str(c.repo / "rows.csv"), "--output", f"{UNWRITABLE}/scored.csv"]
    run = lambda: predict.main([*args, "--model-uri", str(c.model)])  # noqa: E731
    return run, "predict", [f"{UNWRITABLE}/scored.csv", "writable"]


def predict_unknown_output_format(c: Case) -> Row:
    c.predict(c.batch())  # writes rows.csv
    args = ["--input", str(c.repo / "rows.csv"), "--output", str(c.repo / "scored.xlsx")]
    run = lambda: predict.main([*args, "--model-uri", str(c.model)])  # noqa: E731
    return run, "predict", ["--output", "scored.xlsx", ".csv", ".parquet"]


def predict_unreachable_server(c: Case) -> Row:
    c.monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://alice:{SECRET}@127.0.0.1:{free_port()}")
    return c.predict(c.batch()), "predict", ["alice:***@127.0.0.1", "unreachable", "(transient:"]


def predict_damaged_store(c: Case) -> Row:
    (c.repo / "mlflow.db").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    return c.predict(c.batch()), "predict", [str(c.repo / "mlflow.db"), "damaged"]


# --- serve ---------------------------------------------------------------------------------------
def serve_without_a_champion(c: Case) -> Row:
    c.monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{c.repo / 'mlflow.db'}")
    run = lambda: serving.main(["models:/ml-pipeline-tiny@champion"])  # noqa: E731
    return run, "serve", ["--model-uri models:/ml-pipeline-tiny@champion", "cannot load"]


ROWS = [
    truncated,
    not_gzip,
    missing_file,
    missing_test_file,
    empty_file,
    dropped_column,
    wrong_delimiter,
    header_line,
    header_only,
    garbage_lines,
    unwritable_output,
    file_size_limit,
    class_spelling,
    single_class,
    dates_in_a_numeric_column,
    unknown_target,
    unknown_feature_column,
    positive_label_not_a_class,
    text_regression_target,
    empty_test_split,
    bad_param,
    negative_param,
    text_for_an_integer,
    unknown_key,
    unknown_section,
    unknown_register_key,
    unknown_model_family,
    unknown_split_method,
    split_size_out_of_range,
    unknown_task,
    feature_listed_twice,
    list_given_as_text,
    lag_zero_at_horizon_zero,
    baseline_picked_by_config,
    unknown_target_transform,
    params_not_yaml,
    params_missing,
    column_all_missing,
    too_many_levels,
    id_like_text_column,
    target_leak,
    train_before_prepare,
    damaged_store,
    deleted_experiment,
    unwritable_artifact_store,
    unreachable_server,
    dask_workers_cannot_import,
    evaluate_before_train,
    damaged_model,
    register_before_evaluate,
    predict_missing_input,
    predict_empty_file,
    predict_header_only,
    predict_missing_column,
    predict_column_count,
    predict_unknown_model,
    predict_without_a_champion,
    predict_unwritable_output,
    predict_unknown_output_format,
    predict_unreachable_server,
    predict_damaged_store,
    serve_without_a_champion,
]
DAMAGED = {damaged_store, predict_damaged_store}


@pytest.fixture(scope="module")
def tiny_model(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model of `tiny` saved as `train` saves one (few iterations), beside its test split."""
    from ml_pipeline.core.config import load_params
    from ml_pipeline.data.compact import restore
    from ml_pipeline.modeling.pipeline import build_pipeline
    from ml_pipeline.serving.settings import scoring_metadata
    from ml_pipeline.tracking.model_save import model_kwargs, save_model
    from tests.configs import model_config

    here = tmp_path_factory.mktemp("tiny-model")
    params = load_params(template_dir / "params.yaml")
    params = params.model_copy(
        update={"data": params.data.model_copy(update={"dir": str(template_dir / params.data.dir)})}
    )
    train_rows, test_rows = (restore(rows) for rows in prepare.run(params)[:2])  # files' dtypes
    features = train_rows[params.data.features]
    pipeline = build_pipeline(params.data, model_config("hgb", max_iter=5), seed=0)
    pipeline.fit(features, train_rows[params.data.target])
    kwargs = model_kwargs(pipeline, features.head(20), scoring_metadata(params))
    save_model(pipeline, kwargs, here / "model")
    test_rows.to_parquet(here / "test.parquet", index=False)
    return here / "model"


def secret_in_files(repo: Path) -> list[str]:
    return [
        str(path)
        for path in repo.rglob("*")
        if path.is_file() and not path.is_symlink() and SECRET.encode() in path.read_bytes()
    ]


@pytest.fixture
def case(tiny_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Case]:
    """A fresh plain `tiny` copy as the working directory, the tiny model beside it."""
    monkeypatch.chdir(tiny_dir)
    case = Case(tiny_dir, monkeypatch, tiny_model)
    with case.stack:
        yield case


@pytest.mark.parametrize("row", ROWS, ids=[row.__name__ for row in ROWS])
def test_fault_matrix(
    row: Callable[[Case], Row],
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiny_dir = case.repo
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", SECRET)
    run, stage, needles = row(case)
    capsys.readouterr()

    status = run()
    shown = capsys.readouterr()
    assert status == 2, shown.err
    err = shown.err.strip().splitlines()
    if stage == "validate":  # one line per failed expectation, then the error line
        assert all(line.startswith("validate: ") for line in err), shown.err
        err = [line for line in err if needles[0] in line][:1] + err[-1:]
        assert len(err) == 2 and err[-1].startswith("validate: error: "), shown.err
        err = [" ".join(err)]
    assert len(err) == 1 and err[0].startswith(f"{stage}: error: "), shown.err
    assert "Traceback" not in shown.err
    for needle in needles:
        assert needle in err[0], err[0]
    assert SECRET not in shown.out + shown.err
    assert secret_in_files(tiny_dir) == []
    assert [o for o in OUTPUTS if (tiny_dir / o).exists()] == []
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    if row not in DAMAGED:
        import mlflow

        client = mlflow.MlflowClient(f"sqlite:///{tiny_dir / 'mlflow.db'}")
        experiments = [e.experiment_id for e in client.search_experiments(view_type=3)]
        runs = client.search_runs(experiments, run_view_type=3) if experiments else []
        assert [r.info.status for r in runs if r.info.status == "RUNNING"] == []
        assert client.search_registered_models() == []


# --- accepted: scored in full, with at most a one-line note --------------------------------------
def extra_column(c: Case) -> tuple[Any, list[str]]:
    return c.predict(c.batch().assign(row_id=range(20))), []


def unknown_categories(c: Case) -> tuple[Any, list[str]]:
    rows = c.batch()
    rows.loc[:2, "workclass"] = "Astronaut"
    rows.loc[:0, "race"] = "Martian"
    return c.predict(rows), ["predict: warning: ", "of 20 rows): workclass 3, race 1"]


def blank_in_a_numeric_column(c: Case) -> tuple[Any, list[str]]:
    c.predict(c.batch())
    text = (c.repo / "rows.csv").read_text().splitlines()
    blank = text[1].split(",")
    blank[0] = " "  # age, as the raw files write a missing number
    (c.repo / "rows.csv").write_text("\n".join([text[0], ",".join(blank), *text[2:]]) + "\n")
    return c.predict(None), []


ACCEPTED = [extra_column, unknown_categories, blank_in_a_numeric_column]


@pytest.mark.parametrize("row", ACCEPTED, ids=[row.__name__ for row in ACCEPTED])
def test_accepted_input_is_scored_in_full(
    row: Callable[[Case], tuple[Any, list[str]]],
    case: Case,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiny_dir = case.repo
    run, needles = row(case)
    capsys.readouterr()

    assert run() == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == len(needles[:1]), err
    for needle in needles:
        assert needle in err[0], err
    scored = pd.read_csv(tiny_dir / SCORED)
    rows = pd.read_csv(tiny_dir / "rows.csv", skipinitialspace=True)
    assert len(scored) == 20 and scored["prediction"].notna().all()
    pd.testing.assert_frame_equal(scored[rows.columns], rows)  # the input rows, as they came


def test_docs_state_the_matrix_size() -> None:
    from tests.conftest import ROOT

    assert f"**{len(ROWS)} rows, all passing**" in (ROOT / "docs" / "reliability.md").read_text()
