"""The model server of `make serve`: MLflow's scoring app with its errors made readable.

MLflow's app answers a bad request with its server's stack trace in the body (file paths
included), and an empty `data` list with a 500. Here every error answer keeps MLflow's status and
one-line message but never the stack trace, a request with no rows or naming a column twice is a
400, a server-side error caused by the request's columns is a 400 that leads with the column, and
a body over the size limit is a 413 (read no further). A JSON request's text values of the
model's numeric columns are read as `prepare` reads them (a value that is no number is missing).
A regression model with a prediction interval (MLflow model metadata `interval`) answers
`prediction_lower` and `prediction_upper` beside `predictions`.

python -m ml_pipeline.serving.app MODEL_URI --port 5001 [--threads 1] [--max-request-mb 10]
    (what `make serve` and the image run; it imports no project module but request_body.py,
    the request-body rules, which imports none: the image carries these two files alone)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any

from ml_pipeline.serving.request_body import (
    MESSAGE_CHARS,
    capped,
    numbers_read,
    numeric_columns,
    redacted,
    request_fault,
)

CONVERT = re.compile(r"convert column (\S+) to type '([^']+)'")
MISSING = re.compile(r"[Mm]odel is missing inputs? \[([^\]]*)\]")
LIMIT_ENV = "ML_PIPELINE_MAX_REQUEST_MB"
DEFAULT_MB = 10.0
# As evaluation/conformal.py names them (KEY, LOWER, UPPER): this file imports no project module
# but request_body.py (the image carries these two files alone).
INTERVAL_KEY, LOWER, UPPER = "interval", "prediction_lower", "prediction_upper"


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


def half_width(model: Any) -> float | None:
    """The half-width of the model's prediction interval (its metadata `interval`), else None."""
    interval = (getattr(model.metadata, "metadata", None) or {}).get(INTERVAL_KEY)
    return float(interval["half_width"]) if isinstance(interval, dict) else None


def with_interval(payload: Any, half: float) -> Any:
    """MLflow's answer with `prediction_lower`/`prediction_upper` (each prediction ∓ `half`)
    beside `predictions`; an answer that is not a list of numbers stays as it is."""
    predictions = payload.get("predictions") if isinstance(payload, dict) else None
    if not isinstance(predictions, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in predictions
    ):
        return payload
    lower, upper = [v - half for v in predictions], [v + half for v in predictions]
    return payload | {LOWER: lower, UPPER: upper}


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

    def __init__(self, app: Any, limit: int, numeric: tuple[list[str], str | None]) -> None:
        self.app, self.limit, self.numeric = app, limit, numeric

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
            body = b"".join(chunks)
            if self.numeric[0] and b"json" in dict(scope["headers"]).get(b"content-type", b""):
                body = numbers_read(body, *self.numeric)
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def build_app(model: Any, max_bytes: int = int(DEFAULT_MB * 2**20)) -> Any:
    """MLflow's scoring app for `model`, behind middlewares that make errors readable and refuse
    a body over `max_bytes`."""
    from fastapi import Request
    from fastapi.responses import JSONResponse, Response
    from mlflow.pyfunc import scoring_server

    app = scoring_server.init(model)
    numeric = numeric_columns(model.metadata.metadata)  # dirty numbers read as missing
    app.add_middleware(BodyLimit, limit=max_bytes, numeric=numeric)  # outermost: before reads
    half = half_width(model)

    @app.middleware("http")
    async def readable_errors(request: Request, call_next: Any) -> Response:
        if request.url.path == "/invocations":
            fault = request_fault(await request.body(), request.headers.get("content-type", ""))
            if fault is not None:
                return JSONResponse({"error_code": "BAD_REQUEST", "message": fault}, 400)
        response = await call_next(request)
        interval = half if request.url.path == "/invocations" else None
        if response.status_code < 400 and interval is None:
            return response
        content = b"".join([chunk async for chunk in response.body_iterator])
        if response.status_code < 400 and interval is not None:  # a regression model's answer
            return JSONResponse(with_interval(json.loads(content), interval), response.status_code)
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
