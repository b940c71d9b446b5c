"""The fault matrix of issue 14: one row per bad input or fault, the same contract for each.

Each row breaks a fresh plain copy of the repository (`tiny`), runs the stage in-process (real
files, real MLflow on a real SQLite store; DVC's part is in test_check_stage.py) and asserts:
exit status 2, one line `<stage>: error: ...` naming the file/column/key, no half-written output,
no MLflow run left RUNNING, nothing registered, and no secret of the environment printed.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from stages import check, predict, prepare, train
from tests.services import free_port

SECRET = "matrix-password-do-not-leak"
TRAIN = "data/raw/tiny/tiny.data.gz"
OUTPUTS = [
    "data/prepared/train.parquet",
    "data/prepared/test.parquet",
    "reports/prepare.json",
    "models/run.json",
    "reports/train.json",
    "metrics.json",
]


def lines(repo: Path) -> list[str]:
    with gzip.open(repo / TRAIN, "rt") as handle:
        return handle.read().splitlines()


def write(repo: Path, rows: list[str]) -> None:
    with gzip.open(repo / TRAIN, "wt") as handle:
        handle.write("\n".join(rows) + "\n")


def set_param(repo: Path, section: str, key: str, value: object) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params[section][key] = value
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def prepare_then_train(repo: Path) -> Callable[[], int]:
    assert prepare.main([]) == 0

    def run() -> int:
        status = train.main([])
        for output in OUTPUTS[:3]:  # prepare's own outputs are legitimately there
            (repo / output).unlink(missing_ok=True)
        return status

    return run


def truncated(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    (repo / TRAIN).write_bytes((repo / TRAIN).read_bytes()[:-200])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "truncated"]


def missing_file(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    (repo / TRAIN).unlink()
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "data.train_file"]


def empty_file(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    write(repo, [])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "empty"]


def dropped_column(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    write(repo, [row.rsplit(",", 1)[0] for row in lines(repo)])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "14 column(s)", "lists 15"]


def wrong_delimiter(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    write(repo, [row.replace(", ", ";") for row in lines(repo)])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "delimiter"]


def header_line(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    columns = yaml.safe_load((repo / "params.yaml").read_text())["data"]["read"]["columns"]
    write(repo, [", ".join(columns), *lines(repo)])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "data.read.header"]


def header_only(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    columns = yaml.safe_load((repo / "params.yaml").read_text())["data"]["read"]["columns"]
    write(repo, [", ".join(columns)])
    return lambda: prepare.main([]), "prepare", ["tiny.data.gz", "header"]


def class_spelling(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    write(repo, [r.replace(">50K", ">50k") if i % 5 else r for i, r in enumerate(lines(repo))])
    return lambda: prepare.main([]), "prepare", ["'>50K', '>50k'", "data.target_map"]


def unknown_target(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    set_param(repo, "data", "target", "salary")
    return lambda: prepare.main([]), "prepare", ["'salary'", "data.target"]


def bad_param(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    set_param(repo, "model", "learning_rate", "abc")
    return lambda: check.main([]), "check", ["learning_rate"]


def damaged_store(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    run = prepare_then_train(repo)
    (repo / "mlflow.db").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    return run, "train", [str(repo / "mlflow.db"), "damaged"]


def unreachable_server(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Callable[[], int], str, list[str]]:
    run = prepare_then_train(repo)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://alice:{SECRET}@127.0.0.1:{free_port()}")
    return run, "train", ["alice:***@127.0.0.1", "unreachable"]


def predict_missing_input(repo: Path) -> tuple[Callable[[], int], str, list[str]]:
    args = ["--input", "absent.csv", "--output", "scored.csv", "--model-uri", "models/none"]
    return lambda: predict.main(args), "predict", ["absent.csv", "not found"]


ROWS = [
    truncated,
    missing_file,
    empty_file,
    dropped_column,
    wrong_delimiter,
    header_line,
    header_only,
    class_spelling,
    unknown_target,
    bad_param,
    damaged_store,
    unreachable_server,
    predict_missing_input,
]


@pytest.mark.parametrize("row", ROWS, ids=[row.__name__ for row in ROWS])
def test_fault_matrix(
    row: Callable,
    tiny_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tiny_dir)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", SECRET)
    needs_env = row is unreachable_server
    run, stage, needles = row(tiny_dir, monkeypatch) if needs_env else row(tiny_dir)
    capsys.readouterr()

    status = run()
    shown = capsys.readouterr()
    assert status == 2, shown.err
    err = shown.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{stage}: error: "), shown.err
    for needle in needles:
        assert needle in err[0], err[0]
    assert SECRET not in shown.out + shown.err
    assert [o for o in OUTPUTS if (tiny_dir / o).exists()] == []
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store = tiny_dir / "mlflow.db"
    if store.exists() and row is not damaged_store:
        import mlflow

        client = mlflow.MlflowClient(f"sqlite:///{store}")
        experiments = [e.experiment_id for e in client.search_experiments()]
        runs = client.search_runs(experiments) if experiments else []
        assert [r.info.status for r in runs if r.info.status == "RUNNING"] == []
        assert client.search_registered_models() == []
