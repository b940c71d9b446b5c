"""Plot data for `dvc plots` (small CSV tables) and the same plots as PNG for people and MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ml_pipeline.evaluation.conformal import bounds
from ml_pipeline.evaluation.metrics import DIGITS

# Each plot table: its file name, and how `render_png` draws it (kind, x column, y column).
PLOT_SPECS: dict[str, tuple[str, str, str]] = {
    "confusion.csv": ("confusion", "predicted", "actual"),
    "roc.csv": ("line", "fpr", "tpr"),
    "precision_recall.csv": ("line", "recall", "precision"),
    "predicted_vs_actual.csv": ("scatter", "actual", "predicted"),
    "residuals.csv": ("scatter", "predicted", "residual"),
    "importance.csv": ("bar", "importance", "feature"),
    "learning_curve.csv": ("line", "iteration", "loss"),
    "interval.csv": ("band", "row", "actual"),
    "calibration.csv": ("line", "mean_predicted", "observed"),
}
PLOT_TITLES = {
    "confusion.csv": "Confusion matrix (test split)",
    "roc.csv": "ROC curve (test split)",
    "precision_recall.csv": "Precision-recall curve (test split)",
    "predicted_vs_actual.csv": "Predicted vs actual (test split)",
    "residuals.csv": "Residuals (test split)",
    "importance.csv": "Permutation importance (test split)",
    "learning_curve.csv": "Test loss by boosting iteration (log loss or RMSE)",
    "interval.csv": "Prediction interval around the predictions (test split)",
    "calibration.csv": "Reliability curve (test split, 10 probability bins)",
}


def classification_plots(
    y_true: pd.Series,
    y_pred: np.ndarray,
    positive_scores: np.ndarray,
    positive: str,
    max_points: int,
) -> dict[str, pd.DataFrame]:
    """Confusion pairs, and ROC and precision-recall curves for the positive class."""
    is_positive = (y_true == positive).to_numpy()
    fpr, tpr, _ = skm.roc_curve(is_positive, positive_scores)
    precision, recall, _ = skm.precision_recall_curve(is_positive, positive_scores)
    return {
        "confusion.csv": pd.DataFrame({"actual": y_true.to_numpy(), "predicted": y_pred}),
        "roc.csv": _thin(pd.DataFrame({"fpr": fpr, "tpr": tpr}), max_points),
        "precision_recall.csv": _thin(
            pd.DataFrame({"recall": recall[::-1], "precision": precision[::-1]}), max_points
        ),
    }


def regression_plots(
    y_true: pd.Series,
    y_pred: np.ndarray,
    max_points: int,
    seed: int,
    interval: dict[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """Predicted against actual, and residuals against predicted, on a fixed sample of rows;
    with a prediction `interval` (evaluation/conformal.py), the band around the predictions on
    the same rows by test position (time order for a time series)."""
    rows = np.random.default_rng(seed).permutation(len(y_true))[:max_points]
    rows.sort()
    actual, predicted = y_true.to_numpy()[rows], y_pred[rows]
    tables = {
        "predicted_vs_actual.csv": pd.DataFrame({"actual": actual, "predicted": predicted}),
        "residuals.csv": pd.DataFrame({"predicted": predicted, "residual": actual - predicted}),
    }
    if interval is not None:
        lower, upper = bounds(predicted, interval)
        tables["interval.csv"] = pd.DataFrame(
            {"row": rows, "actual": actual, "predicted": predicted, "lower": lower, "upper": upper}
        )
    return tables


def importance_table(names: list[str], means: np.ndarray, stds: np.ndarray) -> pd.DataFrame:
    """Permutation importance per raw feature column, largest first."""
    table = pd.DataFrame({"feature": names, "importance": means, "std": stds})
    return table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")


def every_table(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`tables` plus a header-only table for each plot of PLOT_SPECS this model has none of (the
    other task's plots; no learning curve without boosting). Every run writes every file, so
    `dvc exp apply`, which keeps workspace files an experiment's commit lacks, leaves no stale
    plot of an earlier model behind."""
    return {
        name: tables.get(name, pd.DataFrame(columns=[x, y]))
        for name, (_, x, y) in PLOT_SPECS.items()
    }


def write_tables(tables: dict[str, pd.DataFrame], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(directory / name, index=False, float_format=f"%.{DIGITS}g")


def draw(
    ax: Any, name: str, table: pd.DataFrame, colour: str | None = None, label: str = ""
) -> None:
    """Draw one plot table on `ax` the way its kind is drawn everywhere (PNGs and reports)."""
    kind, x, y = PLOT_SPECS[name]
    if kind == "confusion":
        labels = sorted(set(table[x]) | set(table[y]))
        matrix = skm.confusion_matrix(table[y], table[x], labels=labels)
        skm.ConfusionMatrixDisplay(matrix, display_labels=labels).plot(ax=ax, colorbar=False)
    elif kind == "line":
        if name == "calibration.csv":  # perfectly calibrated: observed rate = probability
            ax.plot([0, 1], [0, 1], linestyle=":", color="0.5")
        ax.plot(table[x], table[y], color=colour, label=label or None)
    elif kind == "band":  # the interval around the predictions, the actual values as dots
        ax.fill_between(table[x], table["lower"], table["upper"], color=colour or "C0", alpha=0.4)
        ax.plot(table[x], table["predicted"], color=colour, linewidth=0.5, label=label or None)
        ax.scatter(table[x], table[y], s=3, color="black")
    elif kind == "scatter":
        ax.scatter(table[x], table[y], s=4, alpha=0.5, color=colour, label=label or None)
    else:
        ordered = table.iloc[::-1]
        ax.barh(ordered[y], ordered[x], xerr=ordered.get("std"), color=colour)
    ax.set_xlabel(x)
    ax.set_ylabel(y)


def title(name: str) -> str:
    """`roc.csv` → `ROC curve`."""
    return PLOT_TITLES.get(name, name.removesuffix(".csv").replace("_", " "))


def pyplot() -> Any:
    """matplotlib.pyplot without a display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path) -> None:
    """Write a figure without a timestamp or version in its metadata, and close it."""
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    pyplot().close(fig)


def render_pngs(tables: dict[str, pd.DataFrame], directory: Path, caption: str = "") -> None:
    """Draw each table with rows as `<name>.png` in `directory`, `caption` under each title."""
    plt = pyplot()
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if table.empty:  # e.g. the learning curve of a model without boosting iterations
            continue
        fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
        draw(ax, name, table)
        ax.set_title(plot_title(name, caption), fontsize=10)
        save(fig, directory / name.replace(".csv", ".png"))


def plot_title(name: str, caption: str) -> str:
    """`roc.csv` + `adult · hgb · roc_auc 0.92` → `ROC curve` over the caption."""
    return f"{title(name)}\n{caption}" if caption else title(name)


def _thin(curve: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most `max_points` rows, evenly spaced, always keeping the first and last."""
    if len(curve) <= max_points:
        return curve.reset_index(drop=True)
    keep = np.unique(np.linspace(0, len(curve) - 1, max_points).round().astype(int))
    return curve.iloc[keep].reset_index(drop=True)
