"""What a stage run cost: wall time, CPU time and peak memory of the stage's process.

Each stage's `publish` writes `reports/cost/<stage>.json` (`paths.cost_report`), a DVC metrics
file, so `dvc metrics diff` shows a stage that got slower or bigger. These numbers change on
every run: they are never in metrics.json (whose bytes a re-run keeps) and make dvc.lock differ
from run to run. The catalog ranks none of them (it ranks only the names it knows).

- `wall_seconds`: since the process started (Linux: /proc; else since this module's import);
- `cpu_seconds`: user + system time of the process (`resource.getrusage(RUSAGE_SELF)`);
- `peak_memory_mb`: its peak resident set size (`ru_maxrss`).

A stage run in-process (the tests) reports the test process's numbers.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ml_pipeline.core.outputs import Writer
from ml_pipeline.core.paths import cost_report

_IMPORTED = time.monotonic()


def wall_seconds() -> float:
    """Seconds since the process started (/proc/self/stat and /proc/uptime on Linux)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start, in ticks
        return float(Path("/proc/uptime").read_text().split()[0]) - started
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


def measured() -> dict[str, float]:
    """This process's wall time, CPU time (user + system) and peak memory so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    kib = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss  # macOS: bytes
    return {
        "wall_seconds": round(max(wall_seconds(), 0.0), 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_memory_mb": round(kib / 1024, 1),
    }


def cost_output(stage: str) -> dict[Path, Writer]:
    """`{reports/cost/<stage>.json: writer}` for the stage's `publish`, measured when written."""

    def write(path: Path) -> None:
        path.write_text(json.dumps(measured(), indent=2, sort_keys=True) + "\n")

    return {cost_report(stage): write}
