"""The model card: a registered version's description, in Markdown (the MLflow UI renders it)."""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from ml_pipeline.evaluation.catalog import INTERVAL_SUFFIXES, direction
from ml_pipeline.monitoring.card import since_release
from ml_pipeline.reporting.pages import folded, lead, slice_tables
from ml_pipeline.tracking.ui import headline

# MLflow's SQL stores keep a version's description in VARCHAR(5000) (PostgreSQL refuses more).
DESCRIPTION_LIMIT = 5_000
SHORTENED = (
    "\n\n… (shortened to the registry's 5,000-character limit: the whole card is "
    "`model_card.md` in the run's artifacts)"
)
SLICES = "Per-slice metrics"  # the folded tables' summary, which `fitted` drops first
SLICE_BLOCK = rf"<details><summary>{SLICES}.*?</details>"
SLICES_ELSEWHERE = f"{SLICES}: `model_card.md` in the run's artifacts."
DETAILS = "Intended use, model, data, every metric, gate, limitations"  # folded in the card


def data_summary(frame: pd.DataFrame, target: str, time_column: str | None) -> dict[str, Any]:
    """Rows, class balance (classification) or target range, and time range of a split."""
    summary: dict[str, Any] = {"rows": len(frame)}
    values = frame[target]
    if (
        values.dtype == object
        or isinstance(values.dtype, pd.CategoricalDtype)
        or values.nunique() <= 20
    ):
        shares = values.astype(str).value_counts(normalize=True).sort_index()
        summary["balance"] = ", ".join(f"{k} {v:.1%}" for k, v in shares.items())
    else:
        summary["balance"] = f"{target} {values.min():.4g} … {values.max():.4g}"
    if time_column and time_column in frame:
        times = pd.to_datetime(frame[time_column], errors="coerce")
        summary["time range"] = f"{times.min():%Y-%m-%d} … {times.max():%Y-%m-%d}"
    return summary


def fitted(card: str) -> str:
    """`card` as a version's description holds it: when longer than the registry keeps, first
    without its folded per-slice tables (a pointer to `model_card.md` instead), then cut at a
    line end with a note."""
    if len(card) <= DESCRIPTION_LIMIT:
        return card
    card = re.sub(SLICE_BLOCK, SLICES_ELSEWHERE, card, count=1, flags=re.DOTALL)
    if len(card) <= DESCRIPTION_LIMIT:
        return card
    cut = card[: DESCRIPTION_LIMIT - len(SHORTENED)]
    return cut[: cut.rfind("\n")] + SHORTENED if "\n" in cut else cut + SHORTENED


def model_card(
    params: Any,
    metrics: dict[str, Any],
    checks: list[dict[str, Any]],
    decision: str,
    data: dict[str, dict[str, Any]] | None = None,
    links: dict[str, str] | None = None,
    slices: dict[str, Any] | None = None,
) -> str:
    """First the primary metric with its interval, the worst slice and the decision; folded:
    the per-slice tables (reports/slices.json), then intended use, data, metrics with the CV
    spread, gate and limitations; the links last."""
    model = params.model.model_dump()
    family = model.pop("name")
    hyper = ", ".join(f"{k}={v}" for k, v in model.items())
    config = params.registration
    top = card_lead(f"{params.data.name} · {family}", metrics, decision, config, slices)
    lines = [
        headline(metrics, config.primary_metric),
        "",
        "### Intended use",
        f"Predicts `{params.data.target}` ({params.data.task}) from raw rows with the columns of "
        f"the **{params.data.name}** dataset (the model is the whole scikit-learn pipeline: "
        "imputation, encoding, estimator). For batch scoring (`make predict`) and serving "
        "(`make serve`, `make image`) on rows drawn like the training data.",
        "",
        "### Model",
        f"Family `{family}` ({hyper}), seed {params.seed}, "
        f"{params.cv.n_splits}-fold cross-validation on the train split.",
        "",
        "### Data",
    ]
    lines += data_section(data or {})
    lines += [
        "",
        f"Split: `{params.split.method}`. Validated by Great Expectations before training "
        "(the validation report is linked below).",
        "",
    ]
    lines += metrics_section(metrics)
    lines += ["", "### Gate"]
    lines += [
        f"- {'passed' if c['passed'] else 'FAILED'}: {c['rule']} (observed {c['observed']})"
        for c in checks
    ] or ["- no thresholds"]
    lines += [
        f"- Gate: {'; '.join(c['rule'] for c in checks) or 'none'}. Decision: {decision}.",
        "",
        *since_release(),  # `monitor` replaces it with the batches it scored (monitoring/card.py)
        "",
        *limitations(params.data.name),
    ]
    top.append(folded(DETAILS, "\n".join(lines)))
    if links:
        top += ["", "### Links"] + [f"- [{label}]({url})" for label, url in links.items()]
    return "\n".join(top)


