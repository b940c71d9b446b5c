"""README's "A fresh clone": a commit's outputs are in no remote until someone pushes them, so a
clone rebuilds them with `dvc repro` (byte-identical metrics), and `dvc pull` works once pushed."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run


def test_a_fresh_clone_rebuilds_with_repro_and_pulls_only_what_was_pushed(
    tiny_repo: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    run(["dvc", "remote", "add", "-d", "local", str(remote)], tiny_repo)
    run(["dvc", "repro"], tiny_repo)
    run(["git", "add", "-A"], tiny_repo)
    run(["git", "commit", "-qm", "shipped"], tiny_repo)  # the shipped commit, nothing pushed
    shipped = (tiny_repo / "metrics.json").read_bytes()

    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(tiny_repo), str(clone)], tmp_path)
    refused = run(["dvc", "pull"], clone, check=False)
    assert refused.returncode != 0 and "models/model" in refused.stderr
    run(["dvc", "repro"], clone)  # what the README says to do instead
    assert (clone / "metrics.json").read_bytes() == shipped
    assert "Data and pipelines are up to date" in run(["dvc", "status"], clone).stdout

    run(["dvc", "push"], tiny_repo)  # once someone pushed, a clone that reaches the remote pulls
    second = tmp_path / "second"
    run(["git", "clone", "-q", str(tiny_repo), str(second)], tmp_path)
    run(["dvc", "pull"], second)
    assert "Data and pipelines are up to date" in run(["dvc", "status"], second).stdout
    assert (second / "models/model/MLmodel").is_file()
