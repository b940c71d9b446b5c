"""`make exps`: the experiments with the columns people compare, in 80 columns.

    python -m commands.exps [dvc exp show options, e.g. -A]

`dvc exp show` prints every param and metric (the validation contract alone is 65 columns);
this keeps the experiment, model, the primary metric, the CV mean ± std and the registration
decision made when the experiment ran, grouped by dataset, best first.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd

from ml_pipeline.core.errors import StageError, run_stage
from ml_pipeline.evaluation.catalog import direction as catalog_direction

WIDTH = 80


def _cell(value: object, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def table(
    frame: pd.DataFrame, primary: str, direction: str | None = None, width: int = WIDTH
) -> str:
    """One line per experiment, grouped by dataset (a heading line each: its primary metric),
    best first within a group (`direction`: the metric catalog's unless given); every line at
    most `width` wide. The decision is the one made when the experiment ran."""
    cv_mean = next((c for c in frame.columns if c.startswith("cv_") and c.endswith("_mean")), None)
    rows = []
    for _, row in frame.iterrows():
        name = row.get("Experiment")
        name = name if isinstance(name, str) and name else str(row.get("rev", ""))
        cv = "—"
        if cv_mean:
            spread = row.get(cv_mean.removesuffix("_mean") + "_std")
            cv = _cell(row.get(cv_mean)) + (f"±{_cell(spread, 2)}" if pd.notna(spread) else "")
        metric = row.get("register.primary_metric")
        metric = metric if isinstance(metric, str) and metric else primary
        rows.append(
            {
                "experiment": name,
                "data": _cell(row.get("data.name", row.get("name"))),
                "metric": metric,
                "model": _cell(row.get("model.name")),
                "primary": row.get(metric),
                "cv mean±std": cv,
                "registered as": _cell(row.get("decision")),
            }
        )
    if not rows:
        return "no experiments (dvc exp run, or make repro, first)"
    fixed = {"model": 10, "primary": 9, "cv mean±std": 14, "registered as": 13}
    name_width = max(10, width - sum(fixed.values()) - len(fixed))
    widths = {"experiment": name_width, **fixed}

    def line(values: dict[str, str]) -> str:
        cells = [str(values[k])[: widths[k]].ljust(widths[k]) for k in widths]
        return " ".join(cells).rstrip()

    lines = [line({k: k for k in widths}), line({k: "-" * w for k, w in widths.items()})]
    shown = pd.DataFrame(rows)
    for (data, metric), group in shown.groupby(["data", "metric"], sort=True):
        towards = catalog_direction(metric) or (direction if metric == primary else None)
        towards = towards or "higher"
        lines.append(f"{data}: {metric} ({towards} is better)"[:width])
        group = group.sort_values("primary", ascending=towards == "lower", na_position="last")
        lines += [
            line(row | {"primary": _cell(row["primary"])}) for row in group.to_dict("records")
        ]
    lines.append("registered as: the decision when it ran, not the registry now (make mlflow-ui)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from ml_pipeline.core import paths
    from ml_pipeline.core.config import load_params

    args = sys.argv[1:] if argv is None else argv
    config = load_params(paths.PARAMS).registration
    command = [sys.executable, "-m", "dvc", "exp", "show", "--csv", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr.strip() or "no output").splitlines()
        raise StageError(f"dvc exp show failed: {lines[-1].removeprefix('ERROR: ')}")
    frame = pd.read_csv(io.StringIO(result.stdout))
    print(table(frame, config.primary_metric, config.direction))  # checked against the catalog
    return 0


if __name__ == "__main__":
    raise SystemExit(run_stage("exps", main) or 0)