def limitations(dataset: str) -> list[str]:
    """The card's limits: one dataset, one test split, the data's biases."""
    return [
        "### Limitations",
        f"- Trained and tested on **{dataset}** only; rows from another population, "
        "period or collection process may score worse than the numbers above.",
        "- One test split: differences smaller than the CV spread above are noise.",
        "- The model learns the patterns of its training data, biases included; check the class "
        "balance above and the per-slice errors (where data.slices names groups) before "
        "decisions about people.",
    ]


def card_lead(
    title: str, metrics: dict[str, Any], decision: str, config: Any, slices: dict | None
) -> list[str]:
    """The card's first lines (pages.lead: the primary metric, its interval, the worst slice),
    the decision, then the per-slice tables folded."""
    primary = config.primary_metric
    lines = [f"**{title}** · {lead(metrics, slices, primary)}  ", f"Decision: {decision}.", ""]
    if slices and slices.get("columns"):
        summary = f"{SLICES} ({', '.join(slices['columns'])}): counts, 95 % intervals"
        lines += [folded(summary + ", disparities", slice_tables(slices, primary)), ""]
    return lines


def data_section(data: dict[str, dict[str, Any]]) -> list[str]:
    """One row per split of `data_summary` (nothing without data)."""
    if not data:
        return []
    keys = sorted({k for summary in data.values() for k in summary if k != "rows"})
    lines = ["| split | rows | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
    for split, summary in data.items():
        cells = [str(summary.get(k, "—")) for k in keys]
        lines.append(f"| {split} | {summary['rows']:,} | " + " | ".join(cells) + " |")
    return lines


def metrics_section(metrics: dict[str, Any]) -> list[str]:
    """The test metrics (null: undefined on this data) with their 95 % interval where
    metrics.json has one, and the CV mean ± std, each with the catalog's better direction."""
    lines = ["### Metrics (test split)", "| metric | value | better |", "|---|---|---|"]
    for name, value in sorted(metrics.items()):
        if not name.startswith("cv_") and not name.endswith(INTERVAL_SUFFIXES):
            shown = "null (undefined on this data)" if value is None else f"{value:.6g}"
            low, high = (metrics.get(name + suffix) for suffix in INTERVAL_SUFFIXES)
            if value is not None and low is not None and high is not None:
                shown += f" (95 %: {low:.4g} to {high:.4g})"
            lines.append(f"| {name} | {shown} | {direction(name) or '—'} |")
    spreads = [k for k in sorted(metrics) if k.startswith("cv_") and k.endswith("_mean")]
    for mean in spreads:
        std = metrics.get(mean.removesuffix("_mean") + "_std")
        shown = f"{metrics[mean]:.6g}" + (f" ± {std:.2g}" if std is not None else "")
        name = mean.removesuffix("_mean")
        lines.append(f"| {name} (CV mean ± std) | {shown} | {direction(mean) or '—'} |")
    return lines


def card_context(run_info: dict[str, str], params: Any) -> dict[str, Any]:
    """The card's data summary (prepared splits) and links (run, validation report, params)."""
    from ml_pipeline.core import paths
    from ml_pipeline.tracking.store import resolve_store, without_credentials

    data = {}
    for split, path in (("train", paths.PREPARED_TRAIN), ("test", paths.PREPARED_TEST)):
        if path.is_file():
            wanted = [params.data.target, *filter(None, [params.data.time_column])]
            frame = pd.read_parquet(path, columns=wanted)  # what the summary reads
            data[split] = data_summary(frame, params.data.target, params.data.time_column)
    store = resolve_store()
    base = without_credentials(store.tracking_uri).rstrip("/") if store.is_server else ""
    run = f"{base}/#/experiments/{run_info['experiment_id']}/runs/{run_info['run_id']}"
    links = {
        f"MLflow run {run_info['run_id']}": run,
        "Validation report (validation.html, run artifact)": f"{run}/artifacts/validation.html",
        "params.yaml of the run (run artifact)": f"{run}/artifacts/params.yaml",
    }
    slices = json.loads(paths.SLICES.read_text()) if paths.SLICES.is_file() else None
    return {"data": data, "links": links, "slices": slices}
