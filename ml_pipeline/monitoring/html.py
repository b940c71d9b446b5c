"""The monitoring report and the data profile as one self-contained HTML file: inline CSS and
inline SVG charts, no script and no external URL, so it opens offline and in a mail attachment.

`monitor` writes it for the scored batches (reports/monitor.html); `make profile DATA=<name>`
writes the same page for a dataset's training data alone (reports/profile/<name>.html).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ml_pipeline.monitoring.drift import PREDICTION, ColumnDrift

REFERENCE_COLOUR, BATCH_COLOUR, ALERT = "#4c78a8", "#f58518", "#c0392b"
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em}
.sub{color:#666}.banner{padding:.8em 1em;border-radius:6px;margin:1em 0}
.retrain{background:#fdecea;border:1px solid #c0392b}
.ok{background:#eaf7ee;border:1px solid #2e8b57}
table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;
text-align:left;vertical-align:middle}th{background:#f4f4f4}.num{text-align:right}
.drift{color:#c0392b;font-weight:600}.key span{display:inline-block;width:.8em;height:.8em;
margin:0 .3em 0 1em}
"""


def esc(value: object) -> str:
    return html.escape(str(value))


def page(title: str, subtitle: str, sections: Sequence[str]) -> str:
    """The whole document."""
    head = f"<h1>{esc(title)}</h1><p class='sub'>{esc(subtitle)}</p>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        + head
        + "".join(sections)
        + "</body></html>\n"
    )


def banner(decision: str, reasons: Sequence[str]) -> str:
    items = "".join(f"<li>{esc(r)}</li>" for r in reasons)
    heading = f"<b>Decision: {esc(decision)}</b>"
    return f"<div class='banner {esc(decision)}'>{heading}<ul>{items}</ul></div>"


def key() -> str:
    return (
        f"<p class='key'><span style='background:{REFERENCE_COLOUR}'></span>reference "
        f"(champion's training sample)<span style='background:{BATCH_COLOUR}'></span>batch</p>"
    )


