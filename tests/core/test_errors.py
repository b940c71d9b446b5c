"""The entry points' one line (core/errors.py): no URL password in it, and MLflow's errors and
those of the HTTP/S3 clients under it made one line naming the store (issue 23, item 4)."""

from __future__ import annotations

import pytest

from ml_pipeline.core.errors import StageError, handled, redacted

SECRET = "errors-password-do-not-leak"


def test_redacted_hides_every_url_password_in_a_text() -> None:
    text = f"to http://alice:{SECRET}@h:1/x and s3://k:{SECRET}@b/p, then sqlite:////tmp/m.db"
    assert (
        redacted(text) == "to http://alice:***@h:1/x and s3://k:***@b/p, then sqlite:////tmp/m.db"
    )
    assert redacted(f"https://{SECRET}@github.com/o/r") == "https://***@github.com/o/r"
    assert redacted("http://h:1/a@b") == "http://h:1/a@b"  # an @ in the path is no userinfo
    assert redacted("mail alice@example.org") == "mail alice@example.org"


def run(body_error: BaseException, capsys: pytest.CaptureFixture[str]) -> str:
    def body() -> int:
        raise body_error

    assert handled("train", body) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert SECRET not in err
    return err.strip()


def test_a_stage_error_with_a_password_is_shown_without_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = run(StageError(f"MLflow store http://alice:{SECRET}@h:1: down"), capsys)
    assert line == "train: error: MLflow store http://alice:***@h:1: down"


def test_an_mlflow_exception_is_one_line_naming_the_store(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mlflow.exceptions import MlflowException

    url = f"http://alice:{SECRET}@127.0.0.1:9/api/2.0/mlflow/runs/get"
    error = MlflowException(f"API request to {url} failed with exception refused\nmore\nlines")
    line = run(error, capsys)
    assert line.startswith("train: error: MLflow store")
    assert "API request to http://alice:***@127.0.0.1:9/api/2.0/mlflow/runs/get" in line


@pytest.mark.parametrize("client", ["requests", "urllib3", "botocore"])
def test_an_http_or_s3_client_error_is_one_line(
    client: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://key:{SECRET}@127.0.0.1:9/bucket"
    if client == "requests":
        import requests

        error: Exception = requests.ConnectionError(f"refused: {url}")
    elif client == "urllib3":
        import urllib3

        error = urllib3.exceptions.MaxRetryError(None, url, None)  # type: ignore[arg-type]
    else:
        import botocore.exceptions

        error = botocore.exceptions.EndpointConnectionError(endpoint_url=url)
    line = run(error, capsys)
    assert line.startswith("train: error: MLflow store") and "key:***@127.0.0.1:9" in line


def test_any_other_error_is_a_bug_and_keeps_its_traceback() -> None:
    def body() -> int:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        handled("train", body)


HUGE = "9" * 5_000_000  # one field of a damaged file (issue 23, item 8: a 50 MB one)


def test_shown_caps_an_echoed_value_and_says_how_long_it_was() -> None:
    from ml_pipeline.core.errors import SHOWN_CHARS, shown

    assert shown("old") == "'old'" and shown(3) == "3"
    text = shown(HUGE)
    assert text == f"'{'9' * SHOWN_CHARS}'… (5,000,000 characters)"
    assert shown(["a", HUGE]).endswith("characters)") and len(shown(["a", HUGE])) < 300


def test_the_one_line_is_capped_after_its_passwords_are_hidden(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = run(StageError(f"http://alice:{SECRET}@h:1 said {HUGE}"), capsys)
    assert line.startswith("train: error: http://alice:***@h:1 said 999")
    full = len("train: error: http://alice:***@h:1 said ") + len(HUGE)
    assert line.endswith(f"… ({full:,} characters)") and len(line) < 5_000
