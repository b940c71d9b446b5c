"""The run's parameters: `-S`-style overrides composed like `dvc exp run`, read before any stage."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from ml_pipeline.core.config import OrchestrateConfig, parse_params
from ml_pipeline.core.errors import StageError


@dataclass(frozen=True)
class RunConfig:
    """params.yaml's text for this run, and its `orchestrate` section."""

    params_text: str
    orchestrate: OrchestrateConfig


def load_run_config(repo: Path, overrides: list[str], from_conf: bool = False) -> RunConfig:
    """Compose `conf/` with `overrides` (or read params.yaml if none, unless `from_conf`) and
    validate it. A scheduled run passes `from_conf`: it retrains what `conf/` says, not what the
    last `make orchestrate ARGS=...` or `make params ARGS=...` left in params.yaml.

    Raises StageError with one line: a bad override, key or value fails here, before any stage.
    """
    if overrides or from_conf:
        from commands.compose import compose, compose_errors, refused

        with tempfile.TemporaryDirectory() as tmp:
            try:
                compose(Path(tmp) / "params.yaml", overrides, repo / "conf")
            except compose_errors() as exc:  # one line, with the allowed names
                why = refused(exc, overrides, repo / "conf")
                raise StageError(why if overrides else f"conf/: {why}") from None
            text = (Path(tmp) / "params.yaml").read_text()
    else:
        path = repo / "params.yaml"
        if not path.is_file():
            raise StageError(f"{path}: not found; run `make params` to compose it from conf/")
        text = path.read_text()
    params = parse_params(yaml.safe_load(text) or {})
    if params.orchestrate is None:
        raise StageError("params.yaml has no `orchestrate` section; run `make params`")
    return RunConfig(text, params.orchestrate)


def write_params(repo: Path, config: RunConfig) -> None:
    """Put the run's params.yaml in place (only when it differs, so DVC sees no change)."""
    path = repo / "params.yaml"
    if not path.is_file() or path.read_text() != config.params_text:
        path.write_text(config.params_text)


def stages_up_to(stages: tuple[str, ...], edges: frozenset[tuple[str, str]], target: str | None):
    """`stages` (in order) needed for `target` and `target` itself; all of them when None."""
    if target is None:
        return list(stages)
    if target not in stages:
        raise StageError(f"unknown stage {target!r}; dvc.yaml has: {', '.join(stages)}")
    needed = {target}
    for stage in reversed(stages):
        if stage in needed:
            needed |= {a for a, b in edges if b == stage}
    return [s for s in stages if s in needed]
