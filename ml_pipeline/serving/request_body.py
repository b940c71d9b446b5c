"""The model server's rules for a request body, read before MLflow reads it (serving/app.py).

No rows, a column named twice (a JSON key, `dataframe_split.columns`, a CSV header), the text
values of the model's numeric columns read as numbers as `prepare` reads them, and the caps and
redaction of echoed text. The image runs serving/app.py with this file beside it and nothing else
of the project, so it imports no project module: the rules it shares with the library are copies
(tests/serving/test_serving.py checks that they agree).
"""

from __future__ import annotations

import csv
import json
import re
from typing import Any

ROW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
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


def numeric_columns(metadata: dict[str, Any] | None) -> tuple[list[str], str | None]:
    """The numeric columns and thousands separator the model carries (`scoring` metadata:
    serving/settings.py); none for a model saved before it carried them."""
    carried = (metadata or {}).get("scoring")
    data = json.loads(carried).get("data") or {} if isinstance(carried, str) else {}
    return list(data.get("numeric") or []), (data.get("read") or {}).get("thousands")


def to_number(value: Any, thousands: str | None) -> Any:
    """data/numbers.py's rule for one value (this file imports no project module): text that is
    no number (`'67 months'`, `'unknown'`) is missing; the thousands separator is stripped."""
    if not isinstance(value, str):
        return value
    try:
        return float(value.replace(thousands, "") if thousands else value)
    except ValueError:
        return None


def numbers_read(raw: bytes, columns: list[str], thousands: str | None) -> bytes:
    """A JSON request with the text values of the numeric `columns` read as numbers
    (`to_number`); any other body unchanged (MLflow's own answer names what is wrong)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    wanted = set(columns)
    split = body.get("dataframe_split") if isinstance(body, dict) else None
    rows = body.get("dataframe_records") if isinstance(body, dict) else None
    if isinstance(split, dict) and isinstance(split.get("data"), list):
        at = [i for i, name in enumerate(split.get("columns") or []) if name in wanted]
        for row in split["data"]:
            for i in at if isinstance(row, list) else []:
                row[i] = to_number(row[i], thousands) if i < len(row) else None
    elif isinstance(rows, list):
        for row in rows:
            for name in wanted & set(row) if isinstance(row, dict) else ():
                row[name] = to_number(row[name], thousands)
    else:
        return raw
    return json.dumps(body).encode()


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
