"""Profile a dataset and write a starter data contract `conf/validation/<name>.yaml` to review.

python -m commands.suite NAME [--force]      (make suite DATA=NAME [FORCE=1])

Reads the raw files of `conf/data/NAME.yaml` the way `prepare` does, then writes the columns'
types, observed ranges widened by a margin, observed categories and null fractions.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from commands.compose import CONF_DIR, compose
from ml_pipeline.core.config import DataConfig, FeaturesConfig, SplitConfig, ValidationConfig
from ml_pipeline.core.errors import StageError, entry_point
from ml_pipeline.data.dataset import check_columns, clean, read_table
from ml_pipeline.validation.tolerance import null_check, range_severity

MARGIN = 0.1  # ranges are widened by this share of the observed span on each side
MAX_CATEGORIES = 255  # more distinct values than this: no list written (and hgb refuses them)
ID_MIN_ROWS = 50  # below this, all-distinct values are not evidence of an ID


def load_data_config(
    name: str, conf_dir: Path = CONF_DIR
) -> tuple[DataConfig, SplitConfig, FeaturesConfig]:
    """Compose conf/ for `data=name` (without any validation suite): data, split, features."""
    if not (conf_dir / "data" / f"{name}.yaml").is_file():
        raise StageError(
            f"{conf_dir}/data/{name}.yaml: not found; describe the dataset there first"
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "params.yaml"
        compose(out, [f"data={name}", "~validation"], conf_dir)
        raw = yaml.safe_load(out.read_text())
    data, split = DataConfig.model_validate(raw["data"]), SplitConfig.model_validate(raw["split"])
    return data, split, FeaturesConfig.model_validate(raw.get("features") or {})


def _bound(value: float) -> float:
    return float(f"{value:.6g}")


def _null_limit(fraction: float) -> float:
    return min(1.0, math.ceil((fraction * 1.5 + 0.01) * 1000) / 1000)


def flags(table: pd.DataFrame, cfg: DataConfig) -> list[str]:
    """Columns to look at before training: IDs, too many categories, dates held as text."""
    lines = []
    for column in [*cfg.categorical, *cfg.ordinal]:
        values = table[column].dropna()
        distinct = values.nunique()
        group = "categorical" if column in cfg.categorical else "ordinal"
        key = f"column {column!r} (data.{group})"
        if len(values) >= ID_MIN_ROWS and distinct == len(values):
            lines.append(f"{key} has a distinct value on every row, like an ID: remove it")
        elif distinct > MAX_CATEGORIES:
            lines.append(
                f"{key} has {distinct} levels (> {MAX_CATEGORIES}): no category list written; "
                "model hgb refuses it: group rare levels or drop it"
            )
        if column != cfg.time_column and _looks_like_dates(values):
            lines.append(f"{key} holds dates: make it data.time_column (features.calendar)")
    return lines


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.astype(str).head(200)
    if sample.empty or not sample.str.contains(r"\d", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def profile(table: pd.DataFrame, cfg: DataConfig, split_rows: int) -> dict[str, Any]:
    """A starter suite (as plain data) from one cleaned table."""
    columns: dict[str, Any] = {}
    if cfg.time_column:  # prepare keeps it (as a date): the contract must know it
        nulls = float(table[cfg.time_column].isna().mean())
        columns[cfg.time_column] = {
            "type": "datetime",
            "nulls": {"max_fraction": _null_limit(nulls) if nulls else 0.0},
        }
    for column in [*cfg.features, cfg.target]:
        if column == cfg.time_column:
            continue
        values = table[column]
        nulls = float(values.isna().mean())
        numeric = pd.api.types.is_numeric_dtype(values)
        spec: dict[str, Any] = {"type": "numeric" if numeric else "string"}
        spec["nulls"] = null_check(nulls, _null_limit(nulls))
        if numeric and values.notna().any():
            low, high = float(values.min()), float(values.max())
            span = (high - low) or abs(high) or 1.0
            lower = low - MARGIN * span
            spec["range"] = {
                "min": _bound(max(lower, 0.0) if low >= 0 else lower),
                "max": _bound(high + MARGIN * span),
            }
            order = table[cfg.time_column] if cfg.time_column else None
            if range_severity(values, order) == "warning":
                spec["range"]["severity"] = "warning"
        elif not numeric and values.nunique() <= MAX_CATEGORIES:
            spec["categories"] = {"values": sorted(map(str, values.dropna().unique()))}
        columns[column] = spec
    suite: dict[str, Any] = {
        "columns": columns,
        "extra_columns": {"allow": False, "severity": "error"},
        "row_count": {"min": max(1, split_rows // 2), "max": None, "severity": "error"},
    }
    if cfg.task == "classification":
        smallest = float(table[cfg.target].value_counts(normalize=True).min())
        suite["target_balance"] = {
            "min_classes": 2,
            "min_fraction": _bound(smallest / 2),
            "severity": "error",
        }
    suite["same_columns"] = {"severity": "error"}
    suite["unseen_categories"] = {"max_fraction": 0.01, "severity": "warning"}
    suite["drift"] = {"statistic": "ks", "threshold": 0.1, "severity": "warning"}
    ValidationConfig.model_validate(suite)  # what we write must load
    return suite


def build(name: str, conf_dir: Path = CONF_DIR) -> dict[str, Any]:
    """Read dataset `name` as `prepare` does and profile it."""
    cfg, split_cfg, features = load_data_config(name, conf_dir)
    tables = []
    for file, key in ((cfg.train_file, "data.train_file"), (cfg.test_file, "data.test_file")):
        if file:
            path = Path(cfg.dir) / file
            raw = read_table(path, cfg, key)
            check_columns(raw, cfg, path)
            tables.append(clean(raw, cfg)[0])
    table = pd.concat(tables, ignore_index=True)
    if split_cfg.method == "predefined" and len(tables) == 2:
        split_rows = min(len(t) for t in tables)
    else:
        split_rows = int(len(table) * (split_cfg.test_size or 0.2))
    for line in flags(table, cfg):
        print(f"suite: check: {line}", file=sys.stderr)
    suite = profile(table, cfg, split_rows)
    if features.active or cfg.split_column:  # built columns depend on the recipe (features=...)
        suite["extra_columns"]["allow"] = True
    return suite


def write_drafts(name: str, target: str | None) -> None:
    """conf/data/<name>.yaml (and the gate conf/register/<name>.yaml) drafted from the file."""
    from ml_pipeline.validation.draft import draft, find_file

    data_file = CONF_DIR / "data" / f"{name}.yaml"
    if not target:
        raise StageError(
            f"{data_file}: not found; name the target column to draft it: "
            f"make suite DATA={name} TARGET=<column>"
        )
    data_text, gate_text, summary = draft(name, find_file(Path("data/raw") / name), target)
    data_file.write_text(data_text)
    gate_file = CONF_DIR / "register" / f"{name}.yaml"
    if not gate_file.exists():
        gate_file.write_text(gate_text)
    print(f"wrote {data_file} ({summary}) and {gate_file}: review them")


@entry_point("suite")
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="a dataset of conf/data/")
    parser.add_argument("--force", action="store_true", help="overwrite an existing suite")
    parser.add_argument("--target", default=None, help="draft conf/data/NAME.yaml: its target")
    args = parser.parse_args(argv)
    if not (CONF_DIR / "data" / f"{args.name}.yaml").is_file():
        write_drafts(args.name, args.target)
    target = CONF_DIR / "validation" / f"{args.name}.yaml"
    if target.exists() and not args.force:
        raise StageError(f"{target} exists; review it by hand, or rerun with FORCE=1 to replace it")
    suite = build(args.name)
    header = (
        f"# Data contract for `{args.name}`, checked by `validate` on each prepared split.\n"
        f"# Starter written by `make suite DATA={args.name}`: review the ranges and categories.\n"
        "# severity: error stops the pipeline, warning is recorded in reports/validation.json.\n"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(suite, sort_keys=False, default_flow_style=None, width=96)
    target.write_text(header + body)
    print(f"wrote {target}: review it")
    data_file = CONF_DIR / "data" / f"{args.name}.yaml"
    if f"override /validation: {args.name}" not in data_file.read_text():
        print(
            f"select it with its dataset: add `- override /validation: {args.name}` to {data_file}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
