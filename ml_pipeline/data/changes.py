"""What `prepare` changed in the data, said on its output line, and target classes that differ
only in case or surrounding spaces (`yes`, `Yes `, `YES`), refused with a suggested target_map.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from ml_pipeline.core.errors import StageError, shown


def changes_note(report: dict) -> str:
    """`; changed: ...` for prepare's line, from the per-file clean reports ('' if nothing)."""
    files = [report[key] for key in ("train_file", "test_file") if key in report]
    duplicates = sum(part["duplicates_dropped"] for part in files)
    no_target = sum(part["missing_target_dropped"] for part in files)
    coerced: dict[str, int] = defaultdict(int)
    for part in files:
        for column, count in part["values_coerced_to_missing"].items():
            coerced[column] += count
    parts = []
    if coerced:
        per_column = ", ".join(f"{column} {count}" for column, count in sorted(coerced.items()))
        parts.append(f"values made missing: {per_column}")
    if duplicates:
        parts.append(f"{duplicates} duplicate rows dropped")
    if no_target:
        parts.append(f"{no_target} rows without a target dropped")
    return f"; changed: {'; '.join(parts)} (reports/prepare.json)" if parts else ""


def check_class_spelling(labels: pd.Series, target: str) -> None:
    """Refuse target classes equal but for case or surrounding spaces, suggesting a target_map."""
    groups: dict[str, list[str]] = defaultdict(list)
    for label in sorted(labels.dropna().unique()):
        groups[str(label).strip().casefold()].append(str(label))
    clashes = [spellings for spellings in groups.values() if len(spellings) > 1]
    if not clashes:
        return
    first = clashes[0]
    keep = first[0].strip()
    mapping = ", ".join(
        f"{{old: {shown(old)}, new: {shown(keep)}}}" for old in first if old != keep
    )
    raise StageError(
        f"target column {target!r} (data.target) has classes that differ only in case or spaces: "
        f"{', '.join(map(shown, first))}"
        f"{f' (and {len(clashes) - 1} more such group(s))' if len(clashes) > 1 else ''}; "
        f"merge them with data.target_map: [{mapping}]"
    )
