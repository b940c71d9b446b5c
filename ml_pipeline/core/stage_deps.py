"""The code entries of each dvc.yaml stage's `deps`, generated from the stage's import closure.

A stage `python -m stages.X` depends on exactly the project files it imports (core/imports.py),
so an edit to a module no stage imports re-runs nothing. Only the code entries (`.py` files of
the project packages) are rewritten, in place of the first one: the entry point first, then the
rest sorted. Data deps, comments and every other line of dvc.yaml stay as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ml_pipeline.core.imports import PROJECT_PACKAGES, import_closure, module_file

_ITEM = re.compile(r"^(\s*)- (\S+)\s*$")


def stage_module(cmd: str) -> str | None:
    """The module of a `python -m <module> ...` command; None for any other command."""
    parts = cmd.split()
    return parts[2] if len(parts) > 2 and parts[:2] == ["python", "-m"] else None


def code_deps(root: Path, module: str) -> list[str]:
    """The files a stage running `module` depends on: its own first, then its imports sorted."""
    own = module_file(root, module)
    closure = import_closure(root, module)
    return [own, *(path for path in closure if path != own)] if own else closure


def is_code(entry: str) -> bool:
    """A dep that is a module of the project packages (the rest is data, kept as written)."""
    return entry.endswith(".py") and entry.split("/")[0] in PROJECT_PACKAGES


def expected_deps(root: Path, text: str) -> dict[str, list[str]]:
    """Stage name → its code deps, for every stage whose command is `python -m <module>`."""
    stages = (yaml.safe_load(text) or {}).get("stages") or {}
    modules = {name: stage_module(str(stage.get("cmd", ""))) for name, stage in stages.items()}
    return {name: code_deps(root, module) for name, module in modules.items() if module}


@dataclass(frozen=True)
class _Stage:
    """Where a stage sits in dvc.yaml's lines: its header, its `cmd:`, its `deps:` items."""

    header: int
    end: int
    cmd: int | None
    deps: int | None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _block_end(lines: list[str], start: int) -> int:
    """The first line after `start` with content indented no deeper than line `start`."""
    level = _indent(lines[start])
    for number in range(start + 1, len(lines)):
        if _is_content(lines[number]) and _indent(lines[number]) <= level:
            return number
    return len(lines)


def _stages(lines: list[str]) -> dict[str, _Stage]:
    """The stages of the top-level `stages:` mapping, by name."""
    top = next((n for n, line in enumerate(lines) if line.rstrip() == "stages:"), None)
    if top is None:
        return {}
    end = _block_end(lines, top)
    headers = [n for n in range(top + 1, end) if _is_content(lines[n])]
    level = min((_indent(lines[n]) for n in headers), default=0)
    found: dict[str, _Stage] = {}
    for n in (n for n in headers if _indent(lines[n]) == level):
        stage_end = _block_end(lines, n)
        body = [k for k in range(n + 1, stage_end) if _is_content(lines[k])]
        level_in = min((_indent(lines[k]) for k in body), default=0)
        keys = {lines[k].strip().split(":")[0]: k for k in body if _indent(lines[k]) == level_in}
        name = lines[n].strip().rstrip(":")
        found[name] = _Stage(n, stage_end, keys.get("cmd"), keys.get("deps"))
    return found


def _new_block(lines: list[str], stage: _Stage, deps: list[str]) -> list[str]:
    """The stage's `deps:` lines (header included) with its code entries replaced by `deps`."""
    assert stage.deps is not None
    end = _block_end(lines, stage.deps)
    body = lines[stage.deps + 1 : end]
    items = [m for m in map(_ITEM.match, body) if m]
    pad = items[0].group(1) if items else " " * (_indent(lines[stage.deps]) + 2)
    code = [n for n, line in enumerate(body) if (m := _ITEM.match(line)) and is_code(m.group(2))]
    at = code[0] if code else len(body)
    while not code and at > 0 and not _is_content(body[at - 1]):  # before trailing comments
        at -= 1
    kept = [line for n, line in enumerate(body) if n not in code]
    return [lines[stage.deps], *kept[:at], *(f"{pad}- {dep}" for dep in deps), *kept[at:]]


def rewrite(root: Path, text: str) -> str:
    """dvc.yaml's `text` with every `python -m` stage's code deps regenerated."""
    expected = expected_deps(root, text)
    lines = text.splitlines()
    for name, stage in reversed(list(_stages(lines).items())):  # bottom up: line numbers hold
        if name not in expected:
            continue
        if stage.deps is None:
            anchor = stage.cmd if stage.cmd is not None else stage.header
            pad = " " * _indent(lines[anchor])
            lines[anchor + 1 : anchor + 1] = [f"{pad}deps:"]
            stage = _stages(lines)[name]
        assert stage.deps is not None
        lines[stage.deps : _block_end(lines, stage.deps)] = _new_block(lines, stage, expected[name])
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def current_code_deps(text: str) -> dict[str, list[str]]:
    """Stage name → the code entries its `deps` lists now, in order."""
    stages = (yaml.safe_load(text) or {}).get("stages") or {}
    return {
        name: [d for d in stage.get("deps") or [] if isinstance(d, str) and is_code(d)]
        for name, stage in stages.items()
    }


def stale_stages(root: Path, text: str) -> list[str]:
    """Stages whose code deps differ (in content or order) from their import closure."""
    current = current_code_deps(text)
    return [name for name, deps in expected_deps(root, text).items() if current.get(name) != deps]
