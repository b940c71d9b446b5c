"""The model server of `make serve`: MLflow's scoring app with its errors made readable.

MLflow's app answers a bad request with its server's stack trace in the body (file paths
included), and an empty `data` list with a 500. Here every error answer keeps MLflow's status and
one-line message but never the stack trace, a request with no rows or naming a column twice is a
400, a server-side error caused by the request's columns is a 400 that leads with the column, and
a body over the size limit is a 413 (read no further).

python -m ml_pipeline.serving.app MODEL_URI --port 5001 [--threads 1] [--max-request-mb 10]
    (what `make serve` runs; the image runs this file alone, so it imports no project module)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from typing import Any

ROW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
CONVERT = re.compile(r"convert column (\S+) to type '([^']+)'")
MISSING = re.compile(r"[Mm]odel is missing inputs? \[([^\]]*)\]")
LIMIT_ENV = "ML_PIPELINE_MAX_REQUEST_MB"
DEFAULT_MB = 10.0
# As core/errors.py caps echoed values (SHOWN_CHARS, LINE_CHARS): this file cannot import it.
NAME_CHARS, MESSAGE_CHARS = 200, 4_000


USERINFO = re.compile(  # core/errors.py's pattern of a URL's credentials, copied likewise
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:]*)(?P<secret>:[^\s/@]*)?@"
)


def redacted(text: str) -> str:
    """core/errors.py's `redacted`: a URL's password, or a user part alone (often a token),
    shown as `***`."""
    return USERINFO.sub(
        lambda m: f"{m['scheme']}***@" if m["secret"] is None else f"{m['scheme']}{m['user']}:***@",
        text,
    )


def capped(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and its length (a value may be megabytes)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def repeated_name(names: Any) -> str | None:
    """The first name given twice (blank ones aside), else None: data/dataset.py's rule."""
    seen: set[str] = set()
    for name in map(str, names):
        if name in seen and name.strip():
            return name
        seen.add(name)
    return None


def no_rows(body: Any) -> bool:
    """A JSON request whose rows are an empty list (or a split with empty `data`)."""
    if not isinstance(body, dict):
        return False
    for key in ROW_KEYS:
        if key in body:
            rows = body[key]
            if isinstance(rows, dict):
                rows = rows.get("data", rows)
            return isinstance(rows, list | dict) and len(rows) == 0
    return False


class RepeatedName(ValueError):
    """A request naming a column (a JSON key) twice."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`json.loads`'s object hook: a key given twice would silently keep only its last value."""
    if (name := repeated_name(key for key, _ in pairs)) is not None:
        raise RepeatedName(name)
    return dict(pairs)


def request_fault(raw: bytes, content_type: str) -> str | None:
    """What makes a request's rows unreadable before MLflow reads them, in one line: no rows, or
    a column named twice (a JSON object's key, `dataframe_split.columns`, a CSV header)."""
    name: str | None = None
    if "csv" in content_type:
        header = raw.split(b"\n", 1)[0].decode(errors="replace")
        name = repeated_name(column.strip() for column in next(csv.reader([header]), []))
    elif "json" in content_type:
        try:
            body = json.loads(raw or b"null", object_pairs_hook=unique_keys)
        except RepeatedName as repeated:
            name = str(repeated)
        except ValueError:
            return None  # MLflow's own answer names the JSON error
        else:
            if no_rows(body):
                return "the request has no rows: send one"
            split = body.get("dataframe_split") if isinstance(body, dict) else None
            columns = split.get("columns") if isinstance(split, dict) else None
            name = repeated_name(columns) if isinstance(columns, list) else None
    return (
        f"column {capped(name, NAME_CHARS)!r} appears twice in the request: send each column once"
        if name
        else None
    )


