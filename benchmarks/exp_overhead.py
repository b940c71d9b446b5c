"""What one `dvc exp run` of a model-parameter change costs on top of the ML work it does, and
where the rest goes: DVC, interpreter starts, imports, the stages' own work (MLflow, I/O, reports).

    python -m benchmarks.exp_overhead [--data adult] [--output reports/bench_overhead.json]

In a throwaway copy of the repository (git + DVC, embedded MLflow store) composed for `--data`:
`dvc repro` once (not measured), then `dvc exp run -S model.learning_rate=0.11` (train, evaluate,
register, score and monitor run again; prepare and validate are skipped), measured as CPU (user +
sys of the process tree) and wall. Then, to split it, each of those stages alone again
(`python -X importtime -m stages.<name>`) and the same ML work in one plain process (`ml_work`:
the train split's CV and fit, the test split's predictions, metrics and importance):
- `dvc`: the experiment's CPU minus its stages' (DVC's start, Hydra composition, hashing, the
  lock, the experiment's Git commit);
- `interpreter`: one `python -c pass` per stage;
- `imports`: the CPU of importing, in a fresh interpreter, the modules each stage imported
  (`-X importtime`'s top-level list, minus what an empty start imports);
- `ml_work`; `other`: the stages' remaining CPU (MLflow calls, reading Parquet, saving the
  model, plots, reports, scoring the batch);
- apart, `mlflow_wall_s`: the wall seconds of the MLflow calls `train` and `register` time
  (their `mlflow: … (total N s)`, import aside), waiting on the store included. Numbers, not
  verdicts.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench import PY, measure
from tests.conftest import ROOT, make_repo, pipeline_env

CHANGE = ["-S", "model.learning_rate=0.11"]  # a model parameter: prepare and validate are kept
RERUN = ("train", "evaluate", "register", "score", "monitor")
MLFLOW_TOTAL = re.compile(r"mlflow: (?P<calls>.*) \(total (?P<total>[\d.]+) s\)")
MLFLOW_IMPORT = re.compile(r"\bimport (?P<seconds>[\d.]+) s")

ML_WORK = """\
import json, time
import pandas as pd
from ml_pipeline.core import paths
from ml_pipeline.core.config import load_params
from stages.evaluate import run as evaluate
from stages.train import run as train
params = load_params(paths.PARAMS)
test, train_split = pd.read_parquet(paths.PREPARED_TEST), pd.read_parquet(paths.PREPARED_TRAIN)
started = time.process_time()
model, report = train(params, train_split)
evaluate(params, model, test, report, train_split)
print(json.dumps({"cpu_s": round(time.process_time() - started, 2)}))
"""


def imported(stderr: str) -> list[str]:
    """The modules `-X importtime` lists at the top level (`import time: self | cumulative |
    name`, a nested module's name indented further), in import order."""
    names = []
    for line in stderr.splitlines():
        fields = line.split("|")
        if line.startswith("import time:") and len(fields) == 3:
            name = fields[2]
            if fields[1].strip().isdigit() and not name[1:].startswith(" "):
                names.append(name.strip())
    return names


IMPORT_CPU = """\
import importlib, sys, time
started = time.process_time()
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        pass
print(time.process_time() - started)
"""


def import_cpu(repo: Path, names: list[str]) -> float:
    """CPU seconds of importing `names` in order in a fresh interpreter (not wall time, which a
    loaded machine inflates)."""
    done = subprocess.run(
        [PY, "-c", IMPORT_CPU, *names], cwd=repo, env=pipeline_env(), capture_output=True,
        text=True, check=True,
    )  # fmt: skip
    return float(done.stdout.split()[-1])


def alone(repo: Path, args: list[str]) -> dict[str, Any]:
    """CPU and wall of `python -X importtime <args>` in `repo`, the modules it imported, its
    output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [PY, "-X", "importtime", *args],
        cwd=repo,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"exp_overhead: {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "imports": imported(done.stderr),
        "out": done.stdout,
    }


def mlflow_seconds(output: str) -> float:
    """The MLflow calls a stage timed (its summary line), its import of mlflow aside."""
    found = MLFLOW_TOTAL.search(output)
    if found is None:
        return 0.0
    imported = MLFLOW_IMPORT.search(found["calls"])
    return float(found["total"]) - (float(imported["seconds"]) if imported else 0.0)


def overhead(repo: Path) -> dict[str, dict[str, float]]:
    """The experiment's CPU and wall, and its CPU split (see the module's docstring), in a
    repository where the pipeline has run once."""
    experiment = measure(["dvc", "exp", "run", *CHANGE], repo)
    stage_cpu = sum(
        json.loads((repo / "reports" / "cost" / f"{name}.json").read_text())["cpu_seconds"]
        for name in RERUN
    )
    empty = alone(repo, ["-c", "pass"])
    stages = {name: alone(repo, ["-m", f"stages.{name}"]) for name in RERUN}
    work = alone(repo, ["-c", ML_WORK])
    ml_work = json.loads(str(work["out"]).splitlines()[-1])["cpu_s"]
    start = set(empty["imports"])  # what every interpreter imports before the stage's code
    imports = sum(
        import_cpu(repo, [n for n in s["imports"] if n not in start]) for s in stages.values()
    )
    mlflow = sum(mlflow_seconds(str(s["out"])) for s in stages.values())
    interpreter = len(RERUN) * float(empty["cpu_s"])
    split = {
        "ml_work": ml_work,
        "dvc": experiment["cpu_s"] - stage_cpu,
        "interpreter": interpreter,
        "imports": imports,
        "other": stage_cpu - ml_work - interpreter - imports,
    }
    return {
        "exp_run": experiment,
        "cpu_split_s": {k: round(v, 2) for k, v in split.items()},
        "mlflow_wall_s": round(mlflow, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="adult", help="the dataset config (conf/data/)")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "bench_overhead.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-exp-") as tmp:
        repo = make_repo(Path(tmp) / "repo", [f"data={args.data}"])
        print(f"exp_overhead: {args.data}: dvc repro (not measured)", flush=True)
        measure(["dvc", "repro"], repo)
        print(f"exp_overhead: {args.data}: dvc exp run {' '.join(CHANGE)}, then each stage alone")
        result = {"data": args.data, "change": " ".join(CHANGE)} | overhead(repo)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
