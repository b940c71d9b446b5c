"""The model server answers bad requests with a 4xx and one line, never a stack trace (item 3).

MLflow's real scoring app for a real model saved as `train` saves it, in-process (TestClient).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ml_pipeline.serving import app as serving
from ml_pipeline.serving import request_body
from ml_pipeline.serving.app import build_app
from tests.serving.test_predict import INTERVAL, saved_toy_model


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return saved_toy_model(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def client(model_path: Any) -> Any:
    import mlflow.pyfunc
    from fastapi.testclient import TestClient

    return TestClient(build_app(mlflow.pyfunc.load_model(str(model_path))))


def answer(client: Any, body: bytes) -> tuple[int, dict]:
    response = client.post(
        "/invocations", content=body, headers={"content-type": "application/json"}
    )
    return response.status_code, response.json()


def records(*rows: dict) -> bytes:
    return json.dumps({"dataframe_records": list(rows)}).encode()


def split(columns: list[str], *rows: list[Any]) -> bytes:
    return json.dumps({"dataframe_split": {"columns": columns, "data": list(rows)}}).encode()


REPEATED_KEY = b'{"dataframe_records": [{"x": 0.5, "colour": "red", "size": "S", "size": "M"}]}'
THREADS = "OMP_NUM_THREADS"
GOOD = {"x": 0.5, "colour": "red", "size": "S"}


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (json.dumps({"dataframe_split": {"columns": ["x"], "data": []}}).encode(), "no rows"),
        (records(), "no rows"),
        (records({"x": 1.0}), "missing column(s) 'colour', 'size'"),
        (records(GOOD | {"x": {"a": 1}}), "column 'x' must be float64"),
        (b'{"dataframe_split": {"columns": ["x"], "data": [[1', "valid JSON"),
        (split(["x", "colour", "size", "x"], [0.5, "red", "S", 1.0]), "column 'x' appears twice"),
        (REPEATED_KEY, "column 'size' appears twice"),
    ],
    ids=[
        "empty-split",
        "empty-records",
        "missing-columns",
        "wrong-type",
        "malformed-json",
        "repeated-column",
        "repeated-key",
    ],
)
def test_a_bad_request_is_a_4xx_with_one_line(client: Any, body: bytes, needle: str) -> None:
    status, payload = answer(client, body)
    assert 400 <= status < 500, payload
    assert set(payload) == {"error_code", "message"}  # no stack_trace
    assert needle in payload["message"] and "\n" not in payload["message"]
    assert "Traceback" not in payload["message"] and ".py" not in payload["message"]


def test_a_csv_request_naming_a_column_twice_is_a_400(client: Any) -> None:
    body = b"x,colour,size,colour\n0.5,red,S,blue\n"
    response = client.post("/invocations", content=body, headers={"content-type": "text/csv"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("column 'colour' appears twice")
    good = b"x,colour,size\n0.5,red,S\n"
    response = client.post("/invocations", content=good, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.json()


def test_a_huge_value_is_echoed_capped(tmp_path: Any) -> None:
    """A model saved before it carried its settings: text in a numeric column is refused."""
    import mlflow.pyfunc
    from fastapi.testclient import TestClient

    older = saved_toy_model(tmp_path, carries=False)
    client = TestClient(build_app(mlflow.pyfunc.load_model(str(older))))
    status, payload = answer(client, records(GOOD | {"x": "old" * 1_000_000}))
    assert status == 400 and payload["message"].startswith("column 'x' must be float64")
    assert len(payload["message"]) < 5_000 and "characters)" in payload["message"]


def test_a_request_over_the_size_limit_is_a_413_with_one_line(model_path: Any) -> None:
    """Issue 23, item 15: the server read any body (140 MB took it from 0.38 to 3.2 GB)."""
    import mlflow.pyfunc
    from fastapi.testclient import TestClient

    small = TestClient(build_app(mlflow.pyfunc.load_model(str(model_path)), max_bytes=1_000))
    body = records(*[GOOD] * 40)
    assert len(body) > 1_000
    for content in (body, iter([body[:600], body[600:]])):  # with Content-Length, and chunked
        response = small.post(
            "/invocations", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413, response.text
        message = response.json()["message"]
        assert "1,000 bytes" in message and "ML_PIPELINE_MAX_REQUEST_MB" in message
        assert "\n" not in message
    status, payload = answer(small, records(GOOD))  # under the limit: scored
    assert status == 200 and len(payload["predictions"]) == 1


def test_the_size_limit_is_ten_mb_or_as_configured(
    model_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from fastapi.testclient import TestClient

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(TestClient(app)))
    monkeypatch.delenv("ML_PIPELINE_MAX_REQUEST_MB", raising=False)
    assert serving.main([str(model_path)]) == 0
    monkeypatch.setenv("ML_PIPELINE_MAX_REQUEST_MB", "0.5")
    assert serving.main([str(model_path)]) == 0
    assert serving.main([str(model_path), "--max-request-mb", "20"]) == 0
    body = records(*[GOOD] * 20_000) + b" " * (11 * 2**20)  # 11 MB: whitespace after the JSON
    statuses = [
        client.post("/invocations", content=body, headers={"content-type": "application/json"})
        for client in served
    ]
    assert [response.status_code for response in statuses] == [413, 413, 200]


def test_a_good_request_is_scored(client: Any) -> None:
    status, payload = answer(client, records(GOOD, GOOD | {"size": "M"}))
    assert status == 200 and len(payload["predictions"]) == 2


def test_the_server_answers_with_one_thread_per_request(
    model_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make serve` gives OpenMP one thread (`--threads N` for more) before the model loads."""
    import uvicorn

    seen: list[str | None] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(os.environ.get(THREADS)))
    monkeypatch.setenv(THREADS, "2")  # what a shell may carry; restored afterwards
    assert serving.main([str(model_path), "--port", "5999"]) == 0
    assert serving.main([str(model_path), "--port", "5999", "--threads", "3"]) == 0
    assert seen == ["1", "3"]


