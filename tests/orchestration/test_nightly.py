"""The nightly flow's data step: the monitor's decision, and appending labelled batches as a new
data version (Git for a shipped dataset; real DVC for a `dvc add`ed one). Batches, scored files
and decisions are built here as issue 24's contract describes them."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
import yaml

from ml_pipeline.core.config import parse_params
from ml_pipeline.core.errors import StageError
from ml_pipeline.data.dataset import read_table
from orchestration.append import LEDGER, append_batches
from orchestration.nightly import (
    Decision,
    Outcome,
    act_on_decision,
    evidence,
    load_outcome,
    monitoring_stages,
    read_decision,
    results_changed,
    save_outcome,
)
from tests.conftest import run

TRAIN = Path("data/raw/tiny/tiny.data.gz")


def data_config(repo: Path):  # noqa: ANN201 - DataConfig
    return parse_params(yaml.safe_load((repo / "params.yaml").read_text())).data


def write_batch(repo: Path, name: str, labels: list[str | None]) -> list[str]:
    """`data/incoming/tiny/<name>.csv`: rows of tiny's test file, raw format, targets `labels`
    (None: not labelled yet). Returns the labelled lines as written."""
    lines = gzip.decompress((repo / "data/raw/tiny/tiny.test.gz").read_bytes()).decode()
    rows = [line.rsplit(", ", 1)[0] for line in lines.splitlines()[1 : 1 + len(labels)]]
    text = [f"{row}, {label or ''}" for row, label in zip(rows, labels, strict=True)]
    folder = repo / "data/incoming/tiny"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").write_text("\n".join(text) + "\n")
    return [t for t, label in zip(text, labels, strict=True) if label]


def retrain(*batches: str) -> Decision:
    return Decision("retrain", ("age: PSI 0.41 > 0.2",), batches, "3")


def test_no_decision_file_is_none_and_a_broken_one_names_its_key(tmp_path: Path) -> None:
    assert read_decision(tmp_path) is None
    path = tmp_path / "reports/monitor_decision.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"decision": "maybe", "batches": []}))
    with pytest.raises(StageError, match="monitor_decision.json: key 'decision' must be"):
        read_decision(tmp_path)
    path.write_text(json.dumps({"decision": "ok", "reasons": ["no drift"], "batches": ["b"]}))
    assert read_decision(tmp_path) == Decision("ok", ("no drift",), ("b",), None)


def test_labelled_rows_are_appended_once_and_read_back_by_prepares_reader(tiny_dir: Path) -> None:
    data = data_config(tiny_dir)
    before = gzip.decompress((tiny_dir / TRAIN).read_bytes())
    rows_before = len(read_table(tiny_dir / TRAIN, data, "data.train_file"))
    write_batch(tiny_dir, "2026-12-01", [">50K", None, "<=50K"])
    write_batch(tiny_dir, "2026-12-02", [None])

    appended = append_batches(tiny_dir, data, ("2026-12-01", "2026-12-02"))
    assert appended.rows == {"2026-12-01": 2, "2026-12-02": 0}
    assert appended.files == (str(TRAIN), f"data/raw/tiny/{LEDGER}")  # no DVC: Git holds it
    after = gzip.decompress((tiny_dir / TRAIN).read_bytes())
    assert after.startswith(before)  # the rows already there keep their bytes
    frame = read_table(tiny_dir / TRAIN, data, "data.train_file")
    assert len(frame) == rows_before + 2
    assert list(frame["income"].tail(2)) == [">50K", "<=50K"]
    assert frame["age"].iloc[-2] == "38"
    assert json.loads((tiny_dir / "data/raw/tiny" / LEDGER).read_text()) == ["2026-12-01"]

    again = append_batches(tiny_dir, data, ("2026-12-01",))
    assert again.rows == {} and again.files == ()
    assert gzip.decompress((tiny_dir / TRAIN).read_bytes()) == after


def test_a_scored_batch_is_the_source_when_the_raw_file_is_gone(tiny_dir: Path) -> None:
    data = data_config(tiny_dir)
    test = read_table(tiny_dir / "data/raw/tiny/tiny.test.gz", data, "data.test_file").head(4)
    scored = test.assign(income=[">50K", None, None, "<=50K"], prediction="<=50K")
    (tiny_dir / "data/scored").mkdir(parents=True)
    scored.to_parquet(tiny_dir / "data/scored/b.parquet")
    assert append_batches(tiny_dir, data, ("b",)).rows == {"b": 2}
    frame = read_table(tiny_dir / TRAIN, data, "data.train_file")
    assert list(frame["income"].tail(2)) == [">50K", "<=50K"]
    assert "prediction" not in frame.columns


def test_a_missing_batch_is_one_line_and_nothing_is_appended(tiny_dir: Path) -> None:
    data = data_config(tiny_dir)
    before = (tiny_dir / TRAIN).read_bytes()
    write_batch(tiny_dir, "a", [">50K"])
    with pytest.raises(StageError, match="batch 'gone': neither .*gone.csv nor .*gone.parquet"):
        append_batches(tiny_dir, data, ("a", "gone"))
    assert (tiny_dir / TRAIN).read_bytes() == before
    assert not (tiny_dir / "data/raw/tiny" / LEDGER).exists()


def test_a_dvc_tracked_dataset_gets_a_new_dvc_version(
    tiny_dir: Path,
) -> None:
    repo, data = tiny_dir, data_config(tiny_dir)
    run(["git", "init", "-q"], repo)
    run(["dvc", "init", "-q"], repo)
    run(["dvc", "add", "-q", "data/raw/tiny"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "data"], repo)
    old_dvc, old_bytes = (repo / "data/raw/tiny.dvc").read_text(), (repo / TRAIN).read_bytes()
    write_batch(repo, "b", [">50K", "<=50K"])

    appended = append_batches(repo, data, ("b",))
    assert appended.files == ("data/raw/tiny.dvc",)  # the ledger is inside the tracked folder
    assert (repo / "data/raw/tiny.dvc").read_text() != old_dvc
    status = run(["dvc", "status", "data/raw/tiny.dvc"], repo).stdout
    assert "up to date" in status
    new_dvc, new_bytes = (repo / "data/raw/tiny.dvc").read_text(), (repo / TRAIN).read_bytes()
    # Both versions are in DVC's cache: each `.dvc` file checks its own data out.
    (repo / "data/raw/tiny.dvc").write_text(old_dvc)
    run(["dvc", "checkout", "--force", "data/raw/tiny.dvc"], repo)
    assert (repo / TRAIN).read_bytes() == old_bytes
    (repo / "data/raw/tiny.dvc").write_text(new_dvc)
    run(["dvc", "checkout", "--force", "data/raw/tiny.dvc"], repo)
    assert (repo / TRAIN).read_bytes() == new_bytes != old_bytes


def test_the_evidence_leads_with_the_decision_and_its_reasons() -> None:
    text = evidence(retrain("2026-12-01"), None)
    assert text.splitlines()[0] == "## Monitoring evidence: retrain"
    assert "- age: PSI 0.41 > 0.2" in text and "2026-12-01" in text
    assert "Champion version 3" in text


def test_ok_stops_a_run_once_appends_nothing_and_retrain_runs_the_pipeline_again(
    tiny_dir: Path,
) -> None:
    data, reruns = data_config(tiny_dir), []
    write_batch(tiny_dir, "b", [">50K"])
    path = tiny_dir / "reports/monitor_decision.json"
    path.parent.mkdir(exist_ok=True)

    def rerun() -> list[str]:
        reruns.append(gzip.decompress((tiny_dir / TRAIN).read_bytes()).count(b"\n"))
        return ["train: done"]

    assert act_on_decision(tiny_dir, data, True, rerun) == Outcome(None, None)  # no monitor
    assert Outcome(None, None).publishes  # ... publishes as before
    path.write_text(json.dumps({"decision": "ok", "reasons": ["no drift"], "batches": ["b"]}))
    ok = act_on_decision(tiny_dir, data, True, rerun)
    assert not ok.publishes and ok.notes[0].startswith("monitor: ok: no drift; nothing")
    path.write_text(json.dumps({"decision": "retrain", "reasons": ["drift"], "batches": ["b"]}))
    once = act_on_decision(tiny_dir, data, False, rerun)
    assert not once.publishes and once.appended is None and reruns == []
    retrained = act_on_decision(tiny_dir, data, True, rerun)
    assert retrained.publishes and reruns == [401]  # the pipeline ran on the appended row
    assert retrained.notes[-1] == "train: done" and retrained.extra[0] == str(TRAIN)
    assert retrained.lead is not None and retrained.lead.startswith("## Monitoring evidence")
    for outcome in (retrained, ok, Outcome(None, None)):  # kept for Airflow's `publish` task
        save_outcome(tiny_dir / "outcome.json", outcome)
        assert load_outcome(tiny_dir / "outcome.json") == outcome


def lock(train_md5: str, score_md5: str) -> dict:
    """A dvc.lock's stages: the pipeline up to `train`, then `score` and `monitor`."""

    def stage(deps: list[str], outs: list[str], md5: str) -> dict:
        return {
            "cmd": "x",
            "deps": [{"path": d, "md5": md5} for d in deps],
            "outs": [{"path": o, "md5": md5} for o in outs],
        }

    return {
        "schema": "2.0",
        "stages": {
            "prepare": stage(["data/raw/tiny"], ["data/prepared"], "a"),
            "train": stage(["data/prepared"], ["models/model"], train_md5),
            "score": stage(
                ["data/incoming", "models/model"], ["data/scored", "reports/score.json"], score_md5
            ),
            "monitor": stage(["data/scored/b.parquet"], [str(MONITOR)], score_md5),
        },
    }


