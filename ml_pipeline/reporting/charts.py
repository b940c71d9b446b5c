"""The pull-request comment's charts: each plot a Mermaid `xychart-beta` chart (a confusion matrix
a table) written into the Markdown, which GitHub renders: nothing to host, no credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

CURVE_POINTS = 21
TOP_FEATURES = 10
BINS = 10


def _numbers(values: np.ndarray | pd.Series) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in values) + "]"


def _labels(values: list[str]) -> str:
    return "[" + ", ".join('"' + str(v).replace('"', "'") + '"' for v in values) + "]"


GREY, BLUE = "#9e9e9e", "#1f77b4"


def _short(label: str, width: int = 12) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _block(lines: list[str], colours: list[str]) -> str:
    """A Mermaid code block; `colours` are the series' colours in order."""
    palette = ", ".join(colours)
    init = '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + palette + '"}}}}%%'
    return "```mermaid\n" + "\n".join([init, *lines]) + "\n```"


def _lines_chart(
    title: str,
    x_axis: str,
    y_axis: str,
    base: pd.DataFrame | None,
    new: pd.DataFrame,
    values: Callable[[pd.DataFrame], Any],
) -> str:
    """Mermaid lines, base grey and new blue (a missing base is left out); `values(frame)` is
    a frame's line on the chart's x grid."""
    lines = ["xychart-beta", f'    title "{title}"', f"    x-axis {x_axis}", f"    y-axis {y_axis}"]
    colours = []
    for frame, colour in ((base, GREY), (new, BLUE)):
        if frame is not None:
            lines.append(f"    line {_numbers(values(frame))}")
            colours.append(colour)
    return _block(lines, colours)


def curve_chart(title: str, x: str, y: str, base: pd.DataFrame | None, new: pd.DataFrame) -> str:
    """A curve (ROC, precision-recall) resampled on an even grid of x: Mermaid lines."""
    grid = np.linspace(0, 1, CURVE_POINTS)  # Mermaid spaces a line's points evenly over x

    def on_grid(frame: pd.DataFrame) -> Any:
        ordered = frame.sort_values(x, kind="stable")
        return np.interp(grid, ordered[x], ordered[y])

    heading = f"{title} (base grey, new blue)"
    return _lines_chart(heading, f'"{x}" 0 --> 1', f'"{y}" 0 --> 1', base, new, on_grid)


def importance_chart(title: str, base: pd.DataFrame | None, new: pd.DataFrame) -> str:
    """The new revision's top features as bars, the base's values for them as a line."""
    top = new.sort_values("importance", ascending=False, kind="stable").head(TOP_FEATURES)
    lines = [
        "xychart-beta",
        f'    title "{title} (bars new, line base)"',
        f"    x-axis {_labels([_short(f) for f in top['feature']])}",
        '    y-axis "importance"',
        f"    bar {_numbers(top['importance'])}",
    ]
    if base is not None:
        by_feature = base.set_index("feature")["importance"]
        lines.append(f"    line {_numbers(top['feature'].map(by_feature).fillna(0.0))}")
    return _block(lines, [BLUE, GREY])


def steps_chart(title: str, x: str, y: str, base: pd.DataFrame | None, new: pd.DataFrame) -> str:
    """A learning curve: y by iteration, resampled on at most CURVE_POINTS * 2 iterations."""
    last = int(max(f[x].max() for f in (base, new) if f is not None))
    grid = np.unique(np.linspace(1, last, min(last, CURVE_POINTS * 2)).round())

    def on_grid(frame: pd.DataFrame) -> Any:
        values = np.interp(grid, frame[x], frame[y], right=np.nan)  # NaN past its last step
        return pd.Series(values).ffill()

    heading = f"{title} (base grey, new blue)"
    return _lines_chart(heading, f'"{x}" 1 --> {last}', f'"{y}"', base, new, on_grid)


def binned_chart(title: str, x: str, y: str, base: pd.DataFrame | None, new: pd.DataFrame) -> str:
    """Scatter data as the mean of y in ten bins of x (Mermaid has no scatter plot)."""
    frames = [f for f in (base, new) if f is not None]
    edges = np.unique(np.quantile(pd.concat(frames)[x], np.linspace(0, 1, BINS + 1)))
    centres = (edges[:-1] + edges[1:]) / 2

    def bin_means(frame: pd.DataFrame) -> Any:
        bins = np.clip(np.searchsorted(edges, frame[x], side="right") - 1, 0, len(centres) - 1)
        means = frame[y].groupby(bins).mean().reindex(range(len(centres)))
        return means.interpolate().bfill().ffill()

    heading = f"{title}: mean {y} by {x} (base grey, new blue)"
    x_axis = f'"{x}" {_labels([f"{c:.3g}" for c in centres])}'
    return _lines_chart(heading, x_axis, f'"{y}"', base, new, bin_means)


def confusion_table(base: pd.DataFrame | None, new: pd.DataFrame, x: str, y: str) -> str:
    """Counts per (actual, predicted) cell: `new` or `base → new`."""
    counts_new = pd.crosstab(new[y], new[x])
    counts_base = pd.crosstab(base[y], base[x]) if base is not None else None
    labels = sorted(set(counts_new.index) | set(counts_new.columns), key=str)
    header = f"| {y} \\ {x} | " + " | ".join(map(str, labels)) + " |"
    rows = [header, "|---" * (len(labels) + 1) + "|"]
    for actual in labels:
        cells = []
        for predicted in labels:
            now = int(counts_new.get(predicted, {}).get(actual, 0))
            if counts_base is None:
                cells.append(str(now))
            else:
                was = int(counts_base.get(predicted, {}).get(actual, 0))
                cells.append(str(now) if was == now else f"{was} → {now}")
        rows.append(f"| **{actual}** | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def chart(
    name: str, kind: str, x: str, y: str, title: str, base: pd.DataFrame | None, new: pd.DataFrame
) -> str:
    """The Markdown that shows one plot table in a GitHub comment."""
    if kind == "confusion":
        return f"**{title}** (base → new where they differ)\n\n{confusion_table(base, new, x, y)}"
    if name == "learning_curve.csv":
        return steps_chart(title, x, y, base, new)
    if kind == "line":  # ROC and precision-recall: on [0, 1] × [0, 1]
        return curve_chart(title, x, y, base, new)
    if kind == "bar":
        return importance_chart(title, base, new)
    return binned_chart(title, x, y, base, new)
