"""The README, the docs/ pages and the CI workflows: the make targets, modules and repository paths
they name exist, and the docs site builds in mkdocs' strict mode (a broken link or anchor fails)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGES = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCS = [*PAGES, *sorted((ROOT / ".github/workflows").glob("*.yml"))]

# Where a path the docs name must exist (data/, models/, reports/ hold outputs the pipeline makes).
SOURCE_ROOTS = "conf|stages|commands|ml_pipeline|orchestration|tests|deploy|benchmarks|tools|docs"
PATH = re.compile(rf"(?<![\w/.-])((?:{SOURCE_ROOTS}|\.github|\.ci)/[\w./-]*)")
# Files the pages show a user how to make (their own dataset, model variant, feature recipe).
EXAMPLES = {
    "conf/data/houses.yaml",
    "conf/validation/houses.yaml",
    "conf/register/houses.yaml",
    "conf/data/prices.yaml",
    "conf/features/tomorrow.yaml",
    "conf/features/tomorrow_return.yaml",
    "conf/model/hgb_deep.yaml",
}
MODULE = re.compile(r"python -m ((?:stages|commands|benchmarks|orchestration)(?:\.[a-z_]+)+)")
README_MAX_LINES = 250
PROSE = {"it", "target", "targets"}  # "make it the default", "make help lists every target"


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.MULTILINE))


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_make_target_named_exists(doc: Path) -> None:
    named = set(re.findall(r"`?make ([a-z][a-z-]+)\b", doc.read_text())) - PROSE
    assert named <= makefile_targets(), f"unknown in {doc.name}: {named - makefile_targets()}"


def test_readme_gives_the_two_commands_ci_runs() -> None:
    text = README.read_text()
    assert "make repro" in text and "make test" in text
    assert re.search(r"^make test$", (ROOT / ".ci/run").read_text(), flags=re.MULTILINE)


def test_readme_is_a_front_door() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines: move topics to docs/"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_module_named_exists(doc: Path) -> None:
    for module in MODULE.findall(doc.read_text()):
        assert importlib.util.find_spec(module) is not None, f"{doc.name}: python -m {module}"


@pytest.mark.parametrize("doc", PAGES, ids=lambda path: path.name)
def test_every_repository_path_named_exists(doc: Path) -> None:
    named = {match.rstrip(".,") for match in PATH.findall(doc.read_text())} - EXAMPLES
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", [README, ROOT / "CHANGELOG.md"], ids=lambda path: path.name)
def test_top_level_docs_link_to_files_that_exist(doc: Path) -> None:
    """Pages outside docs/ are not built by mkdocs, so their links are checked here."""
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text())
    local = [link for link in links if "://" not in link]
    assert local, f"{doc.name} links to no page"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"{doc.name} links to missing files: {missing}"


def build_site(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docs_site_builds_in_strict_mode(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = build_site(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").exists()
    assert time.perf_counter() - started < 60  # seconds, not minutes: it runs with the fast tests


@pytest.mark.parametrize(
    ("link", "needle"),
    [("registry.md#no-such-heading", "no-such-heading"), ("no-such-page.md", "no-such-page.md")],
)
def test_docs_build_fails_on_a_broken_link(tmp_path: Path, link: str, needle: str) -> None:
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    page = tmp_path / "docs" / "extending.md"
    page.write_text(page.read_text() + f"\nSee [there]({link}).\n")
    result = build_site(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0 and needle in result.stderr, result.stderr
