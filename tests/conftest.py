"""One suite in three rings, for both databases: DATABASE_URL picks SQLite (default) or
PostgreSQL.

- tests/unit: the pure core and other code with no database; it runs in seconds.
- tests/integration: the engine's units of work on a real database (concurrency included).
- tests/api: everything through HTTP, websockets, the command line or a browser.

The integration and API rings get a database of their own for the session (a temporary
SQLite file, or a fresh PostgreSQL database created beside the one DATABASE_URL names,
dropped at the end), migrated once; every test makes its own shop, and shops never see each
other, so tests need no cleaning between them. The unit ring never asks for one.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from hypothesis import settings

from api import db
from api.app import create_app
from api.settings import Settings
from tests.databases import own_database
from tests.support import ShopFactory

# Hypothesis keeps no example database in the working tree: a run leaves no files behind.
settings.register_profile("suite", database=None)
settings.load_profile("suite")


@pytest_asyncio.fixture(scope="session")
async def database_url():
    async with own_database(Path(tempfile.mkdtemp(prefix="milestones-test-"))) as url:
        yield url


@pytest.fixture
def server_database(database_url, tmp_path) -> str:
    """For a real server process: on PostgreSQL the suite's database; on SQLite a file of the
    server's own (SQLite is one process)."""
    return database_url if db.is_postgres(database_url) else f"sqlite://{tmp_path}/served.sqlite3"


@pytest_asyncio.fixture(scope="session")
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
