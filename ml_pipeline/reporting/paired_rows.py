"""Paired intervals for the pull-request report: both revisions' per-row test predictions.

Each revision's `evaluate` wrote reports/predictions.parquet, a cached DVC output: it is read at
a Git revision through DVC (the local cache, else the DVC remote), the workspace's from disk.
The two are paired only when both scored the same test rows: the same md5 of the prepared test
split in each revision's dvc.lock, and the same targets row by row (evaluation/paired.py).
Anything missing leaves the report on its CV-noise verdicts, with the reason in one line.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import yaml

from ml_pipeline.core import paths
from ml_pipeline.evaluation.paired import Paired


def prepared_test_md5(rev: str | None) -> str | None:
    """The md5 of the test split `evaluate` read, from the revision's dvc.lock (None: unknown)."""
    if rev is None:
        text = paths.DVC_LOCK.read_text() if paths.DVC_LOCK.is_file() else None
    else:
        shown = subprocess.run(
            ["git", "show", f"{rev}:{paths.DVC_LOCK}"], capture_output=True, text=True
        )
        text = shown.stdout if shown.returncode == 0 else None
    stage = ((yaml.safe_load(text or "") or {}).get("stages") or {}).get("evaluate") or {}
    found = [d.get("md5") for d in stage.get("deps", []) if d["path"] == str(paths.PREPARED_TEST)]
    return found[0] if found else None


def predictions_at(rev: str | None) -> bytes:
    """reports/predictions.parquet at `rev` (through DVC), or in the workspace."""
    if rev is None:
        return Path(paths.PREDICTIONS).read_bytes()
    import dvc.api

    return dvc.api.read(str(paths.PREDICTIONS), rev=rev, mode="rb")


def paired_for_report(
    base: str, rev: str | None, positive: str | None, seed: int
) -> tuple[dict[str, Paired], str]:
    """Each metric's new − base difference with its 95 % paired interval, and a note saying
    how the rows were paired or why they were not ({} then)."""
    import pandas as pd
    from dvc.exceptions import DvcException

    from ml_pipeline.evaluation.paired import from_predictions, paired_differences

    test_md5 = {prepared_test_md5(base), prepared_test_md5(rev)}
    if None in test_md5 or len(test_md5) != 1:
        return {}, "not paired: the two revisions did not score the same test split (dvc.lock)"
    try:
        frames = [pd.read_parquet(io.BytesIO(predictions_at(r))) for r in (rev, base)]
        new, old = (from_predictions(frame, positive) for frame in frames)
        paired = paired_differences(new, old, seed)
    # Not in the DVC cache nor a remote, unreadable, or other rows: the report goes on unpaired.
    except (DvcException, OSError, ValueError, KeyError) as exc:
        return {}, f"not paired: no per-row predictions of both ({type(exc).__name__}: {exc})"
    rows = len(new.target)
    return paired, f"paired on the same {rows:,} test rows (95 % paired bootstrap)"
