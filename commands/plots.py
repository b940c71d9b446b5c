"""`dvc plots` pages that draw with no network: Vega from npm, beside the page, not from a CDN.

    python -m commands.plots show [-o DIR]     dvc plots show, made offline
    python -m commands.plots diff REV... [-o DIR]

DVC's page loads vega, vega-lite and vega-embed from a CDN and is blank offline. `make vega`
fetches them from the npm registry at pinned versions (commands/vendor.py) into `.tools/vega/`;
they are copied beside the page, and the page's script tags point at the copies.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from commands import vendor as npm_vendor
from ml_pipeline.core.errors import StageError, run_stage

CDN_SCRIPT = re.compile(r'<script src="https?://[^"]*/npm/(vega|vega-lite|vega-embed)@[^"]*">')


def script_name(package: str) -> str:
    return npm_vendor.script_name(npm_vendor.SETS["vega"], package)


def offline_page(html: str) -> str:
    """DVC's page with its CDN script tags pointing at the copies beside it."""
    page, count = CDN_SCRIPT.subn(lambda m: f'<script src="{script_name(m.group(1))}">', html)
    if count == 0 and "vegaEmbed" in html:
        raise StageError("dvc plots page: no Vega script tag found to replace (DVC changed?)")
    if "charset" not in page:  # DVC's page declares none: Vega's minus signs turn into mojibake
        page = page.replace("<head>", '<head>\n    <meta charset="utf-8">', 1)
    return page


def make_offline(output: Path, scripts: dict[str, Path]) -> Path:
    """Rewrite `output/index.html` and copy the scripts beside it."""
    page = output / "index.html"
    page.write_text(offline_page(page.read_text()))
    for path in scripts.values():
        shutil.copy2(path, output / path.name)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("show", "diff"):
        command = sub.add_parser(name, help=f"dvc plots {name}, offline")
        command.add_argument("revs", nargs="*", help="Git revisions (diff)")
        command.add_argument("-o", "--out", type=Path, default=Path("dvc_plots"))
    args = parser.parse_args(argv)
    scripts = npm_vendor.vendored("vega")
    dvc_plots = [
        sys.executable,
        "-m",
        "dvc",
        "plots",
        args.command,
        *args.revs,
        "-o",
        str(args.out),
    ]
    result = subprocess.run(dvc_plots, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()
        raise StageError(f"dvc plots {args.command} failed: {lines[-1]}")
    page = make_offline(args.out, scripts)
    print(f"plots: {page.resolve().as_uri()} (works offline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_stage("plots", main) or 0)
