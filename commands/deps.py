"""Regenerate the code deps of dvc.yaml's stages from their imports (`make deps`), or check them.

python -m commands.deps          rewrite the code entries of each stage's `deps` in dvc.yaml
python -m commands.deps --check  exit 1, one line per stage, when dvc.yaml is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml_pipeline.core.errors import entry_point
from ml_pipeline.core.stage_deps import rewrite, stale_stages


@entry_point("deps")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--dvc-yaml", type=Path, default=Path("dvc.yaml"))
    args = parser.parse_args(argv)
    path: Path = args.dvc_yaml
    root = path.resolve().parent
    text = path.read_text()
    if args.check:
        stale = stale_stages(root, text)
        for name in stale:
            print(f"{path}: stage {name}: deps out of date (make deps)", file=sys.stderr)
        return 1 if stale else 0
    fresh = rewrite(root, text)
    if fresh != text:
        path.write_text(fresh)
    print(f"{path}: " + ("code deps regenerated" if fresh != text else "code deps up to date"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
