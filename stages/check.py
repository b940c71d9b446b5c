"""Stage `check`: validate every value of params.yaml before any other stage runs.

DVC deletes a stage's outputs before it runs the stage's command. Without this stage a bad
value (`dvc exp run -S model.learning_rate=abc`) was refused only by `train`, after DVC had
deleted the previous model. `check` depends on the whole params.yaml and every other stage on
its report, whose content never changes: DVC runs it first, and it only costs a start-up.
"""

from __future__ import annotations

import yaml

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.core.cost import cost_output
from ml_pipeline.core.declared_params import declared, missing
from ml_pipeline.core.errors import StageError, entry_point
from ml_pipeline.core.outputs import json_writer, publish

REPORT = {"params.yaml": "valid"}  # constant: depending on it re-runs nothing


@entry_point("check")
def main(argv: list[str] | None = None) -> None:
    paths.CHECK_REPORT.unlink(missing_ok=True)  # as DVC does: no stale "valid"
    load_params(paths.PARAMS)
    absent = missing(yaml.safe_load(paths.PARAMS.read_text()), declared(paths.DVC_YAML))
    if absent:
        raise StageError(
            f"{paths.PARAMS} lacks {'; '.join(absent)}: add the key to its conf/ group file "
            "(null where it does not apply, e.g. `slices: null` under data:), then make params"
        )
    publish({paths.CHECK_REPORT: json_writer(REPORT), **cost_output("check")})
    print(f"check: {paths.PARAMS} is valid")


if __name__ == "__main__":
    raise SystemExit(main())
