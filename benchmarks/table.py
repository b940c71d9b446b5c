"""The figures of `make bench` as the table of docs/performance.md.

    python -m benchmarks.table [--input reports/bench.json] [--page docs/performance.md]

Replaces what lies between `<!-- bench:start -->` and `<!-- bench:end -->` in the page with the
machine, how it was measured and the figures of `--input` (`make bench` runs this after
measuring); without an input file, with a line saying that `make bench` fills it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
EMPTY = "No measurement is committed yet: `make bench` measures and fills this table."
SIZE_NAMES = {"tiny": "tiny", "adult": "adult", "1m": "1,000,000 rows", "10m": "10,000,000 rows"}
DASK_CLUSTER = "a LocalCluster of 2 workers × 2 GB (`compute=dask`, conf/compute/dask.yaml)"


def _proc_field(path: str, key: str) -> str | None:
    """The value of the first `key: value` line of a /proc file (Linux), if any."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(key)), None)


def machine() -> dict[str, Any]:
    """What the figures depend on: cores, memory, CPU, Python, threads, load, date."""
    memory_kib = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or None,
        "memory_gb": round(int(memory_kib.split()[0]) / 2**20, 1) if memory_kib else None,
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average": round(os.getloadavg()[0], 1),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }


def describe(results: dict[str, Any]) -> str:
    """One paragraph: the machine and how the figures were measured."""
    m = results.get("machine", {})
    parts = [f"{m['cpus']} cores" if m.get("cpus") else None]
    parts += [m.get("cpu_model"), f"{m['memory_gb']} GB memory" if m.get("memory_gb") else None]
    parts += [f"Python {m['python']}" if m.get("python") else None, m.get("system")]
    machine_text = ", ".join(p for p in parts if p) or "a machine it did not describe"
    runs = results.get("runs", 1)
    how = "one run" if runs == 1 else f"the median of {runs} runs"
    omp = m.get("omp_num_threads")
    load = m.get("load_average")
    extras = [f"`OMP_NUM_THREADS={omp}`" if omp else "`OMP_NUM_THREADS` unset"]
    extras += [f"load average {load} at the start" if load is not None else None]
    when = f" on {m['date']}" if m.get("date") else ""
    return (
        f"Measured by `make bench`{when} on {machine_text}; {how} per size, "
        + ", ".join(e for e in extras if e)
        + "."
    )


