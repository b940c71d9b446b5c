"""Progress on long steps, on a terminal only: CI logs and piped output stay as they were.

Bars go to stderr and vanish when done (tqdm, which DVC already installs). Quiet when stdout is
not a terminal, or with ML_PIPELINE_PROGRESS=0; ML_PIPELINE_PROGRESS=1 forces it on.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
# MLflow lines that say nothing to the user, printed on every model save.
MLFLOW_NOISE = (
    "Failed to resolve installed pip version",
    "Saving scikit-learn models in the pickle or cloudpickle format",
)


def enabled() -> bool:
    forced = os.environ.get("ML_PIPELINE_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stdout.isatty() and sys.stderr.isatty()


def bar(total: int | None, desc: str) -> Any:
    """A tqdm bar on stderr, disabled (and free) when not on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled(), file=sys.stderr, leave=False)


def each(items: Iterable[T], total: int | None, desc: str) -> Iterator[T]:
    """Iterate `items`, ticking a bar."""
    with bar(total, desc) as progress:
        for item in items:
            yield item
            progress.update()


def ticking(scorer: Callable[..., float], progress: Any) -> Callable[..., float]:
    """The same scorer, ticking `progress` after each call (permutation repeats, CV folds)."""

    def score(*args: Any, **kwargs: Any) -> float:
        value = scorer(*args, **kwargs)
        progress.update()
        return value

    return score


def note(message: str) -> None:
    """A status line on stderr, on a terminal only."""
    if enabled():
        print(f"… {message}", file=sys.stderr, flush=True)


def run_streaming(cmd: list[str], cwd: Any, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `cmd` with stdout and stderr merged; echo its lines to stderr on a terminal."""
    echo = enabled()
    lines = []
    with subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        for line in process.stdout or ():
            lines.append(line)
            if echo:
                print(f"  | {line}", end="", file=sys.stderr, flush=True)
    output = "".join(lines)
    return subprocess.CompletedProcess(cmd, process.returncode, stdout=output, stderr=output)


class _DropNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(text in record.getMessage() for text in MLFLOW_NOISE)


def quiet_mlflow() -> None:
    """Drop MLflow's pip-version and pickle-format warnings (printed twice per training)."""
    for name in ("mlflow.utils.environment", "mlflow.sklearn"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropNoise) for f in logger.filters):
            logger.addFilter(_DropNoise())
