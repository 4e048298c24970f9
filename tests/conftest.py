"""One suite for both databases: DATABASE_URL picks SQLite (default) or PostgreSQL.

The database is migrated once per session; every test makes its own shop, and shops never
see each other, so tests need no cleaning between them.
"""

from __future__ import annotations

import os
import tempfile

import asyncpg
import httpx
import pytest
import pytest_asyncio
from tortoise import Tortoise

from api import db
from api.app import create_app
from api.settings import Settings
from tests.support import ShopFactory


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    directory = tempfile.mkdtemp(prefix="milestones-test-")
    return f"sqlite://{directory}/test.sqlite3"


async def _reset_postgres(url: str) -> None:
    conn = await asyncpg.connect(url.split("?", 1)[0].replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> str:
    return _database_url()


@pytest_asyncio.fixture(scope="session", autouse=True)
async def database(database_url: str):
    if db.is_postgres(database_url):
        await _reset_postgres(database_url)
    await db.migrate(database_url)
    await db.connect(database_url)
    yield database_url
    await Tortoise.close_connections()


@pytest.fixture(scope="session")
def app(database):
    return create_app(Settings(database_url=database), manage_database=False)


@pytest_asyncio.fixture(scope="session")
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def shops(http) -> ShopFactory:
    return ShopFactory(http)
