"""One suite for both databases: DATABASE_URL picks SQLite (default) or PostgreSQL.

Each session gets a database of its own (a temporary SQLite file, or a fresh PostgreSQL
database created beside the one DATABASE_URL names, dropped at the end), migrated once; every
test makes its own shop, and shops never see each other, so tests need no cleaning between them.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio

from api import db
from api.app import create_app
from api.settings import Settings
from tests.support import ShopFactory


def _asyncpg_dsn(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="session")
async def database_url():
    base = os.environ.get("DATABASE_URL")
    if not base or not db.is_postgres(base):
        directory = tempfile.mkdtemp(prefix="milestones-test-")
        yield f"sqlite://{directory}/test.sqlite3"
        return
    name = f"milestones_test_{os.getpid()}_{secrets.token_hex(4)}"
    parts = urlsplit(base)
    await _admin(base, f'CREATE DATABASE "{name}"')
    yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def server_database(database_url, tmp_path) -> str:
    """For a real server process: on PostgreSQL the suite's database; on SQLite a file of the
    server's own (SQLite is one process)."""
    return database_url if db.is_postgres(database_url) else f"sqlite://{tmp_path}/served.sqlite3"


@pytest_asyncio.fixture(scope="session", autouse=True)
async def database(database_url: str):
    await db.migrate(database_url)
    await db.connect(database_url)
    yield database_url
    await db.disconnect()


@pytest.fixture(scope="session")
def app(database):
    # Rate limiting has tests of its own; the suite's many calls per key would trip it.
    return create_app(Settings(database_url=database, rate_limit_per_second=0), manage_database=False)


@pytest_asyncio.fixture(scope="session")
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def shops(http) -> ShopFactory:
    return ShopFactory(http)
