"""Database configuration: one URL chooses SQLite (default) or PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise

from api.settings import DEFAULT_DATABASE_URL

SQLITE_PRAGMAS = {"journal_mode": "WAL", "busy_timeout": "10000", "synchronous": "NORMAL"}
POSTGRES_POOL = {"minsize": "1", "maxsize": "10"}


def normalize_url(url: str) -> str:
    """Add the defaults this service relies on: SQLite pragmas, a PostgreSQL pool size."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        for key, value in SQLITE_PRAGMAS.items():
            query.setdefault(key, value)
        path = url.split("://", 1)[1].split("?", 1)[0]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite://{path}?{urlencode(query)}"
    if parts.scheme in ("postgres", "postgresql", "asyncpg"):
        for key, value in POSTGRES_POOL.items():
            query.setdefault(key, value)
        return urlunsplit(("postgres", parts.netloc, parts.path, urlencode(query), ""))
    raise ValueError(f"unsupported DATABASE_URL scheme: {parts.scheme!r}")


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "asyncpg")


def tortoise_config(url: str) -> dict:
    return {
        "connections": {"default": normalize_url(url)},
        "apps": {
            "models": {
                "models": ["models"],
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str):
    # `TORTOISE_ORM`, for the `tortoise` command line (makemigrations), is built on first use:
    # building it at import would make a bad DATABASE_URL fail every importer with a traceback.
    if name == "TORTOISE_ORM":
        return tortoise_config(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


async def migrate(url: str) -> None:
    """Apply the shipped migrations to the database at `url`, then close the connections."""
    from tortoise.migrations.api.migrate import migrate as run

    try:
        await run(config=tortoise_config(url))
    finally:
        await Tortoise.close_connections()


async def connect(url: str) -> None:
    """Connect for the whole process: requests run in other tasks than the lifespan, so the
    context is also the global fallback."""
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)


async def disconnect() -> None:
    await Tortoise.close_connections()
