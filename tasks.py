#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+ and pip.

    python3 tasks.py demo     # install into .venv, start the server on SQLite with a demo shop
    python3 tasks.py test     # install into .venv, run the whole test suite

Each command creates `.venv/` and installs the project into it on first use (again whenever
pyproject.toml changes). Extra arguments go to the server or to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except subprocess.CalledProcessError:
            # A Python without ensurepip (Debian without python3-venv): this pip serves .venv.
            venv.EnvBuilder(with_pip=False, clear=True).create(VENV)
    print("Installing dependencies into .venv ...", flush=True)
    pip = [*_pip(), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def _pip() -> list[str]:
    """.venv's own pip, or else this interpreter's pip pointed at .venv."""
    own = subprocess.run([str(PYTHON), "-m", "pip", "--version"], capture_output=True)
    if own.returncode == 0:
        return [str(PYTHON), "-m", "pip"]
    return [sys.executable, "-m", "pip", "--python", str(PYTHON)]


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test", "serve", "bench"):
        print(__doc__.strip())
        return 2
    command, extra = sys.argv[1], sys.argv[2:]
    ensure_environment()
    os.chdir(ROOT)
    if command == "demo":
        args = [str(BIN / "milestones"), "serve", "--demo", *extra]
    elif command == "serve":
        args = [str(BIN / "milestones"), "serve", *extra]
    elif command == "bench":
        args = [str(PYTHON), "-m", "bench", *extra]
    else:
        args = [str(PYTHON), "-m", "pytest", *extra]
    try:
        return subprocess.call(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