def test_the_servers_own_copies_of_the_shared_rules_agree_with_the_library() -> None:
    """The image carries serving/app.py and request_body.py alone: they copy small rules."""
    from ml_pipeline.core import errors
    from ml_pipeline.data.dataset import repeated_name

    for names in (["a", "b", "a"], ["a", " ", " "], ["a", "A"], []):
        assert request_body.repeated_name(names) == repeated_name(names)
    shared = (request_body.NAME_CHARS, request_body.MESSAGE_CHARS)
    assert shared == (errors.SHOWN_CHARS, errors.LINE_CHARS)
    for text in ("http://u:p@h/x http://token@h/y", "s3://k@b"):
        assert request_body.redacted(text) == errors.redacted(text)
    for text in ("x" * 10, "x" * 5_000):
        capped = request_body.capped(text, errors.LINE_CHARS)
        assert capped == errors.capped(text, errors.LINE_CHARS)


def project_imports(module: Any) -> set[str]:
    """The modules of this repository that `module`'s source imports (at any depth)."""
    import ast

    tree = ast.parse(Path(module.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {
        "." * n.level + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    }
    roots = {"ml_pipeline", "stages", "commands", "orchestration", "tools", "tests", ""}
    return {name for name in names if name.split(".")[0] in roots}  # "": a relative import


def test_the_server_imports_only_its_request_body_rules() -> None:
    """The image carries these two files alone: app.py imports the sibling, which imports none."""
    assert project_imports(serving) == {"ml_pipeline.serving.request_body"}
    assert project_imports(request_body) == set()


def test_a_regression_model_answers_its_interval_beside_the_predictions(
    client: Any, tmp_path: Path
) -> None:
    import mlflow.pyfunc
    from fastapi.testclient import TestClient

    path = saved_toy_model(tmp_path, "regression")
    regressor = TestClient(build_app(mlflow.pyfunc.load_model(str(path))))
    status, payload = answer(regressor, records(GOOD, GOOD | {"size": "M"}))
    assert status == 200 and set(payload) == {"predictions", "prediction_lower", "prediction_upper"}
    half = INTERVAL["half_width"]
    assert payload["prediction_lower"] == [p - half for p in payload["predictions"]]
    assert payload["prediction_upper"] == [p + half for p in payload["predictions"]]
    assert answer(regressor, records({"x": 1.0}))[0] == 400  # errors as for any model
    assert set(answer(client, records(GOOD))[1]) == {"predictions"}  # a classifier: unchanged


@pytest.mark.parametrize("dirt", ["67 months", "unknown", "1,022.95"])
def test_a_dirty_number_is_read_as_missing_as_prepare_reads_it(client: Any, dirt: str) -> None:
    """data/numbers.py's rule, in the server's copy (serving/request_body.py imports none)."""
    from ml_pipeline.core.config import ReadOptions
    from ml_pipeline.data.numbers import to_numbers

    assert request_body.to_number(dirt, None) is None
    assert to_numbers(pd.Series([dirt], dtype="str"), ReadOptions()).isna().all()
    dirty = answer(client, split(["x", "colour", "size"], [dirt, "red", "S"], ["0.5", "red", "S"]))
    missing = answer(client, split(["x", "colour", "size"], [None, "red", "S"], [0.5, "red", "S"]))
    assert dirty == missing and dirty[0] == 200
