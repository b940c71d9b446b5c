"""`make bench`: what the pipeline costs next to the ML work it does.

    python -m benchmarks.bench [--sizes tiny,adult,1m,10m,10m-dask] [--runs 1]
                               [--output reports/bench.json]

For each size, in a throwaway copy of the repository (git + DVC, embedded MLflow store):
`dvc repro -f` of the whole pipeline next to `benchmarks.reference` (the same ML work in one
process, no tracking), each as whole-process CPU seconds (user + sys of the process tree), wall
seconds and peak RSS (the largest process of the tree), and their ratio. On `tiny` also a no-op
`dvc repro`, one `dvc exp run` and the memory of `make mlflow-ui` (processes and summed RSS of
its process tree once it answers); on `adult` also `commands.predict` of 10,000 rows (what
`make predict` runs), the served model's single-row latency (p50/p99 of 200 requests), the `score`
stage on 1,000,000 rows (benchmarks.score_scale) and where one `dvc exp run` of a model parameter
spends its CPU (benchmarks.exp_overhead).
`1m` and `10m` are adult's train file resampled to 1,000,000 and 10,000,000 rows (a little noise
on `fnlwgt`, so that prepare's de-duplication keeps most of them) with adult's own test file.
`10m-dask` is `compute=dask` on a LocalCluster of 2 workers × 2 GB over 10,000,000 train rows,
next to local LightGBM on the same rows in one process (benchmarks.dask_scale).
Runs are sequential; with `--runs N` the median of N is kept. Not a test: numbers, not verdicts.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.table import machine, table
from tests.conftest import ROOT, make_repo, pipeline_env
from tests.services import free_port, served

LARGE = {"1m": 1_000_000, "10m": 10_000_000}  # resampled adult: size -> train rows
ON_DASK = {"10m-dask": 10_000_000}  # benchmarks.dask_scale: size -> train rows
CHUNK_ROWS = 1_000_000
PREDICT_ROWS = 10_000
LATENCY_REQUESTS = 200
PY = sys.executable


def measure(cmd: list[str], cwd: Path) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of `cmd` and every process it waited for."""
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd, cwd=cwd, env=pipeline_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{output.decode(errors='replace')}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
    }


def median_of(runs: int, action: Callable[[], dict[str, float]]) -> dict[str, float]:
    """The median of each figure over `runs` repetitions."""
    samples = [action() for _ in range(runs)]
    return {key: round(statistics.median(s[key] for s in samples), 2) for key in samples[0]}


def large_dataset(repo: Path, rows: int, name: str) -> None:
    """data/raw/<name>/ (adult's train file resampled to `rows` rows, with adult's own test file)
    and conf/data/<name>.yaml in `repo`. Written CHUNK_ROWS rows at a time, chunk `i` drawn with
    seed `i`, so `1m` is the file it always was and `10m` never holds all its rows in memory."""
    source = repo / "data" / "raw" / "adult"
    target = repo / "data" / "raw" / name
    target.mkdir(parents=True, exist_ok=True)
    raw = pd.read_csv(source / "adult.data.gz", header=None, dtype=str, keep_default_na=False)
    with gzip.open(target / "adult.data.gz", "wt", compresslevel=1) as handle:
        for seed, start in enumerate(range(0, rows, CHUNK_ROWS)):
            count = min(CHUNK_ROWS, rows - start)
            rng = np.random.default_rng(seed)
            big = raw.sample(n=count, replace=True, random_state=seed).reset_index(drop=True)
            weights = pd.to_numeric(big[2])
            big[2] = (weights + rng.integers(-500, 500, count)).clip(lower=12285).astype(str)
            big.to_csv(handle, header=False, index=False)
    (target / "adult.test.gz").write_bytes((source / "adult.test.gz").read_bytes())
    (repo / "conf" / "data" / f"{name}.yaml").write_text(
        f"# @package _global_\n# adult's train file resampled to {rows:,} rows (make bench)\n"
        f"defaults:\n  - adult\n\ndata:\n  name: {name}\n  dir: data/raw/{name}\n"
    )


def served_latency(repo: Path, row: dict) -> dict[str, float]:
    """p50/p99 milliseconds of single-row requests to `commands.mlflow_cli serve` (the champion)."""
    with mlflow_cli_server(repo, "serve", "/ping") as (connection, _pid):
        body = json.dumps({"dataframe_split": {"columns": list(row), "data": [list(row.values())]}})
        headers = {"Content-Type": "application/json"}
        timings = []
        for _ in range(LATENCY_REQUESTS):
            started = time.perf_counter()
            connection.request("POST", "/invocations", body, headers)
            response = connection.getresponse()
            response.read()
            timings.append(1000 * (time.perf_counter() - started))
            if response.status != 200:
                raise SystemExit(f"bench: the served model answered {response.status}")
        quantiles = statistics.quantiles(timings, n=100)
        return {"p50_ms": round(quantiles[49], 2), "p99_ms": round(quantiles[98], 2)}


