"""The one error type stages raise for bad input, and the one handler that turns it into an exit.

Every entry point (`python -m stages.<name>`) goes through `entry_point` (or `run_stage`): a
StageError, a missing input file or a failing MLflow store (core/faults.py) prints one line
`<name>: error: ...` to stderr, without any URL's password, and the exit status is 2; nothing
else is caught, so a bug still shows its traceback. When what failed is a service that is down
(core/faults.py `is_transient`), the line ends with TRANSIENT_MARK: the one sign, read by
orchestration/stage.py, that running the stage again later may succeed.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from typing import Protocol

ERROR_STATUS = 2
SHOWN_CHARS = 200  # of a value echoed in a message or report (one field may be megabytes)
LINE_CHARS = 4_000  # of the one error line, whatever its parts
TRANSIENT_MARK = " (transient: a service is down; running again later may succeed)"
USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:]*)(?P<secret>:[^\s/@]*)?@"
)


class StageError(Exception):
    """Bad input or configuration: the message is one line naming the file, column or key."""


class Unavailable(StageError):
    """A service the stage needs (the tracking server) is down or restarting: not the input."""


def is_transient_line(line: str) -> bool:
    """Whether a stage's error line says its failure may pass (see TRANSIENT_MARK)."""
    return line.rstrip().endswith(TRANSIENT_MARK)


def one_line(name: str, exc: BaseException) -> str:
    """The line a user sees for a StageError or a missing file."""
    if isinstance(exc, FileNotFoundError):
        missing = exc.filename or exc
        return f"{name}: error: {missing}: no such file (dvc repro makes the pipeline's files)"
    return f"{name}: error: {exc}"


def capped(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text`, or its first `limit` characters and its length: `abc… (52,428,800 characters)`."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def shown(value: object) -> str:
    """A value from the data as messages echo it: its repr (quoted text), capped."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:  # no repr of megabytes
        return f"{value[:SHOWN_CHARS]!r}… ({len(value):,} characters)"
    return capped(repr(value))


def redacted(text: str) -> str:
    """Every URL's credentials hidden: `scheme://user:secret@` → `scheme://user:***@`, and a
    user part alone (often a token) `scheme://token@` → `scheme://***@`."""

    def hide(found: re.Match[str]) -> str:
        if found["secret"] is None:
            return f"{found['scheme']}***@"
        return f"{found['scheme']}{found['user']}:***@"

    return USERINFO.sub(hide, text)


def handled(name: str, body: Callable[[], int | None]) -> int:
    """Run `body`; return its status (None counts as 0), or 2 after printing the one line."""
    try:
        return body() or 0
    except (StageError, FileNotFoundError) as exc:
        line, transient = one_line(name, exc), isinstance(exc, Unavailable)
    except Exception as exc:
        from ml_pipeline.core.faults import is_store_fault, is_transient, store_fault

        if not is_store_fault(exc):
            raise
        line, transient = f"{name}: error: {store_fault(exc)}", is_transient(exc)
    mark = TRANSIENT_MARK if transient else ""
    print(capped(redacted(line), LINE_CHARS) + mark, file=sys.stderr)
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