MONITOR = Path("reports/monitor_decision.json")


def test_only_a_dag_that_changed_results_besides_monitoring_publishes_an_ok_night(
    tmp_path: Path, template_dir: Path
) -> None:
    assert monitoring_stages(lock("t", "s")["stages"]) == {"score", "monitor"}
    repo = tmp_path / "repo"
    shutil.copytree(template_dir, repo)
    run(["git", "init", "-q"], repo)
    assert not results_changed(repo)  # no dvc.lock: nothing ran
    (repo / "dvc.lock").write_text(yaml.safe_dump(lock("t", "s")))
    assert results_changed(repo)  # the first run: HEAD has no dvc.lock
    run(["git", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "run"], repo)
    assert not results_changed(repo)
    (repo / "dvc.lock").write_text(yaml.safe_dump(lock("t", "new batch")))
    assert not results_changed(repo)  # only score and monitor ran

    data, decision = data_config(repo), repo / MONITOR
    decision.parent.mkdir(exist_ok=True)
    decision.write_text(json.dumps({"decision": "ok", "reasons": ["no drift"], "batches": ["b"]}))
    quiet = act_on_decision(repo, data, True, list)
    assert not quiet.publishes and quiet.notes == (
        "monitor: ok: no drift; nothing retrained, nothing published",
    )
    (repo / "dvc.lock").write_text(yaml.safe_dump(lock("retrained", "new batch")))
    assert results_changed(repo)  # train ran on new data, code or params
    changed = act_on_decision(repo, data, True, list)
    assert changed.publishes and changed.changed and changed.extra == ()
    assert changed.notes[0].endswith(
        "the DAG's results changed (data, code or params): published as before"
    )
    assert changed.lead is not None and changed.lead.startswith("## Monitoring evidence: ok")
    assert not act_on_decision(repo, data, False, list).publishes  # a run once publishes nothing
    save_outcome(repo / "outcome.json", changed)
    assert load_outcome(repo / "outcome.json") == changed
