"""Compose conf/ into params.yaml exactly as `dvc exp run` does (`make params`), or check it.

python -m commands.compose [OVERRIDE ...]          write params.yaml
python -m commands.compose --check [OVERRIDE ...]  exit 1 with a diff if params.yaml is stale
python -m commands.compose --names OVERRIDE ...    only check that each names a known option/key
                                                   (sweeps too: what `make exp` runs first)
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

from ml_pipeline.core import paths
from ml_pipeline.core.errors import StageError, entry_point

CONF_DIR = paths.CONF_DIR


def compose(output: Path, overrides: list[str], conf_dir: Path = CONF_DIR) -> None:
    """Write the composition of `conf_dir` (with Hydra overrides) to `output` as DVC would."""
    from dvc.utils.hydra import compose_and_dump

    compose_and_dump(str(output), str(conf_dir.resolve()), None, "config", None, overrides)


def compose_errors() -> tuple[type[Exception], ...]:
    """What composing a bad conf/ or override raises: Hydra's, OmegaConf's or YAML's errors."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    return (HydraException, OmegaConfBaseException, yaml.YAMLError)


def unknown_name(overrides: list[str], conf_dir: Path = CONF_DIR) -> str | None:
    """What Hydra refused in `overrides`, in one line with the allowed names, or None.

    A group option without its file (`model=xgb`), or a key the composition does not have
    (`model.depth=3`, `modl=rf`), checked against conf/ composed with the valid group choices.
    """
    groups = sorted(p.name for p in conf_dir.iterdir() if p.is_dir())
    chosen, keys = [], []
    for override in overrides:
        if override.startswith(("+", "~")):  # Hydra's append and delete: its own rules
            continue
        key, _, value = override.partition("=")
        if key in groups:
            options = sorted(p.stem for p in (conf_dir / key).glob("*.yaml"))
            if missing := [v for v in value.split(",") if v not in options]:  # a sweep: a,b
                return (
                    f"override {override}: no option {missing[0]!r} in group {key!r} "
                    f"(conf/{key}/); options: {', '.join(options)}"
                )
            chosen.append(f"{key}={value.split(',')[0]}")
        else:
            keys.append((override, key))
    with tempfile.TemporaryDirectory() as tmp:
        compose(Path(tmp) / "params.yaml", chosen, conf_dir)
        tree = yaml.safe_load((Path(tmp) / "params.yaml").read_text())
    for override, key in keys:
        node, path = tree, list[str]()
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                where = f"keys of {'.'.join(path)}" if path else "groups and keys"
                allowed = ", ".join(sorted(node)) if isinstance(node, dict) else "none"
                return f"override {override}: unknown key {key!r}; {where}: {allowed}"
            node, path = node[part], [*path, part]
    return None


def refused(exc: Exception, overrides: list[str], conf_dir: Path = CONF_DIR) -> str:
    """The one line for a composition Hydra refused: the allowed names when an override named
    something unknown, else Hydra's message on one line."""
    try:
        named = unknown_name(overrides, conf_dir)
    except compose_errors():  # conf/ itself does not compose
        named = None
    return named or " ".join(str(exc).split())


def stale_diff(params: Path, overrides: list[str], conf_dir: Path = CONF_DIR) -> str:
    """A unified diff from `params` to the fresh composition; empty when they agree."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "params.yaml"
        compose(fresh, overrides, conf_dir)
        expected = fresh.read_text().splitlines(keepends=True)
    actual = params.read_text().splitlines(keepends=True) if params.exists() else []
    return "".join(difflib.unified_diff(actual, expected, str(params), "composed from conf/"))


def experiment_of(params: Path, repo: Path = Path(".")) -> str | None:
    """The DVC experiment of the current commit whose params.yaml `params` is, if any.

    `dvc exp run` leaves the experiment's params.yaml in the workspace: not a stale one.
    """

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""

    head = git("rev-parse", "HEAD").strip()
    if not head or not params.is_file():
        return None
    name = params.resolve().relative_to(repo.resolve()).as_posix()
    refs = git("for-each-ref", "--format=%(refname)", f"refs/exps/{head[:2]}/{head[2:]}/")
    for ref in refs.split():
        if git("show", f"{ref}:{name}") == params.read_text():
            return ref.rsplit("/", 1)[-1]
    return None


def _composed(action: Callable[[], str | None], overrides: list[str]) -> str | None:
    try:
        return action()
    except compose_errors() as exc:
        raise StageError(refused(exc, overrides)) from None


@entry_point("compose")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--output", type=Path, default=paths.PARAMS)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model=rf data=tiny")
    parser.add_argument("--names", action="store_true", help="only check the overrides' names")
    args = parser.parse_args(argv)
    if args.names:
        if line := unknown_name(args.overrides):
            raise StageError(line)
        return 0
    if args.check:
        diff = _composed(lambda: stale_diff(args.output, args.overrides), args.overrides)
        if diff and (name := experiment_of(args.output)):
            print(
                f"{args.output} holds the parameters of experiment {name!r} (dvc exp run), not "
                "conf/'s: to keep them, make them conf/'s defaults (e.g. `- data: ...` in "
                "conf/config.yaml) and run `make params`; else `git checkout params.yaml`",
                file=sys.stderr,
            )
            return 1
        if diff:
            print(f"{args.output} differs from conf/; run `make params`:\n{diff}", file=sys.stderr)
            return 1
        print(f"{args.output} matches conf/")
        return 0
    _composed(lambda: compose(args.output, args.overrides), args.overrides)
    print(f"wrote {args.output}" + (f" ({' '.join(args.overrides)})" if args.overrides else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
