"""The validation report as a self-contained HTML page (reports/validation.html)."""

from __future__ import annotations

import html
from typing import Any

from ml_pipeline.validation.checks import Outcome


def render_html(outcomes: list[Outcome], summary: dict[str, Any], title: str) -> str:
    """A self-contained page: one table row per expectation and its result, failed errors
    first, then failed warnings, then what passed (each group in the suite's order)."""
    rows = []
    for o in sorted(outcomes, key=lambda o: (o.success, o.severity != "error")):
        status = "pass" if o.success else o.severity
        fraction = "" if o.unexpected_fraction is None else f"{o.unexpected_fraction:.4%}"
        cells = [o.split, o.column or "", o.expectation, o.expected, _json(o.observed), fraction]
        cells = [html.escape(str(c)) for c in cells]
        rows.append(
            f'<tr class="{status}"><td>{status}</td><td>'
            + "</td><td>".join(cells)
            + f"</td><td><code>{html.escape(o.key)}</code></td></tr>"
        )
    verdict = "passed" if summary["success"] else "FAILED"
    counts = "".join(
        f"<li>{html.escape(name)}: "
        + ", ".join(
            f"{sev} {c['passed']}/{c['evaluated']} passed"
            for sev, c in split.items()
            if isinstance(c, dict)
        )
        + (f", {split['rows']} rows" if "rows" in split else "")
        + "</li>"
        for name, split in summary["splits"].items()
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Validation: {html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; font-size: 14px; vertical-align: top; }}
tr.pass td:first-child {{ background: #d4edda; }} tr.error td:first-child {{ background: #f8d7da; }}
tr.warning td:first-child {{ background: #fff3cd; }}
</style></head><body>
<h1>Data validation of {html.escape(title)}: {verdict}</h1>
<ul>{counts}</ul>
<table><tr><th>result</th><th>split</th><th>column</th><th>expectation</th><th>expected</th>
<th>observed</th><th>unexpected</th><th>config key</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""


def _json(value: Any) -> str:
    return "" if value is None else str(value)
