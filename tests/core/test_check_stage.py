"""Stage `check`: a bad value in params.yaml is refused before DVC deletes any output (item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stages import check
from tests.conftest import run


def set_value(repo: Path, section: str, key: str, value: object) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params[section][key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def test_check_refuses_a_bad_value_in_one_line(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tiny_dir)
    assert check.main([]) == 0
    assert (tiny_dir / "reports/check.json").read_text() == '{\n  "params.yaml": "valid"\n}\n'
    capsys.readouterr()

    set_value(tiny_dir, "model", "learning_rate", "abc")
    assert check.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("check: error: "), err
    assert "learning_rate" in err
    assert not (tiny_dir / "reports/check.json").exists()


@pytest.mark.slow
def test_dvc_keeps_the_outputs_when_a_param_is_bad(tiny_repo: Path) -> None:
    run(["dvc", "repro", "prepare"], tiny_repo)
    prepared = (tiny_repo / "data/prepared/train.parquet").read_bytes()

    set_value(tiny_repo, "split", "seed_offset_is_not_a_key", 1)
    failed = run(["dvc", "repro", "prepare"], tiny_repo, check=False)
    assert failed.returncode != 0
    assert "check: error: " in failed.stderr and "seed_offset_is_not_a_key" in failed.stderr
    assert "Running stage 'prepare'" not in failed.stdout
    assert (tiny_repo / "data/prepared/train.parquet").read_bytes() == prepared
