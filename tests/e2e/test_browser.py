"""What people see, in a real headless browser, after a `tiny` run: the MLflow UI's runs table
with the headline metric, the model page with its `champion` alias, the version page with the
model card; the offline `dvc plots` page drawing its charts; the PR report's Mermaid charts.

Screenshots go to reports/screenshots/ (CI keeps them as an artifact).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands import vendor as npm_vendor
from ml_pipeline.tracking.ui import runs_page
from tests.browser import browser, find_browser
from tests.conftest import pipeline_env, run
from tests.services import free_port, served

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "reports" / "screenshots"
MODEL = "ml-pipeline-tiny"


@pytest.fixture(scope="module")
def ran(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dvc repro` on tiny in a copy with its own embedded store, committed for the report."""
    repo = tmp_path_factory.mktemp("browser") / "repo"
    shutil.copytree(template_repo, repo, symlinks=True)
    assert "register: champion" in run(["dvc", "repro"], repo).stdout
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "tiny run"], repo)
    return repo


@pytest.fixture(scope="module")
def ui(ran: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mlflow server` on the copy's store, on a free loopback port."""
    port, log = free_port(), tmp_path_factory.mktemp("ui") / "mlflow.log"
    env = pipeline_env() | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    command = [str(Path(sys.executable).parent / "mlflow"), "server", "--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{ran}/mlflow.db", "-h", "127.0.0.1"]
    url = f"http://127.0.0.1:{port}"
    with served([*command, "-p", str(port)], f"{url}/health", log, ran, env, seconds=180):
        yield url


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    binary = find_browser()
    if binary is None:
        pytest.fail("no chromium/chrome on PATH: apt-get install -y chromium (.ci/run does)")
    with browser(binary, tmp_path_factory.mktemp("browser") / "chromium.log") as tab:
        yield tab


def vendored(name: str) -> dict[str, Path]:
    try:
        return npm_vendor.vendored(name, ROOT / ".tools")
    except Exception:
        return npm_vendor.vendor(name, ROOT / ".tools")


def test_runs_table_shows_the_run_with_its_headline_metric(ran: Path, ui: str, page) -> None:
    run_id = json.loads((ran / "models/run.json").read_text())["run_id"]
    experiment = json.loads((ran / "models/run.json").read_text())["experiment_id"]
    roc_auc = json.loads((ran / "metrics.json").read_text())["roc_auc"]
    page.goto(runs_page(ui, experiment), width=1600, height=700)
    page.wait_until("document.body.innerText.includes('roc_auc')")
    text = page.wait_until(
        f"document.body.innerText.includes('{roc_auc}') && document.body.innerText"
    )
    assert "Model training" in text and "Runs" in text
    assert "Traces\\n0" not in text  # not the GenAI overview
    assert "1 matching run" in text and run_id
    page.screenshot(SHOTS / "mlflow-runs.png")


def test_model_page_shows_the_champion_alias(ui: str, page) -> None:
    page.goto(f"{ui}/#/models/{MODEL}", width=1400, height=600)
    text = page.wait_until(
        "document.body.innerText.includes('champion') && document.body.innerText"
    )
    assert "Version 1" in text or "v1" in text.lower()
    assert "Predicts `income`" in text or "Predicts income" in text  # the model's description
    page.screenshot(SHOTS / "mlflow-model.png")


def test_version_page_shows_the_model_card(ui: str, page) -> None:
    page.goto(f"{ui}/#/models/{MODEL}/versions/1", width=1400, height=1300)
    text = page.wait_until(
        "document.body.innerText.includes('Intended use') && document.body.innerText"
    )
    for part in ("Limitations", "<=50K", "cv_accuracy (CV mean ± std)", "champion"):
        assert part in text, part
    headings = page.evaluate("[...document.querySelectorAll('h3')].map(h => h.innerText)")
    assert "Intended use" in headings  # rendered as Markdown, not shown as plain text
    page.screenshot(SHOTS / "mlflow-model-card.png")


def test_plots_page_draws_offline(ran: Path, page) -> None:
    tools = ran / ".tools"
    tools.mkdir(exist_ok=True)
    shutil.copytree(vendored("vega")["vega"].parent, tools / "vega", dirs_exist_ok=True)
    run([sys.executable, "-m", "commands.plots", "show"], ran)
    index = ran / "dvc_plots" / "index.html"
    assert "cdn.jsdelivr" not in index.read_text()
    page.goto(index.as_uri(), width=1300, height=1250)
    charts = "document.querySelectorAll('.vega-embed canvas, .vega-embed svg.marks').length"
    # confusion, roc, precision-recall, importance, learning curve
    assert page.wait_until(f"{charts} >= 5 && {charts}") >= 5
    assert page.evaluate("typeof vegaEmbed") == "function"
    page.screenshot(SHOTS / "dvc-plots.png")


def test_report_charts_render_as_mermaid(ran: Path, page, tmp_path: Path) -> None:
    run([sys.executable, "-m", "commands.report", "--base", "HEAD", "--output", "pr"], ran)
    markdown = (ran / "pr" / "report.md").read_text()
    blocks = re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.S)
    assert len(blocks) == 5  # roc, precision-recall, importance, learning curve, reliability
    assert "](roc.png)" not in markdown  # no image link that a comment cannot show
    script = vendored("mermaid")["mermaid"]
    body = "".join(f'<pre class="mermaid">{html.escape(b)}</pre>' for b in blocks)
    (tmp_path / "mermaid.min.js").write_bytes(script.read_bytes())
    (tmp_path / "report.html").write_text(
        f'<html><body style="width:900px">{body}<script src="mermaid.min.js"></script>'
        "<script>mermaid.initialize({startOnLoad: false});"
        "window.done = mermaid.run().then(() => 'ok', e => String(e));</script></body></html>"
    )
    page.goto((tmp_path / "report.html").as_uri(), width=950, height=1700)
    assert page.wait_until("window.done") == "ok"
    charts = page.evaluate("document.querySelectorAll('pre.mermaid svg').length")
    errors = page.evaluate("document.body.innerText.includes('Syntax error')")
    assert charts == len(blocks) and not errors
    page.screenshot(SHOTS / "pr-report-charts.png")


def test_screenshots_are_not_blank() -> None:
    """A blank page compresses to almost nothing; every view drew something."""
    for name in ("mlflow-runs", "mlflow-model", "mlflow-model-card", "dvc-plots"):
        shot = SHOTS / f"{name}.png"
        assert shot.is_file() and shot.stat().st_size > 20_000, name
