"""Browser scripts from the npm registry at pinned versions, checked against their sha512.

python -m commands.vendor vega|mermaid    fetch a set into .tools/<set>/ (make vega, ...)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from ml_pipeline.core.errors import StageError, run_stage

# npm package → (version, file in the package, the tarball's sha512 as npm reports it)
Packages = dict[str, tuple[str, str, str]]
SETS: dict[str, Packages] = {
    # the scripts DVC's plots page loads from a CDN
    "vega": {
        "vega": (
            "5.33.1",
            "build/vega.min.js",
            # pragma: allowlist nextline secret (an npm sha512, public)
            "1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
        ),
        "vega-lite": (
            "5.23.0",
            "build/vega-lite.min.js",
            # pragma: allowlist nextline secret (an npm sha512, public)
            "l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
        ),
        "vega-embed": (
            "6.29.0",
            "build/vega-embed.min.js",
            # pragma: allowlist nextline secret (an npm sha512, public)
            "PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
        ),
    },
    # renders the report's Mermaid charts in the browser test, as GitHub renders them
    "mermaid": {
        "mermaid": (
            "11.17.2",
            "dist/mermaid.min.js",
            # pragma: allowlist nextline secret (an npm sha512, public)
            "V6K3C8EBdEsPFZXSKMJe6ppQOENxuHARr9GvHX4hh47lAbhMRD9qf4oEK7LoaRQxULMa80/qt5gHO73aCleBBg==",
        ),
    },
}
TOOLS = Path(".tools")


def script_name(packages: Packages, package: str) -> str:
    return Path(packages[package][1]).name


def vendored(name: str, root: Path = TOOLS) -> dict[str, Path]:
    """The vendored script of each package of set `name`; an error naming `make <name>`."""
    packages = SETS[name]
    scripts = {package: root / name / script_name(packages, package) for package in packages}
    missing = [str(path) for path in scripts.values() if not path.is_file()]
    if missing:
        raise StageError(f"{missing[0]}: not vendored; run: make {name} (needs npm)")
    return scripts


def vendor(name: str, root: Path = TOOLS) -> dict[str, Path]:
    """`npm pack` each pinned package of set `name`, check its sha512, extract its script."""
    if shutil.which("npm") is None:
        raise StageError("npm not found: install Node.js (apt-get install -y npm) and re-run")
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for package, (version, member, integrity) in SETS[name].items():
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
    return vendored(name, root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=sorted(SETS))
    args = parser.parse_args(argv)
    scripts = vendor(args.set)
    print(f"vendored {', '.join(str(p) for p in scripts.values())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_stage("vendor", main) or 0)
