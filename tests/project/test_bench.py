"""`make bench`'s own measuring helpers and the table it renders (the figures are not tested)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import table
from benchmarks.bench import tree_rss
from tests.conftest import ROOT


def test_tree_rss_counts_a_process_and_its_children() -> None:
    code = "import subprocess, time; subprocess.Popen(['sleep', '30']); time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while (counted := tree_rss(parent.pid))[0] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        processes, rss = counted
        assert processes == 2 and rss > 1.0
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


RESULTS = {
    "machine": {"cpus": 2, "cpu_model": "Test CPU @ 2.0GHz", "memory_gb": 7.8, "python": "3.11.9"},
    "runs": 3,
    "sizes": {
        "tiny": {
            "pipeline": {"wall_s": 15.8, "cpu_s": 15.9, "peak_rss_mb": 358.0},
            "reference": {"wall_s": 2.2, "cpu_s": 2.37, "peak_rss_mb": 227.0},
            "ratio": {"wall_s": 7.18, "cpu_s": 6.71, "peak_rss_mb": 1.58},
            "noop_repro": {"wall_s": 0.6, "cpu_s": 0.55, "peak_rss_mb": 90.0},
            "exp_run": {"wall_s": 14.2, "cpu_s": 14.0, "peak_rss_mb": 358.0},
            "mlflow_ui": {"processes": 2, "rss_mb": 494.0},
        },
        "1m": {
            "pipeline": {"wall_s": 100.5, "cpu_s": 126.4, "peak_rss_mb": 2610.0},
            "stages": {
                "prepare": {"cpu_seconds": 9.2, "peak_memory_mb": 785.0, "wall_seconds": 12.0},
                "train": {"cpu_seconds": 90.1, "peak_memory_mb": 1154.0, "wall_seconds": 60.0},
            },
            "reference": {"wall_s": 80.7, "cpu_s": 107.3, "peak_rss_mb": 2636.0},
            "ratio": {"wall_s": 1.25, "cpu_s": 1.18, "peak_rss_mb": 0.99},
        },
    },
}


def test_bench_table_shows_the_machine_the_method_and_every_size() -> None:
    text = table.render(RESULTS)
    for expected in ("2 cores", "Test CPU @ 2.0GHz", "7.8 GB", "Python 3.11.9", "median of 3"):
        assert expected in text, expected
    assert "| tiny | 15.9 | 2.37 | 6.71× | 15.8 | 2.2 | 358.0 / 227.0 |" in text
    assert "| 1,000,000 rows | 126.4 | 107.3 | 1.18× |" in text
    assert "2 processes, 494.0 MB RSS" in text and "served" not in text  # adult not measured
    assert "| stage | 1,000,000 rows: CPU s / peak MB |" in text  # tiny has no stage figures
    assert "| `prepare` | 9.2 / 785.0 |" in text and "| `train` | 90.1 / 1154.0 |" in text


def test_bench_table_shows_the_dask_stages_next_to_local_lightgbm() -> None:
    def step(cpu: float, stage: int, worker: int, workers: int) -> dict:
        peak = {"stage_process": stage, "largest_other_process": worker, "tree_sum": stage + worker}
        return {"exit": 0, "wall_s": cpu / 2, "cpu_s": cpu, "peak_rss_mb": peak,
                "worker_processes_seen": workers}  # fmt: skip

    dask = {
        "rows": 10_000_000, "parquet_mb": 151.2, "tolerance": 0.005, "within_tolerance": True,
        "stages": {"train": step(900.0, 700, 1564, 2)}, "local_lightgbm": step(800.0, 9000, 0, 0),
        "largest_gap": 0.0011,
    }  # fmt: skip
    results = RESULTS | {"sizes": RESULTS["sizes"] | {"10m-dask": {"dask": dask}}}
    text = table.render(results)
    assert "10,000,000 train rows on a LocalCluster of 2 workers × 2 GB" in text
    assert "| `train` on Dask | 900.0 | 450.0 | 700 / 1564 / 2264 | 2 | 0 |" in text
    assert "| local LightGBM, one process | 800.0 | 400.0 | 9000 / 0 / 9000 |" in text
    assert "largest difference 0.0011 (within the stated tolerance, 0.005)" in text
    assert "| 10m-dask |" not in text and "| 1,000,000 rows | 126.4 |" in text


def test_bench_region_is_replaced_and_the_rest_kept() -> None:
    page = f"# Title\n\nbefore\n{table.START}\nold figures\n{table.END}\nafter\n"
    rendered = table.replace_region(page, "new figures")
    assert rendered == f"# Title\n\nbefore\n{table.START}\nnew figures\n{table.END}\nafter\n"
    with pytest.raises(ValueError):
        table.replace_region("# no region\n", "new figures")


def test_bench_table_command_renders_a_file_and_names_a_page_without_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, page = tmp_path / "bench.json", tmp_path / "performance.md"
    results.write_text(json.dumps(RESULTS))
    page.write_text(f"# Performance\n{table.START}\n{table.EMPTY}\n{table.END}\n")
    assert table.main(["--input", str(results), "--page", str(page)]) == 0
    assert "| tiny | 15.9 |" in page.read_text() and table.EMPTY not in page.read_text()
    page.write_text("# Performance\n")
    assert table.main(["--input", str(results), "--page", str(page)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"bench table: error: {page}: no {table.START} ... {table.END} region"
    ]


def test_performance_page_shows_the_committed_figures() -> None:
    """docs/performance.md holds what `python -m benchmarks.table` renders of reports/bench.json."""
    committed = ROOT / "reports" / "bench.json"
    results = json.loads(committed.read_text()) if committed.exists() else None
    page = (ROOT / "docs" / "performance.md").read_text()
    rendered = table.replace_region(page, table.render(results))
    assert rendered == page, "run python -m benchmarks.table"
