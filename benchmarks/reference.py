"""The pipeline's ML work in one plain process: no DVC, no MLflow, no Great Expectations.

    python -m benchmarks.reference          (in a repository whose params.yaml is composed)

Reads and cleans the raw files (a chunk at a time, compact: data/chunked.py), splits,
cross-validates, fits, scores the test split and computes permutation importance with exactly
the estimator, CV and importance settings of params.yaml, through the same functions the stages
call. `make bench` times it next to
`dvc repro -f` of the same configuration: the ratio is what the pipeline costs on top.
"""

from __future__ import annotations

import json

from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from ml_pipeline.data.compact import restore
from stages.evaluate import run as evaluate
from stages.prepare import run as prepare
from stages.train import run as train


def main() -> None:
    params = load_params(paths.PARAMS)
    train_split, test_split, _ = prepare(params)
    model, report = train(params, train_split)
    # the test split as `evaluate` reads it from its file (compact splits: data/compact.py)
    result = evaluate(params, model, restore(test_split), report, train_split)
    print(json.dumps(result.metrics, sort_keys=True))


if __name__ == "__main__":
    main()
