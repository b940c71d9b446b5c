"""The shipped raw files are the ones data/README.md describes."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.conftest import ROOT

LISTED = re.findall(r"\| `raw/([^`]+)` \| `([0-9a-f]{64})`", (ROOT / "data/README.md").read_text())


def test_readme_lists_every_shipped_file() -> None:
    shipped = {
        p.relative_to(ROOT / "data/raw").as_posix() for p in (ROOT / "data/raw").glob("*/*.gz")
    }
    assert shipped == {name for name, _ in LISTED}


@pytest.mark.parametrize(("name", "digest"), LISTED)
def test_checksum(name: str, digest: str) -> None:
    assert hashlib.sha256((ROOT / "data/raw" / name).read_bytes()).hexdigest() == digest
