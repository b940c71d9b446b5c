"""The params.yaml keys that dvc.yaml's stages declare, checked before DVC needs them.

DVC reads a stage's `params:` only when it reaches the stage: a dataset config without a key
(`data.slices`) failed `evaluate` with DVC's own error after `train` had run. `check` runs first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def declared(dvc_yaml: Path) -> dict[str, list[str]]:
    """Each params.yaml key any stage declares, with the stages that declare it (none without
    a dvc.yaml: the stage run by hand)."""
    if not dvc_yaml.is_file():
        return {}
    stages = (yaml.safe_load(dvc_yaml.read_text()) or {}).get("stages", {})
    keys: dict[str, list[str]] = {}
    for name, stage in stages.items():
        for entry in stage.get("params", []):
            if isinstance(entry, str):  # a key of params.yaml; a dict names other files
                keys.setdefault(entry, []).append(name)
    return keys


def missing(params: dict[str, Any], keys: dict[str, list[str]]) -> list[str]:
    """One line per declared key that `params` lacks, naming the stages that read it."""
    lines = []
    for key, stages in keys.items():
        node: Any = params
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                lines.append(f"{key} (read by {', '.join(stages)})")
                break
            node = node[part]
    return lines
