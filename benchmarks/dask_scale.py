"""The Dask path at scale: `validate`, `train` and `evaluate` with `compute=dask` on a
LocalCluster of 2 workers × 2 GB on adult's train split resampled to N rows (10,000,000 by
default: more than the workers' memory), next to local LightGBM on the same rows in one process.

    python -m benchmarks.dask_scale [--rows 10000000] [--output reports/bench_dask.json]

In a throwaway copy of the repository (`model=lgbm compute=dask`): `dvc repro prepare` on adult,
then data/prepared/train.parquet is replaced by N rows drawn with replacement (seeded) from
adult's prepared train split, a little noise on `fnlwgt` (benchmarks.bench.large_dataset's
recipe, applied to the prepared split and written in row groups of 100,000 rows without holding
the N rows: `prepare` on Dask is not this bench's subject); the test split stays adult's 16,281
rows. Each stage then runs as `python -m stages.<stage>`: wall and CPU seconds of its process
tree (workers included), and a psutil sampler (every 0.5 s) of the peak RSS of the stage process,
of its largest other process (a worker), of the whole tree summed, and of how many worker
processes it saw (more than 2: a worker was killed and restarted). The reference (`--reference`)
fits the local pipeline's LightGBM on every train row in one process and scores the test split;
the test metrics of both are compared (tolerance: ml_pipeline.modeling.dask_train.TOLERANCE).
Not a test: numbers, not verdicts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

PY = sys.executable
ROW_GROUP = 100_000
CHUNK = 1_000_000
STAGES = ("validate", "train", "evaluate")


def resample(source: Path, target: Path, rows: int, seed: int = 0) -> None:
    """`rows` rows drawn with replacement from the Parquet file `source` (noise on fnlwgt, as
    benchmarks.bench.large_dataset), written to `target` CHUNK rows at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = pd.read_parquet(source)
    rng = np.random.default_rng(seed)
    writer = None
    try:
        for start in range(0, rows, CHUNK):
            size = min(CHUNK, rows - start)
            part = base.iloc[rng.integers(0, len(base), size)].reset_index(drop=True)
            part["fnlwgt"] = (part["fnlwgt"] + rng.integers(-500, 500, size)).clip(lower=12285)
            table = pa.Table.from_pandas(part, preserve_index=False)
            writer = writer or pq.ParquetWriter(target, table.schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
    finally:
        if writer is not None:
            writer.close()


class Sampler(threading.Thread):
    """Peak RSS (MiB) of a process, of its largest descendant, of the tree; worker pids seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.done = pid, threading.Event()
        self.root = self.other = self.tree = 0.0
        self.workers: set[int] = set()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self.done.wait(0.5):
            try:
                family = [root, *root.children(recursive=True)]
                sizes = {p.pid: p.memory_info().rss / 2**20 for p in family}
                spawned = [c for c in root.children() if "spawn_main" in " ".join(c.cmdline())]
                self.workers |= {c.pid for c in spawned}
            except psutil.Error:
                continue
            self.root = max(self.root, sizes.pop(self.pid, 0.0))
            self.other = max(self.other, max(sizes.values(), default=0.0))
            self.tree = max(self.tree, self.root + sum(sizes.values()))


def measure(cmd: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Wall, CPU of the process tree, and the sampler's peaks of `cmd`; its output's tail (all of
    it is printed as it comes)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    sampler = Sampler(process.pid)
    sampler.start()
    lines = []
    for raw in process.stdout or []:  # shown as it comes: the stages' progress
        lines.append(raw.decode(errors="replace").rstrip())
        print(f"  {lines[-1]}", flush=True)
    _, status, usage = os.wait4(process.pid, 0)
    sampler.done.set()
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": {
            "stage_process": round(sampler.root),
            "largest_other_process": round(sampler.other),
            "tree_sum": round(sampler.tree),
        },
        "worker_processes_seen": len(sampler.workers),
        "tail": lines[-3:],
    }


def reference(repo: Path) -> dict:
    """Local LightGBM (the pipeline's own) fitted on every train row, scored on the test split."""
    from ml_pipeline.core.config import load_params
    from ml_pipeline.data.columns import features_and_target
    from ml_pipeline.evaluation.metrics import score
    from ml_pipeline.modeling.pipeline import build_pipeline

    params = load_params(repo / "params.yaml")
    data = params.data
    train = pd.read_parquet(
        repo / "data/prepared/train.parquet", columns=[*data.features, data.target]
    )
    pipeline = build_pipeline(data, params.model, params.seed).fit(
        *features_and_target(train, data)
    )
    del train
    test = pd.read_parquet(repo / "data/prepared/test.parquet")
    return score(pipeline, test, data).metrics


def bench(rows: int, workdir: Path) -> dict:
    """The stages on Dask and the local reference on `rows` train rows; their figures."""
    from benchmarks.table import machine
    from ml_pipeline.modeling.dask_train import TOLERANCE
    from tests.conftest import ROOT, make_repo, pipeline_env

    repo = make_repo(workdir / "repo", ["model=lgbm", "compute=dask"])
    shutil.copytree(
        ROOT / "benchmarks", repo / "benchmarks", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = pipeline_env() | {"OMP_NUM_THREADS": "1"}
    subprocess.run(["dvc", "repro", "prepare"], cwd=repo, env=env, check=True, capture_output=True)
    prepared = repo / "data/prepared/train.parquet"
    started = time.perf_counter()
    bigger = repo / "train_big.parquet"
    resample(prepared, bigger, rows)
    bigger.replace(prepared)
    made = round(time.perf_counter() - started, 1)
    result: dict = {"rows": rows, "machine": machine(), "resample_s": made, "stages": {}}
    result["parquet_mb"] = round(prepared.stat().st_size / 2**20, 1)
    for stage in STAGES:
        print(f"dask_scale: {rows:,} rows: {stage} on dask", flush=True)
        result["stages"][stage] = measure([PY, "-m", f"stages.{stage}"], repo, env)
        if result["stages"][stage]["exit"] != 0:
            return result
    print(f"dask_scale: {rows:,} rows: local LightGBM in one process", flush=True)
    local = measure([PY, "-m", "benchmarks.dask_scale", "--reference", str(repo)], repo, env)
    result["local_lightgbm"] = local
    on_dask = json.loads((repo / "metrics.json").read_text())
    expected = json.loads((repo / "reference_metrics.json").read_text())
    gaps = {k: round(abs(on_dask[k] - v), 6) for k, v in expected.items() if v is not None}
    result["metrics"] = {"dask": {k: on_dask[k] for k in expected}, "local": expected}
    result["largest_gap"] = max(gaps.values())
    result["tolerance"] = TOLERANCE
    result["within_tolerance"] = result["largest_gap"] <= TOLERANCE
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--output", type=Path, default=Path("reports/bench_dask.json"))
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference is not None:
        metrics = reference(args.reference)
        (args.reference / "reference_metrics.json").write_text(json.dumps(metrics))
        return 0
    with tempfile.TemporaryDirectory(prefix="dask_scale_") as workdir:
        result = bench(args.rows, Path(workdir))
    figures = json.loads(args.output.read_text()) if args.output.is_file() else {}
    figures[str(args.rows)] = result
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