def table(results: dict[str, Any]) -> str:
    """The figures as Markdown: pipeline vs reference per size, then the other measurements."""
    lines = [
        "| size | pipeline CPU s | reference CPU s | ratio | pipeline wall s | reference wall s "
        "| peak RSS MB (pipeline / reference) |",
        "|---|---|---|---|---|---|---|",
    ]
    local = {size: r for size, r in results["sizes"].items() if "dask" not in r}
    for size, r in local.items():
        p, ref = r["pipeline"], r["reference"]
        lines.append(
            f"| {SIZE_NAMES.get(size, size)} | {p['cpu_s']} | {ref['cpu_s']} "
            f"| {r['ratio']['cpu_s']}× | {p['wall_s']} | {ref['wall_s']} "
            f"| {p['peak_rss_mb']} / {ref['peak_rss_mb']} |"
        )
    lines += stage_table(local)
    for r in results["sizes"].values():
        if "dask" in r:
            lines += ["", *dask_table(r["dask"])]
    extras = _extras(results["sizes"])
    if extras:
        lines += ["", "| also measured | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in extras]
    return "\n".join(lines)


def stage_table(sizes: dict[str, Any]) -> list[str]:
    """Each stage's CPU seconds and peak memory per size (its own reports/cost/ figures)."""
    measured = {size: r["stages"] for size, r in sizes.items() if r.get("stages")}
    if not measured:
        return []
    names = list(dict.fromkeys(stage for costs in measured.values() for stage in costs))
    lines = [
        "",
        "Each stage of the `dvc repro -f` above, its own process (reports/cost/<stage>.json):",
        "",
        "| stage | "
        + " | ".join(f"{SIZE_NAMES.get(s, s)}: CPU s / peak MB" for s in measured)
        + " |",
        "|---|" + "---|" * len(measured),
    ]
    for name in names:
        cells = [measured[s].get(name) for s in measured]
        lines.append(
            f"| `{name}` | "
            + " | ".join(f"{c['cpu_seconds']} / {c['peak_memory_mb']}" if c else "–" for c in cells)
            + " |"
        )
    return lines


def dask_table(r: dict[str, Any]) -> list[str]:
    """The Dask path's stages next to local LightGBM on the same rows (benchmarks.dask_scale)."""
    lines = [
        f"{r['rows']:,} train rows on {DASK_CLUSTER}, next to local LightGBM on the same rows "
        f"in one process (the train split's Parquet: {r['parquet_mb']} MB):",
        "",
        "| step | CPU s | wall s | peak RSS MB: stage process / largest worker / whole tree "
        "| worker processes seen | exit |",
        "|---|---|---|---|---|---|",
    ]
    steps = {f"`{stage}` on Dask": m for stage, m in r["stages"].items()}
    if "local_lightgbm" in r:
        steps["local LightGBM, one process"] = r["local_lightgbm"]
    for step, m in steps.items():
        peak = m["peak_rss_mb"]
        lines.append(
            f"| {step} | {m['cpu_s']} | {m['wall_s']} | {peak['stage_process']} / "
            f"{peak['largest_other_process']} / {peak['tree_sum']} "
            f"| {m['worker_processes_seen']} | {m['exit']} |"
        )
    if "largest_gap" in r:
        verdict = "within" if r["within_tolerance"] else "outside"
        lines += [
            "",
            f"Test metrics, Dask vs local LightGBM: largest difference {r['largest_gap']} "
            f"({verdict} the stated tolerance, {r['tolerance']}).",
        ]
    return lines


def _extras(sizes: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    if "tiny" in sizes:
        tiny = sizes["tiny"]
        noop, ui = tiny["noop_repro"], tiny["mlflow_ui"]
        rows.append(("no-op `dvc repro` (tiny)", f"{noop['wall_s']} s wall, {noop['cpu_s']} CPU s"))
        rows.append(("`dvc exp run` on tiny", f"{tiny['exp_run']['wall_s']} s wall"))
        rows.append(("`make mlflow-ui`", f"{ui['processes']} processes, {ui['rss_mb']} MB RSS"))
    if "adult" in sizes:
        adult = sizes["adult"]
        rows.append(("`commands.predict`, 10,000 rows", f"{adult['predict_10k']['wall_s']} s wall"))
        served = adult["served"]
        rows.append(
            ("served single row (adult champion, 200 requests on one connection)",
             f"p50 {served['p50_ms']} ms, p99 {served['p99_ms']} ms")
        )  # fmt: skip
        if scale := adult.get("score_1m"):
            score, plain, ratio = scale["score"], scale["reference"], scale["ratio"]
            rows.append(
                ("`score` stage code, 1,000,000 rows vs reading them + `predict_proba`",
                 f"{score['wall_s']} s vs {plain['wall_s']} s wall ({ratio['wall_s']}×), "
                 f"{score['cpu_s']} vs {plain['cpu_s']} CPU s")
            )  # fmt: skip
        if overhead := adult.get("exp_overhead"):
            rows.append(overhead_row(overhead))
    return rows


SPLIT_NAMES = {  # benchmarks/exp_overhead.py's split, in the order shown
    "ml_work": "ML work",
    "imports": "imports",
    "dvc": "DVC",
    "interpreter": "interpreter starts",
    "other": "the stages' other work (MLflow calls, I/O, plots, reports)",
}


def overhead_row(overhead: dict[str, Any]) -> tuple[str, str]:
    """One experiment's wall and CPU, and where its CPU went."""
    run, split = overhead["exp_run"], overhead["cpu_split_s"]
    parts = ", ".join(f"{label} {split[key]}" for key, label in SPLIT_NAMES.items() if key in split)
    return (
        f"`dvc exp run {overhead['change']}` on adult (train → monitor again)",
        f"{run['wall_s']} s wall, {run['cpu_s']} CPU s: {parts}; "
        f"MLflow calls {overhead['mlflow_wall_s']} s wall",
    )


def render(results: dict[str, Any] | None) -> str:
    """The region's body: the description and the tables, or the line saying how to fill it."""
    if results is None:
        return EMPTY
    return describe(results) + "\n\n" + table(results)


def replace_region(text: str, body: str) -> str:
    """`text` with the bench region's body replaced; ValueError without both markers in order."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {START} ... {END} region")
    return text[: start + len(START)] + "\n" + body.strip() + "\n" + text[end:]


def _error(line: str) -> int:
    print(f"bench table: error: {line}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT / "reports" / "bench.json")
    parser.add_argument("--page", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    try:
        results = json.loads(args.input.read_text()) if args.input.exists() else None
    except ValueError as exc:
        return _error(f"{args.input}: not the JSON `make bench` writes ({exc})")
    try:
        page = replace_region(args.page.read_text(), render(results))
    except (OSError, ValueError) as exc:
        return _error(f"{args.page}: {exc}")
    args.page.write_text(page)
    source = f"the figures of {args.input}" if results else "no figures"
    print(f"bench table: {source} → {args.page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
