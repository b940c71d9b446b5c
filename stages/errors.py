"""The one error type stages raise for bad input, and the wrapper that turns it into an exit."""

from __future__ import annotations

import sys
from collections.abc import Callable


class StageError(Exception):
    """Bad input or configuration: the message is one line naming the file, column or key."""


def run_stage(name: str, body: Callable[[], None]) -> None:
    """Run a stage's body; on StageError print one line to stderr and exit with status 2."""
    try:
        body()
    except StageError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
