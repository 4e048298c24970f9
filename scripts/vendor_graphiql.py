#!/usr/bin/env python3
"""Refresh or check the GraphiQL assets the server serves itself (api/static/graphiql/).

The GraphiQL page loads nothing from a third party: React, ReactDOM and GraphiQL are kept in
the repository at the versions pinned below, each file with its SHA-256 in assets.json beside
it, together with the npm integrity of the package it came from.

    python3 scripts/vendor_graphiql.py --check   # offline: every file matches assets.json
    python3 scripts/vendor_graphiql.py           # npm pack the pinned versions, rewrite all

Refreshing needs `npm` (it fetches the packages from the npm registry and checks their
integrity); change a version below, run it, and commit the files it wrote.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESTINATION = ROOT / "api" / "static" / "graphiql"
MANIFEST = DESTINATION / "assets.json"

PACKAGES = {"react": "18.2.0", "react-dom": "18.2.0", "graphiql": "3.8.3"}
# (package, file inside the package, name served under /graphiql/)
FILES = [
    ("react", "umd/react.production.min.js", "react.production.min.js"),
    ("react", "LICENSE", "react.LICENSE.txt"),
    ("react-dom", "umd/react-dom.production.min.js", "react-dom.production.min.js"),
    ("react-dom", "LICENSE", "react-dom.LICENSE.txt"),
    ("graphiql", "graphiql.min.js", "graphiql.min.js"),
    ("graphiql", "graphiql.min.css", "graphiql.min.css"),
    ("graphiql", "LICENSE", "graphiql.LICENSE.txt"),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def problems(directory: Path = DESTINATION) -> list[str]:
    """What does not match the manifest: missing files, changed files, files it does not list."""
    manifest = json.loads((directory / "assets.json").read_text())
    found = []
    for name, entry in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            found.append(f"{name}: missing")
        elif sha256(path) != entry["sha256"]:
            found.append(f"{name}: sha256 {sha256(path)} is not the pinned {entry['sha256']}")
    ours = {"assets.json", "index.html", "page.css", "start.js"}
    for path in sorted(directory.iterdir()):
        if path.name not in manifest["files"] and path.name not in ours:
            found.append(f"{path.name}: not in assets.json")
    return found


def _pack(package: str, version: str, workdir: Path) -> tuple[Path, str]:
    """`npm pack` one pinned package (npm checks its integrity); the tarball and that integrity."""
    result = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--json", "--silent"],
        cwd=workdir, capture_output=True, text=True, check=True, timeout=300,
    )
    (packed,) = json.loads(result.stdout)
    return workdir / packed["filename"], packed["integrity"]


def refresh() -> None:
    manifest: dict = {"packages": {}, "files": {}}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        tarballs = {}
        for package, version in PACKAGES.items():
            tarballs[package], integrity = _pack(package, version, workdir)
            manifest["packages"][package] = {"version": version, "integrity": integrity}
        DESTINATION.mkdir(parents=True, exist_ok=True)
        for package, source, name in FILES:
            with tarfile.open(tarballs[package]) as archive:
                member = archive.extractfile(f"package/{source}")
                if member is None:
                    raise SystemExit(f"{package}@{PACKAGES[package]} has no {source}")
                with (DESTINATION / name).open("wb") as out:
                    shutil.copyfileobj(member, out)
            manifest["files"][name] = {
                "package": package,
                "version": PACKAGES[package],
                "source": source,
                "sha256": sha256(DESTINATION / name),
            }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {len(FILES)} files and {MANIFEST.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the files offline")
    args = parser.parse_args()
    if not args.check:
        refresh()
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print("GraphiQL assets match assets.json")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
