"""Offline `dvc plots` pages, per-revision colour scales, sorted importance, captioned PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from dvc_render.html import PAGE_HTML
from dvc_render.vega import VegaRenderer

from commands import plots as plots_offline
from commands import vendor as npm_vendor
from ml_pipeline.core.errors import StageError
from ml_pipeline.evaluation.plots import plot_title

ROOT = Path(__file__).resolve().parents[2]


def test_dvc_page_loads_every_vega_script_from_beside_it() -> None:
    page = PAGE_HTML.replace("{scripts}", VegaRenderer.SCRIPTS).replace("{plot_divs}", "vegaEmbed")
    assert "cdn.jsdelivr.net" in page  # what DVC writes: blank with no network
    offline = plots_offline.offline_page(page)
    assert "http" not in offline
    assert '<meta charset="utf-8">' in offline
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        assert f'<script src="{name}">' in offline


def test_a_page_whose_script_tags_changed_is_an_error_not_a_blank_page() -> None:
    with pytest.raises(StageError, match="no Vega script tag"):
        plots_offline.offline_page("<script src='elsewhere.js'></script> vegaEmbed('#a', s)")


def test_missing_vendored_scripts_name_the_make_target(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="make vega"):
        npm_vendor.vendored("vega", tmp_path)


def test_make_offline_copies_the_scripts_beside_the_page(tmp_path: Path) -> None:
    vendor = tmp_path / "vega"
    vendor.mkdir()
    for package in npm_vendor.SETS["vega"]:
        (vendor / plots_offline.script_name(package)).write_text(f"/* {package} */")
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text(VegaRenderer.SCRIPTS + "vegaEmbed")
    plots_offline.make_offline(out, npm_vendor.vendored("vega", tmp_path))
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html",
        "vega-embed.min.js",
        "vega-lite.min.js",
        "vega.min.js",
    ]


def test_confusion_matrices_of_two_revisions_have_their_own_colour_scale() -> None:
    plots = {
        next(iter(p)): next(iter(p.values()))
        for p in yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    }
    template = plots["reports/plots/confusion.csv"]["template"]
    spec = json.loads((ROOT / ".dvc/plots" / f"{template}.json").read_text())
    assert spec["resolve"]["scale"]["color"] == "independent"
    shares = [s for s in spec["spec"]["transform"] if "joinaggregate" in s]
    assert shares and all(s["groupby"] == ["rev"] for s in shares)
    assert plots["reports/plots/importance.csv"]["template"] == "bar_horizontal_sorted"


def test_png_titles_name_the_plot_and_carry_the_caption() -> None:
    assert plot_title("roc.csv", "adult · hgb · roc_auc 0.92") == (
        "ROC curve (test split)\nadult · hgb · roc_auc 0.92"
    )
    assert plot_title("roc.csv", "") == "ROC curve (test split)"
