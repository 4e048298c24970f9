"""Databases of their own: a temporary SQLite file, or a fresh PostgreSQL database created beside
the one DATABASE_URL names and dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from api import db


def _asyncpg_dsn(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _postgres_base() -> str | None:
    base = os.environ.get("DATABASE_URL")
    return base if base and db.is_postgres(base) else None


def _beside(base: str, label: str) -> tuple[str, str]:
    """A new database's name, and its URL on the server `base` names."""
    name = f"milestones_{label}_{os.getpid()}_{secrets.token_hex(4)}"
    parts = urlsplit(base)
    return name, urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


@contextlib.asynccontextmanager
async def own_database(directory: Path, label: str = "test") -> AsyncIterator[str]:
    """The URL of an empty database that nothing else uses."""
    base = _postgres_base()
    if base is None:
        yield f"sqlite://{directory}/{label}.sqlite3"
        return
    name, url = _beside(base, label)
    await _admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def own_database_sync(directory: Path, label: str) -> Iterator[str]:
    """`own_database` for code that runs outside an event loop."""
    base = _postgres_base()
    if base is None:
        yield f"sqlite://{directory}/{label}.sqlite3"
        return
    name, url = _beside(base, label)
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield url
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
