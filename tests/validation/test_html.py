"""The validation page: one escaped row per expectation, the verdict and the counts per split."""

from __future__ import annotations

from ml_pipeline.validation.checks import Outcome, summarize
from ml_pipeline.validation.html import render_html

OUTCOMES = [
    Outcome("train", "expect_x", "<b>col</b>", "error", True, "x > 0", "validation.k"),
    Outcome(
        "test", "expect_y", None, "warning", False, "y & z", "validation.<k>", {"a": "<i>"}, 0.125
    ),
]


def test_every_expectation_is_one_escaped_row() -> None:
    page = render_html(OUTCOMES, summarize(OUTCOMES, {"train": 3, "test": 2}), "a<b>&c")
    assert page.startswith("<!doctype html>")
    assert page.count("<tr class=") == 2
    assert '<tr class="pass"><td>pass</td><td>train</td><td>&lt;b&gt;col&lt;/b&gt;</td>' in page
    assert '<tr class="warning"><td>warning</td><td>test</td><td></td>' in page
    assert "<td>y &amp; z</td><td>{&#x27;a&#x27;: &#x27;&lt;i&gt;&#x27;}</td>" in page
    assert "<td>12.5000%</td><td><code>validation.&lt;k&gt;</code></td>" in page
    assert "<title>Validation: a&lt;b&gt;&amp;c</title>" in page
    assert "<b>" not in page and "<i>" not in page


def test_verdict_and_counts_per_split() -> None:
    summary = summarize(OUTCOMES, {"train": 3, "test": 2})
    page = render_html(OUTCOMES, summary, "tiny")
    assert "<h1>Data validation of tiny: passed</h1>" in page  # a failed warning passes
    assert "<li>train: errors 1/1 passed, warnings 0/0 passed, 3 rows</li>" in page
    assert "<li>test: errors 0/0 passed, warnings 0/1 passed, 2 rows</li>" in page
    failing = [*OUTCOMES, Outcome("test", "expect_z", "c", "error", False, "z", "validation.z")]
    assert ": FAILED</h1>" in render_html(failing, summarize(failing, {}), "tiny")


def test_failures_come_first_errors_before_warnings() -> None:
    failing = [
        *OUTCOMES,
        Outcome("test", "expect_z", "c", "error", False, "z", "validation.z"),
        Outcome("train", "expect_v", "v", "error", True, "v", "validation.v"),
    ]
    page = render_html(failing, summarize(failing, {}), "tiny")
    order = [page.index(f"<td>{name}</td>") for name in ("expect_z", "expect_y", "expect_x")]
    assert order == sorted(order) and page.index("expect_x") < page.index("expect_v")
