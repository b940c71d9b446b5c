"""Pull-request report: metrics, params, data validation and plots of a revision against a base.

    python -m commands.report --base main [--rev REV] [--output pr-report]

Writes `<output>/report.md` and one PNG per plot, and exits 1 when a gated metric
(params.yaml `report.gate`) is worse than the base by more than its tolerance, or is missing.
Reads only Git-tracked files (metrics and plot tables are `cache: false`): no DVC remote needed.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from ml_pipeline.core import paths, progress
from ml_pipeline.core.config import GateRuleConfig, Params, parse_params
from ml_pipeline.core.errors import StageError, entry_point
from ml_pipeline.evaluation import plots
from ml_pipeline.evaluation.paired import Paired
from ml_pipeline.evaluation.plots import PLOT_SPECS, PLOT_TITLES
from ml_pipeline.reporting.charts import chart
from ml_pipeline.reporting.pages import folded, lead, slice_tables
from ml_pipeline.reporting.paired_rows import paired_for_report
from ml_pipeline.reporting.verdicts import verdict


def load_params_text(params_text: str) -> Params:
    return parse_params(yaml.safe_load(params_text) or {})


def load_gate(params_text: str) -> list[GateRuleConfig]:
    """The `report.gate` rules of a params.yaml text."""
    return load_params_text(params_text).report.gate


def gate_failures(diff: dict[str, dict], rules: list[GateRuleConfig]) -> list[str]:
    """One line per gated metric that regressed past its tolerance or disappeared."""
    metrics = diff.get(str(paths.METRICS), {})
    failures = []
    for rule in rules:
        entry = metrics.get(rule.metric)
        if entry is None or entry.get("old") is None:
            continue  # not a metric of this task, or new in this revision
        old, new = entry["old"], entry.get("new")
        if new is None:
            failures.append(f"{rule.metric}: missing in the new revision (was {old})")
            continue
        worse = (old - new) if rule.direction == "higher" else (new - old)
        if worse > rule.tolerance * abs(old):
            failures.append(
                f"{rule.metric}: {old} → {new} is worse than the base by more than "
                f"{rule.tolerance:.1%} (report.gate)"
            )
    return failures


def metrics_table(
    diff: dict[str, dict],
    noise: float | None,
    paired: dict[str, Paired] | None = None,
    gate: list[GateRuleConfig] | None = None,
) -> str:
    """Markdown table, old → new: every model metric, and the report values that changed.

    The last column says if a model metric got better or worse: a gated metric by more than its
    gate tolerance (one rule: the verdict is the gate's); a metric in `paired` beyond its paired
    95 % interval; any other by more than `noise`.
    """
    tolerance = {rule.metric: rule.tolerance for rule in gate or []}
    lines = ["| file | metric | base | new | delta | verdict |", "|---|---|---|---|---|---|"]
    unchanged = 0
    for file, metrics in sorted(diff.items()):
        for name, entry in sorted(metrics.items()):
            old, new, delta = entry.get("old"), entry.get("new"), entry.get("diff")
            if file != str(paths.METRICS) and old == new:
                unchanged += 1
                continue
            is_number = isinstance(delta, int | float)
            flag = ""
            if file == str(paths.METRICS) and name in tolerance and isinstance(old, int | float):
                flag = verdict(name, old, new, tolerance[name] * abs(old)) + " (report.gate)"
            elif file == str(paths.METRICS):
                flag = verdict(name, old, new, noise, (paired or {}).get(name))
            shown = f"{delta:+.6g}" if is_number else "—"
            lines.append(f"| {file} | {name} | {_fmt(old)} | {_fmt(new)} | {shown} | {flag} |")
    if unchanged:
        lines.append(f"\n{unchanged} unchanged report value(s) not shown.")
    return "\n".join(lines)


def params_table(diff: dict[str, dict]) -> str:
    rows = [
        f"| {name} | {_fmt(entry.get('old'))} | {_fmt(entry.get('new'))} |"
        for params in diff.values()
        for name, entry in sorted(params.items())
    ]
    if not rows:
        return "No parameter changed."
    return "\n".join(["| param | base | new |", "|---|---|---|", *rows])


def dataset_warning(base_params: str | None, new_params: str | None) -> list[str]:
    """A warning line when the two revisions' params.yaml name different datasets, else none."""
    texts = (base_params, new_params)
    names = [(yaml.safe_load(text or "{}") or {}).get("data", {}).get("name") for text in texts]
    if None in names or names[0] == names[1]:
        return []
    return [
        f"> **Different datasets**: base `{names[0]}`, new `{names[1]}` (data.name): the metrics "
        "and the gate compare different test sets; the verdicts say nothing of the model."
    ]


def cv_noise(new_metrics: dict[str, float]) -> float | None:
    """The CV standard deviation of the primary metric: the scale of run-to-run noise."""
    stds = [value for name, value in new_metrics.items() if name.endswith("_std")]
    return stds[0] if stds else None


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


# ---- I/O: git, dvc and plots ----------------------------------------------------------------


def read_at(rev: str | None, path: str) -> str | None:
    """A file's text at a Git revision (the working tree when `rev` is None), or None."""
    if rev is None:
        file = Path(path)
        return file.read_text() if file.is_file() else None
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def dvc_json(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args, "--json"], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise StageError(f"dvc {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout or "{}")


def plot_table(text: str | None) -> pd.DataFrame | None:
    """A plot table's rows, or None when the file is absent or has no rows (header only)."""
    frame = pd.read_csv(io.StringIO(text)) if text else None
    return None if frame is None or frame.empty else frame


def render_comparison(name: str, base: pd.DataFrame | None, new: pd.DataFrame, path: Path) -> None:
    """One PNG with the base (grey) and the new revision (blue): overlaid curves and scatters,
    side by side for a confusion matrix or a bar chart."""
    kind = PLOT_SPECS[name][0]
    frames = [
        (label, frame, colour)
        for label, frame, colour in [("base", base, "0.6"), ("new", new, "C0")]
        if frame is not None
    ]
    overlaid = kind in ("line", "scatter")
    fig, axes = plots.pyplot().subplots(1, 1 if overlaid else 2, figsize=(9, 4), dpi=90)
    for index, (label, frame, colour) in enumerate(frames):
        ax = axes if overlaid else axes[index if len(frames) == 2 else 1]
        plots.draw(ax, name, frame, colour, label)
        if not overlaid:
            ax.set_title(label)
    if overlaid:
        axes.legend()
    fig.suptitle(plots.title(name))
    plots.save(fig, path)


def page_sections(
    base: str,
    rev: str | None,
    metrics: dict,
    params: dict,
    failures: list[str],
    gate: list[GateRuleConfig],
) -> list[str]:
    """The report down to the plots: first what a reviewer needs (the gate, pages.lead), then
    the metrics, slices, parameters and registration, each folded."""
    head = rev or "workspace"
    new_metrics = json.loads(read_at(rev, str(paths.METRICS)) or "{}")
    base_metrics = json.loads(read_at(base, str(paths.METRICS)) or "{}")
    slices, base_slices = (json.loads(read_at(r, str(paths.SLICES)) or "{}") for r in (rev, base))
    primary = load_params_text(read_at(rev, str(paths.PARAMS)) or "{}").registration.primary_metric
    noise = cv_noise(new_metrics)
    raw = yaml.safe_load(read_at(rev, str(paths.PARAMS)) or "{}") or {}
    positive, seed = (raw.get("data") or {}).get("positive_label"), raw.get("seed", 0)
    paired, how = paired_for_report(base, rev, positive, seed)  # reporting/paired_rows.py
    change = verdict(
        primary, base_metrics.get(primary), new_metrics.get(primary), noise, paired.get(primary)
    )
    sections = [
        f"# Pipeline report: `{head}` vs `{base}`",
        *dataset_warning(read_at(base, str(paths.PARAMS)), read_at(rev, str(paths.PARAMS))),
        "**Gate: FAILED**\n\n" + "\n".join(f"- {line}" for line in failures)
        if failures
        else "**Gate: passed** (no gated metric worse than its tolerance)",
        lead(new_metrics, slices, primary, base_metrics, change),
        "## Metrics\n\n✅/❌: better/worse than the base by more than the CV standard deviation "
        f"({_fmt(noise)}), or where both revisions scored the same test rows, with a paired 95 % "
        f"interval that excludes zero; ≈: within it. A gated metric (report.gate) is judged by "
        f"its gate tolerance instead, the rule that decides the gate. Test rows: {how}.\n\n"
        + folded("Every metric, base → new", metrics_table(metrics, noise, paired, gate)),
        "## Slices\n\n"
        + folded(
            "Per slice: rows, 95 % intervals, disparities",
            slice_tables(slices, primary, base_slices or None),
        ),
        "## Parameters\n\n" + folded("Changed parameters", params_table(params)),
    ]
    registration = read_at(rev, str(paths.REGISTRATION))
    if registration:
        decided = json.loads(registration)
        shown = f"```json\n{json.dumps(decided, indent=2)}\n```"
        summary = f"{decided['decision']}: {decided['reasons'][0]}"
        sections.append("## Registration\n\n" + folded(summary, shown))
    return sections


def write_report(base: str, rev: str | None, output: Path) -> int:
    """Write the report; return the exit status (1 when the gate fails or base has no metrics)."""
    output.mkdir(parents=True, exist_ok=True)
    for name in filter(None, [base, rev]):
        known = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"], capture_output=True
        )
        if known.returncode != 0:
            raise StageError(f"unknown Git revision {name!r}")
    if read_at(base, str(paths.METRICS)) is None:
        print(f"report: error: {base} has no metrics.json to compare with", file=sys.stderr)
        return 1
    revs = [base, *([rev] if rev else [])]
    progress.note(f"report: dvc metrics diff and params diff {' '.join(revs)}")
    metrics = dvc_json("metrics", "diff", *revs, "--all")
    params = dvc_json("params", "diff", *revs)
    gate = load_gate(read_at(rev, str(paths.PARAMS)) or "{}")
    failures = gate_failures(metrics, gate)
    sections = page_sections(base, rev, metrics, params, failures, gate)
    images, charts = [], []
    for name in PLOT_SPECS:
        new_text, base_text = (
            read_at(rev, str(paths.PLOTS_DIR / name)),
            read_at(base, str(paths.PLOTS_DIR / name)),
        )
        new_frame, base_frame = plot_table(new_text), plot_table(base_text)
        if new_frame is None:  # not a plot of this model (e.g. no boosting: no learning curve)
            continue
        image = name.replace(".csv", ".png")
        progress.note(f"report: drawing {image}")
        render_comparison(name, base_frame, new_frame, output / image)
        images.append(f"`{image}`")
        charts.append(chart(name, *PLOT_SPECS[name], PLOT_TITLES[name], base_frame, new_frame))
    pngs = f"PNG versions (base grey, new blue): {', '.join(images)} in the `pipeline-report` "
    shown = "\n\n".join(charts) + f"\n\n{pngs}artifact of the workflow run."
    sections.append("## Plots\n\n" + folded(f"{len(charts)} charts, base and new", shown))
    (output / "report.md").write_text("\n\n".join(sections) + "\n")
    print(f"report: wrote {output / 'report.md'}" + (" (gate failed)" if failures else ""))
    return 1 if failures else 0


@entry_point("report")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="Git revision to compare against")
    parser.add_argument("--rev", default=None, help="Git revision to report (default: workspace)")
    parser.add_argument("--output", type=Path, default=paths.PR_REPORT_DIR)
    args = parser.parse_args(argv)
    return write_report(args.base, args.rev, args.output)


if __name__ == "__main__":
    raise SystemExit(main())
