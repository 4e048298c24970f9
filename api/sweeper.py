"""The in-server sweep: every `SWEEP_INTERVAL_SECONDS`, on one process at a time.

On PostgreSQL the run holds a session advisory lock on a dedicated connection (not one of the
pool's, whose sessions change hands); a worker that finds it taken skips its turn. On SQLite
there is one server process, and an asyncio lock keeps two runs in it apart. The sweep itself
is safe to run twice at once (each grant has a unique key), so the lock saves work, not
correctness. Shutdown asks the running sweep to stop between batches. Each run is logged here;
the engine counts every sweep (this loop's, the admin mutation's) in the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg

from api import db
from api.event_listener import asyncpg_dsn
from engine.services.sweep import run_sweep

log = logging.getLogger("milestones.sweep")

# pg_try_advisory_lock's key: any fixed 64-bit number no other code of this database uses.
SWEEP_LOCK_KEY = 7_242_011_001

SweepFunction = Callable[..., Awaitable[Any]]

# SQLite means one server process: one lock for every sweeper in it.
_process_lock = asyncio.Lock()


class Sweeper:
    def __init__(
        self, database_url: str, interval_seconds: float, sweep: SweepFunction = run_sweep
    ) -> None:
        self.database_url = database_url
        self.interval_seconds = interval_seconds
        self.sweep = sweep
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="sweeper")

    async def stop(self) -> None:
        """Stop waiting for the next run; a run in progress ends after its current batch."""
        self._stopping.set()
        if self._task is not None:
            await self._task

    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_seconds)
            if not self._stopping.is_set():
                await self.run_once()

    async def run_once(self) -> Any | None:
        """One sweep if no other process is sweeping; its result, or None when skipped."""
        async with self._exclusive() as acquired:
            if not acquired:
                log.info("sweep skipped: another process is sweeping")
                return None
            started = time.perf_counter()
            try:
                result = await self.sweep(as_of=None, should_stop=self.stopping)
            except Exception:
                seconds = time.perf_counter() - started
                log.exception("sweep failed", extra={"duration_ms": round(seconds * 1000, 2)})
                return None
            seconds = time.perf_counter() - started
            log.info(
                "sweep finished",
                extra={
                    "duration_ms": round(seconds * 1000, 2),
                    "summary": result.summary(),
                    "stopped_early": self.stopping(),
                },
            )
            return result

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[bool]:
        if not db.is_postgres(self.database_url):
            if _process_lock.locked():
                yield False
                return
            async with _process_lock:
                yield True
            return
        conn = await asyncpg.connect(asyncpg_dsn(self.database_url))
        try:
            acquired = await conn.fetchval("SELECT pg_try_advisory_lock($1)", SWEEP_LOCK_KEY)
            try:
                yield bool(acquired)
            finally:
                if acquired:
                    await conn.execute("SELECT pg_advisory_unlock($1)", SWEEP_LOCK_KEY)
        finally:
            await conn.close()
