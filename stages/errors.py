"""The one error type stages raise for bad input, and the wrapper that turns it into an exit."""

from __future__ import annotations

import sys
from collections.abc import Callable


class StageError(Exception):
    """Bad input or configuration: the message is one line naming the file, column or key."""


def run_stage(name: str, body: Callable[[], int | None]) -> int | None:
    """Run a stage's body and return its exit status.

    A StageError, or a missing input file, prints one line to stderr and exits with status 2.
    """
    try:
        return body()
    except StageError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except FileNotFoundError as exc:
        missing = exc.filename or exc
        print(
            f"{name}: error: {missing}: no such file (dvc repro makes the pipeline's files)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
