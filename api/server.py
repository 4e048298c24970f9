"""Running the server with uvicorn."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from api import db
from api.settings import Settings


def app_factory():
    from api.app import create_app

    return create_app()


async def _prepare(settings: Settings, demo: bool) -> str | None:
    await db.migrate(settings.database_url)
    if not demo:
        return None
    from api.demo import ensure_demo_shop

    await db.connect(settings.database_url)
    try:
        _, secret = await ensure_demo_shop()
    finally:
        await db.disconnect()
    return secret


def serve(settings: Settings, *, host: str, port: int, workers: int = 1, demo: bool = False) -> None:
    if workers > 1 and not db.is_postgres(settings.database_url):
        raise ValueError("--workers above 1 needs DATABASE_URL on PostgreSQL (SQLite is one process)")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    secret = asyncio.run(_prepare(settings, demo))
    if secret:
        print("Demo shop ready (plan ADVANCED, currency USD).")
        print(f"  ADMIN key: {secret}")
        print(f"  GraphiQL:  http://{host}:{port}/graphql")
        print('  In GraphiQL, set the header {"Authorization": "Bearer <ADMIN key>"}.', flush=True)
    uvicorn.run(
        "api.server:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="asyncio",
        log_level="info",
    )