def readable(status: int, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """An error answer in one line without stack trace; a column's fault leads with the column."""
    message = str(payload.get("message", "")).strip()
    cause = message.rsplit("Error: ", 1)[-1].strip().splitlines()
    if missing := MISSING.search(message):
        shown = (
            f"missing column(s) {missing.group(1).strip()}: send every input column of the model"
        )
        return 400, {"error_code": "BAD_REQUEST", "message": shown}
    if convert := CONVERT.search(message):
        column, kind = convert.groups()
        shown = f"column {column!r} must be {kind}: {cause[0] if cause else ''}".rstrip(": ")
        return 400, {"error_code": "BAD_REQUEST", "message": shown}
    if "Failed to predict data" in message and cause:  # MLflow dumps the rows before the cause
        first = cause[0]
    else:
        first = message.splitlines()[0] if message else "bad request"
    return status, {"error_code": payload.get("error_code", "BAD_REQUEST"), "message": first}


def too_large(limit: int, declared: int | None) -> dict[str, str]:
    """The 413 answer for a body over `limit` bytes (`declared`: its Content-Length, if sent)."""
    size = f"{declared:,} bytes" if declared is not None else "more"
    return {
        "error_code": "REQUEST_LIMIT_EXCEEDED",
        "message": f"the request has {size}; this server takes at most {limit:,} bytes "
        f"({LIMIT_ENV} or --max-request-mb): send fewer rows per request",
    }


class BodyLimit:
    """ASGI middleware: refuse a body over `limit` bytes with a 413 before reading it all (by its
    Content-Length, or while a chunked one arrives); the rest is passed on as one message."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from fastapi.responses import JSONResponse

        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"")
        declared = int(length) if length.isdigit() else None
        chunks: list[bytes] = []
        size, more = 0, declared is None or declared <= self.limit
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False) and size <= self.limit
        if size > self.limit or (declared or 0) > self.limit:
            answer = JSONResponse(too_large(self.limit, declared), status_code=413)
            return await answer(scope, receive, send)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        return await self.app(scope, replay, send)


def build_app(model: Any, max_bytes: int = int(DEFAULT_MB * 2**20)) -> Any:
    """MLflow's scoring app for `model`, behind middlewares that make errors readable and refuse
    a body over `max_bytes`."""
    from fastapi import Request
    from fastapi.responses import JSONResponse, Response
    from mlflow.pyfunc import scoring_server

    app = scoring_server.init(model)
    app.add_middleware(BodyLimit, limit=max_bytes)  # the outermost: before anything reads

    @app.middleware("http")
    async def readable_errors(request: Request, call_next: Any) -> Response:
        if request.url.path == "/invocations":
            fault = request_fault(await request.body(), request.headers.get("content-type", ""))
            if fault is not None:
                return JSONResponse({"error_code": "BAD_REQUEST", "message": fault}, 400)
        response = await call_next(request)
        if response.status_code < 400:
            return response
        content = b"".join([chunk async for chunk in response.body_iterator])
        try:
            payload = json.loads(content)
        except ValueError:
            payload = {"message": content.decode(errors="replace")}
        status, shown = readable(response.status_code, payload if isinstance(payload, dict) else {})
        shown["message"] = capped(shown["message"], MESSAGE_CHARS)  # a value may be megabytes
        return JSONResponse(shown, status_code=status)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_uri")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument(
        "--threads", type=int, default=1, help="OpenMP threads per request (default 1)"
    )
    parser.add_argument(
        "--max-request-mb",
        type=float,
        default=os.environ.get(LIMIT_ENV) or str(DEFAULT_MB),  # checked as the option is
        help=f"refuse larger request bodies with a 413 (default ${LIMIT_ENV} or {DEFAULT_MB:g})",
    )
    args = parser.parse_args(argv)
    # Before the model's libraries load: OpenMP reads it once, for every thread (requests run in
    # worker threads, which a limit set later in this one would miss). A request is a few rows:
    # a tree ensemble's OpenMP start-up per tree costs more than a second core gives, and on a
    # busy machine spinning threads multiply the latency (batches: `make predict`).
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import mlflow.pyfunc
    import uvicorn
    from mlflow.exceptions import MlflowException

    try:
        model = mlflow.pyfunc.load_model(args.model_uri)
    except (MlflowException, OSError, ImportError) as exc:  # as `make predict` says it
        message = str(getattr(exc, "message", exc)).strip().splitlines() or [type(exc).__name__]
        line = f"serve: error: --model-uri {args.model_uri}: cannot load ({message[0]})"
        print(capped(redacted(line), MESSAGE_CHARS), file=sys.stderr)
        return 2
    app = build_app(model, max_bytes=int(args.max_request_mb * 2**20))
    uvicorn.run(app, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
