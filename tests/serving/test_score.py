"""Stage `score` (issue 24, items 2, 4, 7): new batches scored by the registered champion of a
real SQLite store, pinned by version; a challenger in shadow; the bad batches each refused with
one line, or their documented result."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.serving import batches
from stages import prepare, score
from tests.conftest import seed_store


def register_version(alias: str, **model: Any) -> str:
    """Train `tiny` as `train` would (settings carried), register it, give it `alias`."""
    import mlflow
    import mlflow.sklearn

    from ml_pipeline.data.columns import features_and_target
    from ml_pipeline.modeling.pipeline import build_pipeline
    from ml_pipeline.serving.settings import scoring_metadata
    from ml_pipeline.tracking.model_save import model_kwargs
    from ml_pipeline.tracking.session import active_run, connect

    params = load_params(paths.PARAMS)
    params = params.model_copy(update={"model": params.model.model_copy(update=model)})
    features, target = features_and_target(pd.read_parquet(paths.PREPARED_TRAIN), params.data)
    pipeline = build_pipeline(params.data, params.model, params.seed).fit(features, target)
    kwargs = model_kwargs(pipeline, features.head(20), scoring_metadata(params))
    tracking = connect(params.tracking.experiment)
    with active_run(tracking):
        info = mlflow.sklearn.log_model(pipeline, name="model", **kwargs)
    name = params.tracking.registered_model
    version = mlflow.register_model(info.model_uri, name).version
    tracking.client.set_registered_model_alias(name, alias, version)
    return str(version)


@pytest.fixture(scope="module")
def workspace(
    template_dir: Path, migrated_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """`tiny` prepared, with a champion (v1) in its own store; tests copy it."""
    root = tmp_path_factory.mktemp("score") / "repo"
    shutil.copytree(template_dir, root)
    seed_store(migrated_db, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        assert prepare.main([]) == 0
        assert register_version("champion", max_iter=20) == "1"
    return root


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    here = tmp_path / "repo"
    shutil.copytree(workspace, here, symlinks=True)
    monkeypatch.chdir(here)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{here / 'mlflow.db'}")
    (here / "data/incoming/tiny").mkdir(parents=True)
    return here


def raw_lines() -> list[str]:
    """tiny's test file: headerless raw rows, the target last (`>50K.`)."""
    text = gzip.decompress(Path("data/raw/tiny/tiny.test.gz").read_bytes()).decode()
    return [line for line in text.splitlines() if line.strip() and not line.startswith("|")]


def batch(name: str, lines: list[str]) -> Path:
    path = Path("data/incoming/tiny") / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def unlabelled(line: str) -> str:
    return line.rsplit(",", 1)[0] + ", "  # a label to come: an empty last field


def run_score(capsys: pytest.CaptureFixture[str]) -> tuple[dict, str]:
    assert score.main([]) == 0
    err = capsys.readouterr().err
    return json.loads(paths.SCORE_REPORT.read_text()), err


