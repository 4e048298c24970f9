"""Databases the scenarios start from, built once through the engine and then copied.

A built database is kept in bench/results/cache under a key made of the sources that shape it
(the engine, the models, the migrations, the builder), so a changed engine builds afresh and
an unchanged one is not rebuilt on every run.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from api import db

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "results" / "cache"
SHAPING = ["engine", "models", "migrations", "bench/shop.py", "bench/datasets.py"]


def source_key(*extra: object) -> str:
    digest = hashlib.sha256(repr(extra).encode())
    for name in SHAPING:
        path = ROOT / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


async def _build(url: str, builder: Callable[[], Awaitable[dict]]) -> dict:
    await db.migrate(url)
    await db.connect(url)
    try:
        return await builder()
    finally:
        await db.disconnect()


def sqlite_dataset(
    name: str, target: Path, builder: Callable[[], Awaitable[dict]], *key: object
) -> tuple[dict, float]:
    """Copy the cached database `name` (built by `builder` when missing) to `target`; the
    builder's facts and the seconds spent building (0 when cached)."""
    import json

    cached = CACHE / f"{name}-{source_key(name, *key)}.sqlite3"
    facts_path = cached.with_suffix(".json")
    spent = 0.0
    if not cached.exists() or not facts_path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        for stale in CACHE.glob(f"{name}-*"):
            stale.unlink()
        building = cached.with_suffix(".building")
        for file in sqlite_files(building):
            file.unlink(missing_ok=True)
        started = time.perf_counter()
        facts = asyncio.run(_build(f"sqlite://{building}", builder))
        spent = time.perf_counter() - started
        facts_path.write_text(json.dumps(facts))
        building.rename(cached)
    shutil.copyfile(cached, target)
    return json.loads(facts_path.read_text()), spent
