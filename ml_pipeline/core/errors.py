"""The one error type stages raise for bad input, and the one handler that turns it into an exit.

Every entry point (`python -m stages.<name>`) goes through `entry_point` (or `run_stage`): a
StageError or a missing input file prints one line `<name>: error: ...` to stderr and the exit
status is 2; nothing else is caught, so a bug still shows its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Protocol

ERROR_STATUS = 2


class StageError(Exception):
    """Bad input or configuration: the message is one line naming the file, column or key."""


def one_line(name: str, exc: BaseException) -> str:
    """The line a user sees for a StageError or a missing file."""
    if isinstance(exc, FileNotFoundError):
        missing = exc.filename or exc
        return f"{name}: error: {missing}: no such file (dvc repro makes the pipeline's files)"
    return f"{name}: error: {exc}"


def handled(name: str, body: Callable[[], int | None]) -> int:
    """Run `body`; return its status (None counts as 0), or 2 after printing the one line."""
    try:
        return body() or 0
    except (StageError, FileNotFoundError) as exc:
        print(one_line(name, exc), file=sys.stderr)
        return ERROR_STATUS


Body = Callable[[list[str] | None], int | None]


class Main(Protocol):
    """`main(argv=None) -> exit status`, as `python -m stages.<name>` calls it."""

    def __call__(self, argv: list[str] | None = None) -> int: ...


def entry_point(name: str) -> Callable[[Body], Main]:
    """Decorate `main(argv)` so that it returns an exit status and reports errors in one line.

    Tests call `main([...])` in-process and read the line with capsys.
    """

    def wrap(body: Body) -> Main:
        @functools.wraps(body)
        def main(argv: list[str] | None = None) -> int:
            return handled(name, lambda: body(argv))

        return main

    return wrap


def run_stage(name: str, body: Callable[[], int | None]) -> int | None:
    """Run a stage's body; on a StageError or a missing file, one line and SystemExit(2)."""
    status = handled(name, body)
    if status == ERROR_STATUS:
        raise SystemExit(status)
    return status
