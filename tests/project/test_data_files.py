"""The shipped raw files are the ones data/README.md describes."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest

from tests.conftest import ROOT

LISTED = re.findall(r"\| `raw/([^`]+)` \| `([0-9a-f]{64})`", (ROOT / "data/README.md").read_text())


def test_readme_lists_every_shipped_file() -> None:
    """Files in Git: a user's own dataset (`dvc add`, so ignored by Git) need not be listed."""
    tracked = subprocess.run(
        ["git", "ls-files", "data/raw"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    shipped = {name.removeprefix("data/raw/") for name in tracked if name.endswith(".gz")}
    assert shipped == {name for name, _ in LISTED}


@pytest.mark.parametrize(("name", "digest"), LISTED)
def test_checksum(name: str, digest: str) -> None:
    assert hashlib.sha256((ROOT / "data/raw" / name).read_bytes()).hexdigest() == digest
