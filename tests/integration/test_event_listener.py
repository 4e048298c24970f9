"""The PostgreSQL listener: wakes this process for commits, and survives losing its connection."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest

from api import db
from api.event_listener import PostgresListener, asyncpg_dsn, parse_notification
from delivery.hub import EventHub
from tests.event_support import append_event

postgres_only = pytest.mark.skipif(
    not db.is_postgres(os.environ.get("DATABASE_URL", "")), reason="LISTEN needs PostgreSQL"
)


def test_notifications_name_a_shop_and_a_seq():
    assert parse_notification("12:345") == (12, 345)
    assert parse_notification("12:") is None
    assert parse_notification("garbage") is None


async def woken(watcher: asyncio.Event, seconds: float = 5.0) -> bool:
    try:
        await asyncio.wait_for(watcher.wait(), seconds)
    except TimeoutError:
        return False
    return True


@postgres_only
async def test_the_listener_hears_commits_and_reconnects_after_its_connection_is_killed(
    shops, database
):
    shop = await shops()
    hub = EventHub()
    watcher = hub.watch()
    listener = PostgresListener(database, hub)
    listener.start()
    try:
        await asyncio.wait_for(listener.connected.wait(), 10)
        watcher.clear()
        await append_event(shop.id, announce=False)
        assert await woken(watcher)

        killed = listener.server_pid
        admin = await asyncpg.connect(asyncpg_dsn(database))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", killed)
        finally:
            await admin.close()
        for _ in range(500):
            if listener.connected.is_set() and listener.server_pid != killed:
                break
            await asyncio.sleep(0.02)
        assert listener.server_pid != killed and listener.connected.is_set()
        watcher.clear()
        await append_event(shop.id, announce=False)
        assert await woken(watcher)
    finally:
        await listener.stop()
