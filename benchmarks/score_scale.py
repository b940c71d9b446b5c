"""What `score` costs on a 1,000,000-row batch next to the same model's `predict_proba`.

    python -m benchmarks.score_scale [--rows 1000000] [--model models/model]

The batch is adult's raw test file resampled to `--rows` rows (headerless, as data/incoming/
holds it). The model is `--model` (train's output, after `make repro`), else params.yaml's
model fitted here on adult's train file. In one process, each timed alone (wall and CPU
seconds): the stage's code (`score_batch`: read in chunks, type, check the contract with Great
Expectations, score, write Parquet) and the reference: pandas reading the same CSV, then the
model's `predict_proba` on it. Prints one JSON object; `make bench` keeps it in reports/bench.json
(run with OMP_NUM_THREADS=1 there: idle OpenMP threads spinning on a busy machine count as CPU).
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml_pipeline.core import paths
from ml_pipeline.core.config import Params, load_params


def timed(action: Callable[[], Any]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return {
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
    }


def fitted(params: Params, model: Path) -> Any:
    """The pipeline `train` saved at `model`, else one fitted here on adult's train file."""
    if (model / "MLmodel").is_file():
        from ml_pipeline.modeling.model_dir import load_pipeline

        return load_pipeline(model)
    from ml_pipeline.data.dataset import clean, read_table
    from ml_pipeline.modeling.pipeline import build_pipeline

    data = params.data
    train, _ = clean(read_table(Path(data.dir) / data.train_file, data, "data.train_file"), data)
    return build_pipeline(data, params.model, params.seed).fit(
        train[data.features], train[data.target]
    )


def write_batch(params: Params, rows: int, path: Path) -> None:
    """`rows` raw lines of adult's test file, drawn with replacement (seed 0)."""
    data = params.data
    text = gzip.decompress((Path(data.dir) / str(data.test_file)).read_bytes()).decode()
    lines = np.array([line for line in text.splitlines() if line.strip() and line[0] != "|"])
    picked = lines[np.random.default_rng(0).integers(0, len(lines), rows)]
    path.write_text("\n".join(picked) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--model", type=Path, default=paths.MODEL_DIR)
    args = parser.parse_args(argv)
    from ml_pipeline.core.scoring_config import Scoring
    from ml_pipeline.serving.batches import Version, score_batch

    params = load_params(paths.PARAMS)
    pipeline = fitted(params, args.model)
    settings = Scoring(data=params.data, features=params.features, validation=params.validation)
    champion = Version("bench", "bench", pipeline, settings)
    data = params.data
    with tempfile.TemporaryDirectory(prefix="score-bench-") as tmp:
        batch = Path(tmp) / "batch.csv"
        write_batch(params, args.rows, batch)
        import great_expectations  # noqa: F401  (imported once, as by the stage: not timed)

        stage = timed(lambda: score_batch(batch, champion, None, Path(tmp) / "scored.parquet"))

        def reference() -> None:
            names = [c for c in data.read.columns]
            rows = pd.read_csv(
                batch,
                header=None,
                names=names,
                skipinitialspace=True,
                na_values=data.read.na_values,
            )
            pipeline.predict_proba(rows[data.features])

        plain = timed(reference)
    ratio = {key: round(stage[key] / plain[key], 2) for key in stage}
    print(json.dumps({"rows": args.rows, "score": stage, "reference": plain, "ratio": ratio}))


if __name__ == "__main__":
    main()
