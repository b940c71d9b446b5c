"""Lineage: data hashes as DVC records them, git state, the one tag schema."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ml_pipeline.tracking.lineage import (
    Lineage,
    file_md5,
    flatten,
    git_state,
    lock_hashes,
    reproduce_command,
    run_lineage,
)
from tests.conftest import run

FULL = Lineage(
    commit="a" * 40,
    dirty=False,
    params_modified=True,
    exp_name="exp-1",
    baseline_rev="b" * 40,
    dvc_outs={"prepare.data/prepared/train.parquet": "abc"},
    data_md5={"train": "t1", "test": "t2"},
    reproduce="dvc exp apply exp-1 && dvc repro",
    run_id="r1",
    metrics={"accuracy": 0.8125, "roc_auc": 0.9},
)


def test_tags_round_trip_and_use_the_documented_names() -> None:
    tags = FULL.to_tags()
    assert Lineage.from_tags(tags) == FULL
    assert tags == {
        "git.commit": "a" * 40,
        "git.dirty": "false",
        "git.params_modified": "true",
        "dvc.exp_name": "exp-1",
        "dvc.baseline_rev": "b" * 40,
        "dvc.prepare.data/prepared/train.parquet": "abc",
        "data.md5.train": "t1",
        "data.md5.test": "t2",
        "reproduce": "dvc exp apply exp-1 && dvc repro",
        "mlflow.run_id": "r1",
        "metric.accuracy": "0.8125",
        "metric.roc_auc": "0.9",
    }
    assert FULL.params_run_id == "r1"


def test_unknown_tags_are_ignored_and_unset_fields_not_written() -> None:
    lineage = Lineage.from_tags({"mlflow.user": "x", "git.commit": "c", "metric.f1": "0.5"})
    assert lineage == Lineage(commit="c", metrics={"f1": 0.5})
    assert lineage.params_run_id is None
    assert lineage.to_tags() == {"git.commit": "c", "metric.f1": "0.5"}
    assert Lineage().to_tags() == {}


def test_file_md5_is_what_dvc_records(tmp_path: Path) -> None:
    data = tmp_path / "a.parquet"
    data.write_bytes(b"some bytes" * 1000)
    assert file_md5(data) == hashlib.md5(data.read_bytes()).hexdigest()
    lock = tmp_path / "dvc.lock"
    lock.write_text(
        "schema: '2.0'\nstages:\n  prepare:\n    cmd: x\n    outs:\n"
        "    - path: a.parquet\n      md5: abc\n      size: 3\n"
        "  train:\n    cmd: y\n    outs:\n    - path: m\n      md5: def\n"
    )
    assert lock_hashes(lock=lock) == {"prepare.a.parquet": "abc", "train.m": "def"}
    assert lock_hashes(before="train", lock=lock) == {"prepare.a.parquet": "abc"}
    assert lock_hashes(before="register", lock=lock) == lock_hashes(lock=lock)  # not there yet
    assert lock_hashes(lock=tmp_path / "missing.lock") == {}
    tags = Lineage(dvc_outs=lock_hashes(lock=lock)).to_tags()
    assert tags == {"dvc.prepare.a.parquet": "abc", "dvc.train.m": "def"}


def test_flatten_params() -> None:
    flat = flatten({"seed": 1, "data": {"name": "x", "cols": ["a", "b"], "extra": {}}, "n": None})
    assert flat == {
        "seed": "1",
        "data.name": "x",
        "data.cols": '["a", "b"]',
        "data.extra": "{}",
    } | {"n": "null"}


def test_reproduce_command() -> None:
    assert reproduce_command("abc", "exp-1", True) == "dvc exp apply exp-1 && dvc repro"
    assert reproduce_command("abc", None, False) == "git checkout abc && dvc checkout && dvc repro"
    assert "params.yaml artifact" in reproduce_command("abc", None, False, params_modified=True)
    assert "uncommitted code changes" in reproduce_command("abc", None, True)


def git_repo(path: Path) -> str:
    path.joinpath("dvc.yaml").write_text(
        "stages:\n  a:\n    cmd: x\n    outs: [out.txt]\n    metrics: [{m.json: {cache: false}}]\n"
    )
    for name in ("dvc.lock", "m.json", "code.py", "params.yaml"):
        (path / name).write_text("1\n")
    run(["git", "init", "-q"], path)
    run(["git", "add", "-A"], path)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"], path)
    return run(["git", "rev-parse", "HEAD"], path).stdout.strip()


def test_git_dirty_ignores_what_the_pipeline_writes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DVC_EXP_BASELINE_REV", raising=False)
    head = git_repo(tmp_path)
    clean = {"git.commit": head, "git.dirty": "false", "git.params_modified": "false"}
    assert git_state(tmp_path) == clean

    (tmp_path / "dvc.lock").write_text("2\n")
    (tmp_path / "m.json").write_text("2\n")
    assert git_state(tmp_path) == clean
    (tmp_path / "params.yaml").write_text("2\n")  # what `dvc exp run -S` does
    assert git_state(tmp_path) == clean | {"git.params_modified": "true"}
    (tmp_path / "code.py").write_text("2\n")
    assert git_state(tmp_path)["git.dirty"] == "true"

    # A DVC experiment commits its changes on a temporary commit; the baseline is what counts.
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "tmp"], tmp_path)
    assert git_state(tmp_path)["git.dirty"] == "false"
    monkeypatch.setenv("DVC_EXP_BASELINE_REV", head)
    assert git_state(tmp_path) == {
        "git.commit": head,
        "git.dirty": "true",
        "git.params_modified": "true",
    }


def test_run_lineage_of_an_experiment(tmp_path: Path, monkeypatch) -> None:
    head = git_repo(tmp_path)
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")  # the pipeline writes it
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DVC_EXP_NAME", "exp-2")
    monkeypatch.setenv("DVC_EXP_BASELINE_REV", head)
    lineage = run_lineage("train", {"train": "t1"}, tmp_path)
    assert (lineage.commit, lineage.dirty, lineage.exp_name) == (head, False, "exp-2")
    assert lineage.baseline_rev == head and lineage.data_md5 == {"train": "t1"}
    assert lineage.reproduce == "dvc exp apply exp-2 && dvc repro"
