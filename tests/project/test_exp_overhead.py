"""How `make bench` splits an experiment's overhead: the modules a stage imported (from
`-X importtime`) and the MLflow seconds of its summary line (the figures are not tested)."""

from __future__ import annotations

import subprocess
import sys

from benchmarks.exp_overhead import imported, mlflow_seconds


def test_only_top_level_imports_are_listed_in_order() -> None:
    code = "import json; import fractions"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    )
    names = imported(done.stderr)
    assert names.index("json") < names.index("fractions")
    assert "json.decoder" not in names  # imported by json: nested, counted in json's time
    assert "decimal" not in names or names.index("decimal") < names.index("fractions")


def test_mlflow_seconds_leave_the_import_of_mlflow_aside() -> None:
    line = "train: hgb: cv …; mlflow: import 2.10 s, connect 0.40 s, log 1.25 s (total 3.75 s)"
    assert mlflow_seconds(line) == 1.65
    assert mlflow_seconds("register: … mlflow: connect 0.5 s (total 0.50 s)") == 0.5
    assert mlflow_seconds("evaluate: accuracy=0.87") == 0.0


def test_the_table_row_shows_where_the_cpu_went() -> None:
    from benchmarks.table import overhead_row

    split = {"ml_work": 20.1, "dvc": 3.2, "interpreter": 0.1, "imports": 9.5}
    label, text = overhead_row(
        {
            "change": "-S model.learning_rate=0.11",
            "exp_run": {"wall_s": 41.0, "cpu_s": 38.4},
            "cpu_split_s": split | {"other": 5.5},
            "mlflow_wall_s": 2.0,
        }
    )
    assert label.startswith("`dvc exp run -S model.learning_rate=0.11` on adult")
    assert text == (
        "41.0 s wall, 38.4 CPU s: ML work 20.1, imports 9.5, DVC 3.2, interpreter starts 0.1, "
        "the stages' other work (MLflow calls, I/O, plots, reports) 5.5; MLflow calls 2.0 s wall"
    )
