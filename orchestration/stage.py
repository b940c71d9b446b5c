"""Run one stage of dvc.yaml through DVC and sort its failure into retryable or not.

A stage reports a user or data error with one line `<name>: error: ...` on stderr and exit
status 2 (core/errors.py); that will not fix itself, so it is never retried, unless the line
ends with core/errors.py's TRANSIENT_MARK (the tracking server down or restarting). Anything
else (DVC busy, the S3 endpoint briefly down, a killed process) is transient too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ml_pipeline.core.errors import is_transient_line

# DVC's last line when a stage's command fails: "... failed to run: <cmd>, exited with 2".
_STAGE_EXIT = re.compile(r"failed to run: .*, exited with (-?\d+)")
_OWN_ERROR = re.compile(r"^\S+: error: .+")
TRANSIENT = ": transient failure: "
ERROR_LINE = re.compile(r"^(\S+: error: |ERROR: )")


class StageFailed(Exception):
    """A stage failed; `retryable` says whether running it again may help."""

    def __init__(self, stage: str, line: str, retryable: bool) -> None:
        super().__init__(line)
        self.stage = stage
        self.line = line
        self.retryable = retryable


@dataclass(frozen=True)
class StageRun:
    """What `dvc repro` printed for one stage, and how it ended."""

    stage: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> str:
        """One line: the stage's own last line of output, or DVC's verdict."""
        if "didn't change, skipping" in self.stdout:
            return f"{self.stage}: unchanged (DVC skipped it)"
        if "is cached - skipping run" in self.stdout:
            return f"{self.stage}: restored from DVC's run cache"
        own = [line for line in self.stdout.splitlines() if line.startswith(f"{self.stage}: ")]
        return own[-1] if own else f"{self.stage}: done"


def classify(run: StageRun) -> StageFailed | None:
    """None when the stage succeeded; else the failure, retryable unless it is the stage's own.

    Not retryable: the stage's command exited with 2 and printed its `...: error: ...` line,
    one without the transient mark (a service that was down).
    """
    if run.returncode == 0:
        return None
    errors = [line for line in run.stderr.splitlines() if _OWN_ERROR.match(line)]
    exit_code = _STAGE_EXIT.search(run.stderr)
    if exit_code and exit_code.group(1) == "2" and errors:
        return StageFailed(run.stage, errors[0], retryable=is_transient_line(errors[0]))
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else f"dvc repro exited with {run.returncode}"
    return StageFailed(run.stage, f"{run.stage}{TRANSIENT}{last}", retryable=True)


def is_transient_failure(line: str) -> bool:
    """Whether a run's failure line is a transient one (exit 1), not the input's (exit 2)."""
    return TRANSIENT in line or is_transient_line(line)


def pipeline_env() -> dict[str, str]:
    """The environment `make` gives stages: this interpreter's bin/ first, telemetry off."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DVC_NO_ANALYTICS", "1")
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def repro(repo: Path, stage: str) -> StageRun:
    """`dvc repro --single-item <stage>` in `repo`: DVC skips it when nothing changed."""
    result = subprocess.run(
        ["dvc", "repro", "--single-item", stage],
        cwd=repo,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    return StageRun(stage, result.returncode, result.stdout, result.stderr)


def run_stage(repo: Path, stage: str) -> str:
    """Run `stage` in `repo`; return its summary line or raise StageFailed."""
    run = repro(repo, stage)
    failure = classify(run)
    if failure:
        raise failure
    return run.summary
