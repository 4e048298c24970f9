"""Wake-ups from other processes: PostgreSQL LISTEN on the events channel.

Writers queue `pg_notify` inside their transaction, so a notification means committed events.
The listener holds a dedicated connection (not one of the pool's) and reconnects when it
drops; after any reconnect it wakes every follower, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from delivery.hub import EventHub
from engine.services.event_log import NOTIFY_CHANNEL

log = logging.getLogger("milestones.events")
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
PING_SECONDS = 15.0


def asyncpg_dsn(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def parse_notification(payload: str) -> tuple[int, int] | None:
    shop, _, seq = payload.partition(":")
    if not (shop.isdigit() and seq.isdigit()):
        return None
    return int(shop), int(seq)


class PostgresListener:
    def __init__(self, database_url: str, hub: EventHub) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.hub = hub
        self.connected = asyncio.Event()
        self.server_pid: int | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="events-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _on_notify(self, conn, pid, channel, payload: str) -> None:
        parsed = parse_notification(payload)
        if parsed is not None:
            self.hub.committed(*parsed)

    async def _until_lost(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        # A silently dead network never fires the termination listener: ping now and then.
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), PING_SECONDS)
                return
            try:
                await asyncio.wait_for(conn.execute("SELECT 1"), PING_SECONDS)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return

    async def _run(self) -> None:
        failures = 0
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as error:
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("events listener cannot connect (%s); retrying in %ss", error, delay)
                await asyncio.sleep(delay)
                continue
            try:
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                failures = 0
                self.server_pid = conn.get_server_pid()
                self.connected.set()
                self.hub.wake_all()
                await self._until_lost(conn, lost)
                log.warning("events listener connection lost; reconnecting")
            finally:
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 2)
