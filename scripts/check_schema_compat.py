#!/usr/bin/env python3
"""Fail when schema.graphql breaks clients and BREAKING.md does not explain it.

Compares the working tree's schema.graphql with the one at a base revision: `--base REF`, else
`$SCHEMA_BASE_REF`, else the last tag, else the parent commit. Each breaking change that
graphql-core finds must be quoted in BREAKING.md (the line this script prints, in an entry that
says why and what clients should do). Dangerous changes are printed and pass. Without a base to
compare with (a shallow clone, the first commit, no schema there yet) the check says so and passes.

    python3 scripts/check_schema_compat.py [--base REF]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from graphql import build_schema
from graphql.utilities import find_breaking_changes, find_dangerous_changes

SCHEMA = "schema.graphql"
BREAKING_NOTES = "BREAKING.md"


def _git(root: Path, *args: str) -> str | None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def base_ref(root: Path, requested: str | None) -> str | None:
    if requested:
        return requested
    tag = _git(root, "describe", "--tags", "--abbrev=0", "HEAD")
    if tag and tag.strip():
        return tag.strip()
    return "HEAD~1" if _git(root, "rev-parse", "--verify", "--quiet", "HEAD~1") else None


def _normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip().lower()


def unexplained_breaks(old_sdl: str, new_sdl: str, notes: str) -> tuple[list[str], list[str]]:
    """The breaking changes `notes` does not quote, and every dangerous change."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    explained = _normalized(notes)
    breaking = [c.description for c in find_breaking_changes(old, new)]
    dangerous = [c.description for c in find_dangerous_changes(old, new)]
    return [d for d in breaking if _normalized(d) not in explained], dangerous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=os.environ.get("SCHEMA_BASE_REF") or None)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)

    ref = base_ref(args.root, args.base)
    old_sdl = _git(args.root, "show", f"{ref}:{SCHEMA}") if ref else None
    if old_sdl is None:
        print(f"schema check: no {SCHEMA} at a base revision ({ref or 'none'}); nothing to compare")
        return 0
    new_sdl = (args.root / SCHEMA).read_text()
    notes_path = args.root / BREAKING_NOTES
    notes = notes_path.read_text() if notes_path.is_file() else ""
    missing, dangerous = unexplained_breaks(old_sdl, new_sdl, notes)
    for description in dangerous:
        print(f"schema check: dangerous (allowed): {description}")
    if missing:
        print(f"schema check: breaking changes since {ref} not explained in {BREAKING_NOTES}:")
        for description in missing:
            print(f"  - {description}")
        print(f"Quote each line above in a {BREAKING_NOTES} entry: why, and what clients do.")
        return 1
    print(f"schema check: no unexplained breaking change since {ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