def tree_rss(root: int) -> tuple[int, float]:
    """How many processes `root` and its descendants are, and their summed RSS in MiB (Linux)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    pages = 0
    for pid in tree:
        try:
            pages += int((Path("/proc") / str(pid) / "statm").read_text().split()[1])
        except OSError:
            continue
    return len(tree), round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def ui_footprint(repo: Path) -> dict[str, float]:
    """Processes and summed RSS of the UI command (what `make mlflow-ui` runs), serving."""
    with mlflow_cli_server(repo, "ui", "/") as (connection, pid):
        connection.request(
            "POST", "/api/2.0/mlflow/experiments/search", json.dumps({"max_results": 10}),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        if connection.getresponse().status != 200:
            raise SystemExit("bench: the MLflow UI did not answer an experiments search")
        time.sleep(5)  # let start-up work settle
        processes, rss = tree_rss(pid)
        return {"processes": processes, "rss_mb": rss}


@contextmanager
def mlflow_cli_server(
    repo: Path, command: str, path: str
) -> Iterator[tuple[http.client.HTTPConnection, int]]:
    """`python -m commands.mlflow_cli <command>` on a free port in `repo` (its output in
    `<repo>/<command>.log`): a connection once `path` answers, and the server's pid; stopped with
    its children on exit."""
    port = free_port()
    cmd = [PY, "-m", "commands.mlflow_cli", command, "--port", str(port)]
    health = f"http://127.0.0.1:{port}{path}"
    with served(
        cmd, health, repo / f"{command}.log", cwd=repo, env=pipeline_env(), seconds=180
    ) as s:
        yield http.client.HTTPConnection("127.0.0.1", port, timeout=30), s.pid


def stage_costs(repo: Path) -> dict[str, dict[str, float]]:
    """Each stage's own CPU seconds, wall seconds and peak memory in the last `dvc repro -f`
    (reports/cost/<stage>.json, written by ml_pipeline/core/cost.py), in dvc.yaml's order."""
    import yaml

    costs = repo / "reports" / "cost"
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    return {
        stage: json.loads((costs / f"{stage}.json").read_text())
        for stage in stages
        if (costs / f"{stage}.json").is_file()
    }


def bench_size(size: str, workdir: Path, runs: int) -> dict:
    """Pipeline vs reference for one size, plus the extras measured on that size."""
    if size in ON_DASK:
        from benchmarks.dask_scale import bench as on_dask

        return {"dask": on_dask(ON_DASK[size], workdir / size)}
    data = {"tiny": "tiny", "adult": "adult"}.get(size, f"adult{size}")
    repo = workdir / size
    if size in LARGE:
        make_repo(repo, ["data=adult"])
        large_dataset(repo, LARGE[size], data)
        subprocess.run(
            [PY, "-m", "commands.compose", f"data={data}"],
            cwd=repo,
            env=pipeline_env(),
            check=True,
            capture_output=True,
        )
    else:
        make_repo(repo, [f"data={data}"])
    shutil.copytree(
        ROOT / "benchmarks", repo / "benchmarks", ignore=shutil.ignore_patterns("__pycache__")
    )
    print(f"bench: {size}: dvc repro -f ×{runs}", flush=True)
    pipeline = median_of(runs, lambda: measure(["dvc", "repro", "-f"], repo))
    print(f"bench: {size}: reference ×{runs}", flush=True)
    reference = median_of(runs, lambda: measure([PY, "-m", "benchmarks.reference"], repo))
    result = {
        "pipeline": pipeline,
        "stages": stage_costs(repo),
        "reference": reference,
        "ratio": {k: round(pipeline[k] / reference[k], 2) for k in pipeline},
    }
    if size == "tiny":
        print("bench: tiny: no-op dvc repro, dvc exp run", flush=True)
        result["noop_repro"] = median_of(runs, lambda: measure(["dvc", "repro"], repo))
        result["exp_run"] = measure(["dvc", "exp", "run", "-S", "data=tiny", "-S", "seed=7"], repo)
        print("bench: tiny: make mlflow-ui's memory", flush=True)
        result["mlflow_ui"] = ui_footprint(repo)
    if size == "adult":
        print(f"bench: adult: predict {PREDICT_ROWS:,} rows, served latency", flush=True)
        rows = pd.read_parquet(repo / "data" / "prepared" / "test.parquet").drop(columns="income")
        batch = rows.sample(n=PREDICT_ROWS, replace=True, random_state=0)
        batch.to_parquet(repo / "batch.parquet", index=False)
        result["predict_10k"] = measure(
            [
                PY,
                "-m",
                "commands.predict",
                "--input",
                "batch.parquet",
                "--output",
                "scored.parquet",
            ],
            repo,
        )
        row = json.loads(rows.head(1).to_json(orient="records"))[0]
        result["served"] = served_latency(repo, row)
        print("bench: adult: score 1,000,000 rows vs predict_proba", flush=True)
        scale = subprocess.run(
            [PY, "-m", "benchmarks.score_scale"], cwd=repo, check=True, capture_output=True,
            text=True, env=pipeline_env() | {"OMP_NUM_THREADS": "1"},  # no spinning threads
        )  # fmt: skip
        result["score_1m"] = json.loads(scale.stdout.splitlines()[-1])
        print("bench: adult: one dvc exp run of a model parameter, split", flush=True)
        from benchmarks.exp_overhead import CHANGE, overhead  # it imports this module

        result["exp_overhead"] = {"change": " ".join(CHANGE)} | overhead(repo)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="tiny,adult,1m", help="comma-separated: tiny,adult,1m,10m,10m-dask"
    )
    parser.add_argument("--runs", type=int, default=1, help="repetitions (the median is kept)")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "bench.json")
    args = parser.parse_args(argv)
    sizes = args.sizes.split(",")
    unknown = set(sizes) - {"tiny", "adult", *LARGE, *ON_DASK}
    if unknown:
        print(
            f"bench: error: --sizes: unknown {sorted(unknown)} "
            "(choose tiny, adult, 1m, 10m, 10m-dask)",
            file=sys.stderr,
        )
        return 2
    results: dict = {"machine": machine(), "runs": args.runs, "sizes": {}}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for size in sizes:  # written after each size: a late failure keeps what was measured
            results["sizes"][size] = bench_size(size, Path(tmp), args.runs)
            args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"bench: wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