def shares(
    reference: pd.Series, batch: pd.Series | None, numeric: bool, bins: int = 20
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    """Labels and shares of each side: equal-width bins over both sides' range (numbers), or
    the reference's most common categories and the batch's new ones (up to 12 in all)."""
    if numeric:
        ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(float)
        new = (
            None
            if batch is None
            else pd.to_numeric(batch, errors="coerce").dropna().to_numpy(float)
        )
        both = ref if new is None else np.concatenate([ref, new])
        if both.size == 0:
            return [], np.zeros(0), None
        edges = np.histogram_bin_edges(both, bins=bins)
        ref_counts = np.histogram(ref, edges)[0]
        new_counts = None if new is None else np.histogram(new, edges)[0]
        labels = [
            f"{low:.4g} … {high:.4g}" for low, high in zip(edges[:-1], edges[1:], strict=True)
        ]
    else:
        ref_counts_s = reference.dropna().astype(str).value_counts()
        new_s = None if batch is None else batch.dropna().astype(str).value_counts()
        levels = list(ref_counts_s.index[:12])
        if new_s is not None:
            levels += [v for v in new_s.index if v not in ref_counts_s.index][: 12 - len(levels)]
        labels = levels
        ref_counts = ref_counts_s.reindex(levels, fill_value=0).to_numpy()
        new_counts = None if new_s is None else new_s.reindex(levels, fill_value=0).to_numpy()
    ref_share = ref_counts / max(len(reference.dropna()), 1)
    new_share = (
        None if new_counts is None or batch is None else new_counts / max(len(batch.dropna()), 1)
    )
    return labels, ref_share, new_share


def bars_svg(labels: list[str], ref: np.ndarray, new: np.ndarray | None) -> str:
    """Grouped vertical bars, reference beside batch, 240 × 70 px; each bar's title says it."""
    width, height, n = 240, 70, max(len(labels), 1)
    top = max(
        float(ref.max()) if ref.size else 0,
        float(new.max()) if new is not None and new.size else 0,
        1e-9,
    )
    slot = width / n
    parts = [f"<svg width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img'>"]
    for i, label in enumerate(labels):
        sides = [(ref[i], REFERENCE_COLOUR, "reference")]
        if new is not None:
            sides.append((new[i], BATCH_COLOUR, "batch"))
        bar = slot / (len(sides) + 0.5)
        for j, (value, colour, side) in enumerate(sides):
            h = height * float(value) / top
            x = i * slot + j * bar
            parts.append(
                f"<rect x='{x:.1f}' y='{height - h:.1f}' width='{bar:.1f}' height='{h:.1f}' "
                f"fill='{colour}'><title>{esc(label)}: {side} {value:.1%}</title></rect>"
            )
    return "".join(parts) + "</svg>"


def psi_bar(value: float, threshold: float) -> str:
    width = min(value / (2 * threshold), 1.0) * 100
    colour = ALERT if value >= threshold else REFERENCE_COLOUR
    return (
        f"<svg width='100' height='10'><rect width='100' height='10' fill='#eee'/>"
        f"<rect width='{width:.1f}' height='10' fill='{colour}'/>"
        f"<line x1='50' y1='0' x2='50' y2='10' stroke='#333'/></svg>"
    )


def columns_table(
    drifts: Sequence[ColumnDrift],
    flagged: set[str],
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    threshold: float,
) -> str:
    """Per column: PSI (bar: the line marks the threshold at its middle), test, missing share
    reference → batch, new categories and the two distributions."""
    head = (
        "<table><tr><th>column</th><th>PSI</th><th></th><th>test p</th><th>missing</th>"
        "<th>new categories</th><th>distribution</th></tr>"
    )
    rows = []
    for d in drifts:
        mark = " class='drift'" if d.column in flagged else ""
        source = d.column
        if d.column == PREDICTION and "score" in batch and "score" in reference:
            source = "score"  # prediction drift is measured on the positive class's probability
        labels, ref, new = shares(reference[source], batch[source], d.kind == "numeric")
        new_text = ", ".join(d.new_categories[:5]) + (
            f" ({d.new_share:.1%} of rows)" if d.new_categories else ""
        )
        rows.append(
            f"<tr><td{mark}>{esc(d.column)}</td><td class='num'>{d.psi:.3f}</td>"
            f"<td>{psi_bar(d.psi, threshold)}</td><td class='num'>{d.test} {d.p_value:.2g}</td>"
            f"<td class='num'>{d.missing_reference:.1%} → {d.missing_batch:.1%}</td>"
            f"<td>{esc(new_text)}</td><td>{bars_svg(labels, ref, new)}</td></tr>"
        )
    return head + "".join(rows) + "</table>"


def profile_table(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> str:
    """Per column of one dataset: type, missing share, distinct values, a summary, histogram."""
    rows = []
    for column in [c for c in [*numeric, *categorical] if c in frame]:
        values, is_number = frame[column], column in numeric
        if is_number:
            stats = pd.to_numeric(values, errors="coerce").describe()
            summary = f"min {stats['min']:.4g} · median {stats['50%']:.4g} · max {stats['max']:.4g}"
        else:
            top = values.dropna().astype(str).value_counts()
            summary = ", ".join(f"{k} {v / max(top.sum(), 1):.0%}" for k, v in top.head(3).items())
        labels, ref, _ = shares(values, None, is_number)
        rows.append(
            f"<tr><td>{esc(column)}</td><td>{'number' if is_number else 'category'}</td>"
            f"<td class='num'>{values.isna().mean():.1%}</td>"
            f"<td class='num'>{values.nunique():,}</td>"
            f"<td>{esc(summary)}</td><td>{bars_svg(labels, ref, None)}</td></tr>"
        )
    head = (
        "<table><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th>"
        "<th>summary</th><th>distribution</th></tr>"
    )
    return head + "".join(rows) + "</table>"


def history_svg(values: Sequence[float | None], labels: Sequence[str], title: str) -> str:
    """A line over the batches (a gap where a value is missing), 520 × 120 px."""
    width, height, pad = 520, 120, 40
    known = [
        (i, name, float(v))
        for i, (name, v) in enumerate(zip(labels, values, strict=True))
        if v is not None
    ]
    if not known:
        return f"<p>{esc(title)}: no value yet</p>"
    low, high = min(v for *_, v in known), max(v for *_, v in known)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [
        (pad + i * step, height - pad - (v - low) / span * (height - 2 * pad), name, v)
        for i, name, v in known
    ]
    dots = "".join(
        f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{BATCH_COLOUR}'><title>{esc(name)}: "
        f"{v:.4g}</title></circle>"
        for x, y, name, v in points
    )
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y, *_ in points)
    dots += "".join(
        f"<text x='{x:.1f}' y='{height - 6}' font-size='10' text-anchor='middle'>{esc(name)}</text>"
        for x, _, name, _ in points
    )
    return (
        f"<figure><figcaption>{esc(title)} (min {low:.4g}, max {high:.4g})</figcaption>"
        f"<svg width='{width}' height='{height}'><polyline points='{line}' fill='none' "
        f"stroke='{REFERENCE_COLOUR}' stroke-width='2'/>{dots}</svg></figure>"
    )
