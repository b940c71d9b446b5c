"""The commands that the README and the CI workflow name exist."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / ".github/workflows").glob("*.yml"))]


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_make_target_named_exists(doc: Path) -> None:
    named = set(re.findall(r"`?make ([a-z][a-z-]+)\b", doc.read_text())) - {"it"}
    assert named, f"{doc.name} names no make target"
    assert named <= makefile_targets(), f"unknown in {doc.name}: {named - makefile_targets()}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_stage_module_named_exists(doc: Path) -> None:
    for module in re.findall(r"python -m (stages\.[a-z_]+)", doc.read_text()):
        assert importlib.util.find_spec(module) is not None, f"{doc.name}: {module}"
