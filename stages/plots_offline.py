"""`dvc plots` pages that draw with no network: Vega from npm, beside the page, not from a CDN.

    python -m stages.plots_offline vendor            fetch the pinned Vega scripts into .tools/vega/
    python -m stages.plots_offline show [-o DIR]     dvc plots show, made offline
    python -m stages.plots_offline diff REV... [-o DIR]

DVC's page loads vega, vega-lite and vega-embed from a CDN and is blank offline. The scripts come
from the npm registry at pinned versions (checked against their sha512) into `.tools/vega/`, are
copied beside the page, and the page's script tags point at the copies.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from stages.errors import StageError, run_stage

VENDOR_DIR = Path(".tools/vega")
# npm package → (version, file in the package, the tarball's sha512 as npm reports it)
PACKAGES: dict[str, tuple[str, str, str]] = {
    "vega": (
        "5.33.1",
        "build/vega.min.js",
        "1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
    ),
    "vega-lite": (
        "5.23.0",
        "build/vega-lite.min.js",
        "l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
    ),
    "vega-embed": (
        "6.29.0",
        "build/vega-embed.min.js",
        "PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
    ),
}
CDN_SCRIPT = re.compile(r'<script src="https?://[^"]*/npm/(vega|vega-lite|vega-embed)@[^"]*">')


def script_name(package: str) -> str:
    return Path(PACKAGES[package][1]).name


def vendored(directory: Path = VENDOR_DIR) -> dict[str, Path]:
    """The vendored script of each package; an error naming `make vega` if one is missing."""
    scripts = {package: directory / script_name(package) for package in PACKAGES}
    missing = [str(path) for path in scripts.values() if not path.is_file()]
    if missing:
        raise StageError(f"{missing[0]}: Vega scripts not vendored; run: make vega (needs npm)")
    return scripts


def vendor(directory: Path = VENDOR_DIR) -> dict[str, Path]:
    """`npm pack` each pinned package, check its sha512, extract its minified script."""
    if shutil.which("npm") is None:
        raise StageError("npm not found: install Node.js (apt-get install -y npm) and re-run")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for package, (version, member, integrity) in PACKAGES.items():
            packed = subprocess.run(
                ["npm", "pack", f"{package}@{version}", "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
            )
            if packed.returncode != 0:
                lines = (packed.stderr.strip() or "no output").splitlines()
                raise StageError(f"npm pack {package}@{version} failed: {lines[-1]}")
            tarball = Path(tmp) / packed.stdout.strip().splitlines()[-1]
            digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
            if digest != integrity:
                raise StageError(f"{package}@{version}: sha512 differs from the pinned one")
            with tarfile.open(tarball) as archive:
                source = archive.extractfile(f"package/{member}")
                if source is None:
                    raise StageError(f"{package}@{version}: no file {member} in the package")
                (directory / Path(member).name).write_bytes(source.read())
    return vendored(directory)


def offline_page(html: str) -> str:
    """DVC's page with its CDN script tags pointing at the copies beside it."""
    page, count = CDN_SCRIPT.subn(lambda m: f'<script src="{script_name(m.group(1))}">', html)
    if count == 0 and "vegaEmbed" in html:
        raise StageError("dvc plots page: no Vega script tag found to replace (DVC changed?)")
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
    sub.add_parser("vendor", help="fetch the pinned Vega scripts into .tools/vega/")
    for name in ("show", "diff"):
        command = sub.add_parser(name, help=f"dvc plots {name}, offline")
        command.add_argument("revs", nargs="*", help="Git revisions (diff)")
        command.add_argument("-o", "--out", type=Path, default=Path("dvc_plots"))
    args = parser.parse_args(argv)
    if args.command == "vendor":
        scripts = vendor()
        print(f"plots: vendored {', '.join(str(p) for p in scripts.values())}")
        return 0
    scripts = vendored()
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
