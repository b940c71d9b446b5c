"""All-or-nothing outputs (core/outputs.py): a failing writer or hook leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_pipeline.core.outputs import json_writer, publish


def test_outputs_appear_only_after_every_writer_and_the_hook(tmp_path: Path) -> None:
    seen: dict[str, object] = {}
    out, folder = tmp_path / "a.json", tmp_path / "plots"

    def hook(staged: dict[Path, Path]) -> None:  # e.g. logging to MLflow
        seen["staged"] = {
            path.name: tmp.read_bytes() for path, tmp in staged.items() if tmp.is_file()
        }
        seen["final_exist"] = out.exists() or folder.exists()

    def write_dir(path: Path) -> None:
        path.mkdir()
        (path / "x.csv").write_text("1\n")

    publish({out: json_writer({"b": 1, "a": 2}), folder: write_dir}, before_moving=hook)
    assert seen == {"staged": {"a.json": b'{\n  "a": 2,\n  "b": 1\n}\n'}, "final_exist": False}
    assert json.loads(out.read_text()) == {"a": 2, "b": 1}
    assert (folder / "x.csv").read_text() == "1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "plots"]


def test_a_failing_writer_moves_nothing_and_removes_temporaries(tmp_path: Path) -> None:
    keep = tmp_path / "old.json"
    keep.write_text("old\n")

    def broken(path: Path) -> None:
        path.write_text("half")
        raise ValueError("disk full")

    with pytest.raises(ValueError, match="disk full"):
        publish({keep: json_writer({"new": 1}), tmp_path / "b.json": broken})
    assert keep.read_text() == "old\n"  # the previous output is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]


def test_a_failing_hook_moves_nothing_and_removes_temporaries(tmp_path: Path) -> None:
    def hook(staged: dict[Path, Path]) -> None:
        raise ConnectionError("tracking server down")

    with pytest.raises(ConnectionError):
        publish({tmp_path / "a.json": json_writer({})}, before_moving=hook)
    assert list(tmp_path.iterdir()) == []


def test_a_refused_write_is_one_line_naming_the_path(tmp_path: Path) -> None:
    from ml_pipeline.core.errors import StageError

    (tmp_path / "data").write_text("a file where a folder should be\n")
    out = tmp_path / "data" / "train.parquet"
    with pytest.raises(StageError) as caught:
        publish({out: json_writer({})})
    message = str(caught.value)
    assert message.startswith(f"{out}: cannot be written ({tmp_path / 'data'} is not a folder)")
    assert "\n" not in message