def test_batches_are_scored_by_the_pinned_champion_as_prepare_reads_them(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = raw_lines()
    batch("2026-12-01.csv", lines[:50])
    batch("2026-12-02.csv", [unlabelled(line) for line in lines[50:80]] + lines[80:90])
    report, _ = run_score(capsys)
    assert report["model"] == "ml-pipeline-tiny" and report["challenger"] is None
    assert report["champion"]["version"] == "1" and len(report["champion"]["run_id"]) == 32
    assert report["batches"] == {
        "2026-12-01": {"rows": 50, "labelled": 50, "status": "scored", "reason": None},
        "2026-12-02": {"rows": 40, "labelled": 10, "status": "scored", "reason": None},
    }
    scored = pd.read_parquet("data/scored/2026-12-01.parquet")
    test = pd.read_parquet(paths.PREPARED_TEST)  # prepare's reading of the same rows
    data = load_params(paths.PARAMS).data
    pd.testing.assert_frame_equal(
        scored[[*data.features, data.target]], test.head(50)[[*data.features, data.target]],
        check_dtype=False,
    )  # fmt: skip
    assert set(scored["income"]) <= {"<=50K", ">50K"}  # target_map applied
    assert scored["score"].between(0, 1).all() and scored["prediction"].notna().all()
    assert ((scored["score"] >= 0.5) == (scored["prediction"] == ">50K")).all()
    partial = pd.read_parquet("data/scored/2026-12-02.parquet")
    assert partial["income"].notna().sum() == 10


def test_a_challenger_scores_in_shadow(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert register_version("challenger", max_iter=3) == "2"
    batch("b.csv", raw_lines()[:30])
    report, _ = run_score(capsys)
    assert report["challenger"]["version"] == "2" and report["champion"]["version"] == "1"
    scored = pd.read_parquet("data/scored/b.parquet")
    assert {"challenger_prediction", "challenger_score"} <= set(scored)
    assert not scored["challenger_score"].equals(scored["score"])  # another model


BAD = {
    "empty.csv": ("", "the file is empty"),
    "header-only.csv": (None, "no rows to score"),
    "missing.csv": ("drop age", "missing column(s) 'age'"),
    # Text where numbers belong: all missing (the one rule), then the contract's null limit.
    "wrong-type.csv": ("age=young", "column 'age': 20 of 20 rows null (20 of them no number)"),
    "all-new.csv": ("workclass=Astronaut", "column 'workclass'"),
    # One dirty number is read as missing (as prepare reads it); the contract allows no null age.
    "dirty.csv": ("age@0=67 months", "column 'age': 1 of 20 rows null (1 of them no number)"),
}


def bad_batch(name: str, change: str | None) -> None:
    columns = load_params(paths.PARAMS).data.read.columns
    rows = pd.read_csv(
        "data/raw/tiny/tiny.test.gz", header=None, names=columns, comment="|", dtype=str,
        skipinitialspace=True,
    ).head(20)  # fmt: skip
    path = Path("data/incoming/tiny") / name
    if change == "":
        path.write_text("")
        return
    if change is None:
        rows = rows.head(0)
    elif change.startswith("drop "):
        rows = rows.drop(columns=change.removeprefix("drop "))
    else:
        column, value = change.split("=")
        if column.endswith("@0"):
            rows.loc[0, column.removesuffix("@0")] = value
        else:
            rows[column] = value
    rows.to_csv(path, index=False)


@pytest.mark.parametrize("name", BAD)
def test_a_bad_batch_is_refused_with_one_line_and_scored_by_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    change, reason = BAD[name]
    bad_batch(name, change)
    batch("good.csv", raw_lines()[:10])
    report, err = run_score(capsys)
    entry = report["batches"][name.removesuffix(".csv")]
    assert entry["status"] == "refused" and reason in entry["reason"], entry
    assert report["batches"]["good"]["status"] == "scored"  # the others are scored
    refusals = [line for line in err.splitlines() if "refused" in line]
    assert refusals == [
        f"score: warning: batch data/incoming/tiny/{name}: refused: {entry['reason']}"
    ]
    assert sorted(p.name for p in Path("data/scored").iterdir()) == ["good.parquet"]


def test_a_large_batch_is_scored_in_chunks_like_a_small_one(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch("whole.csv", raw_lines()[:95])
    report, _ = run_score(capsys)
    whole = pd.read_parquet("data/scored/whole.parquet")
    monkeypatch.setattr(batches, "CHUNK_ROWS", 10)
    report, _ = run_score(capsys)
    assert report["batches"]["whole"]["rows"] == 95, report
    pd.testing.assert_frame_equal(pd.read_parquet("data/scored/whole.parquet"), whole)


def test_a_parquet_batch_scores_as_its_csv(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_batch("b.csv", "drop fnlwgt")  # a header line, 20 rows: read as the CSV is
    bad_batch("c.csv", "age@0=41")
    rows = pd.read_csv("data/incoming/tiny/c.csv", dtype=str, na_values=["?"])  # nulls in Parquet
    rows.to_parquet("data/incoming/tiny/p.parquet")
    report, _ = run_score(capsys)
    assert report["batches"]["p"]["status"] == "scored", report
    assert report["batches"]["b"]["reason"].startswith("missing column(s) 'fnlwgt'")
    pd.testing.assert_frame_equal(
        pd.read_parquet("data/scored/p.parquet"), pd.read_parquet("data/scored/c.parquet")
    )


def test_nothing_to_score_is_no_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report, _ = run_score(capsys)
    assert report == {
        "model": "ml-pipeline-tiny",
        "champion": None,
        "challenger": None,
        "batches": {},
    }
    assert list(Path("data/scored").iterdir()) == []
    shutil.rmtree("data/incoming")  # an absent folder: the same
    assert score.main([]) == 0
    assert "score: nothing to score in data/incoming/tiny/" in capsys.readouterr().out


def test_without_a_champion_every_batch_is_refused(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow

    mlflow.MlflowClient(f"sqlite:///{repo / 'mlflow.db'}").delete_registered_model_alias(
        "ml-pipeline-tiny", "champion"
    )
    batch("b.csv", raw_lines()[:5])
    report, _ = run_score(capsys)
    assert report["champion"] is None and report["batches"]["b"]["status"] == "refused"
    assert "champion" in report["batches"]["b"]["reason"]


def test_on_dask_a_parquet_batch_is_scored_over_its_partitions_as_here(
    repo: Path, dask_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functools import partial

    from ml_pipeline.serving.dask_batches import score_batch_on_dask

    bad_batch("c.csv", "age@0=41")
    rows = pd.read_csv("data/incoming/tiny/c.csv", dtype=str, na_values=["?"])
    rows.to_parquet("data/incoming/tiny/p.parquet", row_group_size=6)  # 4 partitions
    rows.loc[13, "workclass"] = "Astronaut"  # the contract refuses it, in the 3rd partition
    rows.to_parquet("data/incoming/tiny/q.parquet", row_group_size=6)
    files = batches.batch_files(Path("data/incoming/tiny"))
    monkeypatch.setattr(batches, "CHUNK_ROWS", 6)  # chunks here as the row groups there
    champion, _ = score.registered("ml-pipeline-tiny")
    here = score.run(files, champion, None, Path("here"))
    on_dask = partial(score_batch_on_dask, client=dask_client)
    there = score.run(files, champion, None, Path("there"), on_dask)
    assert there == here and there["p"]["status"] == "scored" and there["p"]["rows"] == 20
    assert there["q"]["status"] == "refused" and "'workclass'" in there["q"]["reason"]
    pd.testing.assert_frame_equal(
        pd.read_parquet("there/p.parquet"), pd.read_parquet("here/p.parquet")
    )
    assert sorted(p.name for p in Path("there").iterdir()) == ["c.parquet", "p.parquet"]
