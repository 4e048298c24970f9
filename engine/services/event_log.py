"""After a unit of work that appended reward events commits: number them (on PostgreSQL) and
wake the followers of this process (others wake on NOTIFY).

Numbering is coalesced per shop: while one numbering runs, the units of work that commit
meanwhile wait for the next run, which numbers all of their events at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from engine.store import driver
from engine.store import events as store

log = logging.getLogger("milestones.events")
NOTIFY_CHANNEL = store.NOTIFY_CHANNEL

# Called once events up to a seq are committed and numbered: (shop_id, last seq).
_listeners: list[Callable[[int, int], None]] = []


def on_committed(listener: Callable[[int, int], None]) -> Callable[[int, int], None]:
    _listeners.append(listener)
    return listener


def committed(shop_id: int, seq: int) -> None:
    """Tell this process's listeners that the shop's events up to `seq` are readable."""
    for listener in list(_listeners):
        listener(shop_id, seq)


class _ShopNumbering:
    def __init__(self, shop_id: int) -> None:
        self.shop_id = shop_id
        self.loop = asyncio.get_running_loop()
        self.next_run: asyncio.Future[None] | None = None
        self.task: asyncio.Task[None] | None = None

    async def request(self) -> None:
        """Return once a numbering that started after this call has finished."""
        if self.next_run is None:
            self.next_run = asyncio.get_running_loop().create_future()
        waiting = self.next_run
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._runs(), name=f"numbering-{self.shop_id}")
        await asyncio.shield(waiting)

    async def _runs(self) -> None:
        while self.next_run is not None:
            run, self.next_run = self.next_run, None
            try:
                last = await driver.run(lambda: store.sequence(self.shop_id), label="sequence")
            except Exception as error:  # noqa: BLE001 - a waiter sees it; the next run retries
                run.set_exception(error)
                continue
            if last is not None:
                committed(self.shop_id, last)
            run.set_result(None)


_shops: dict[int, _ShopNumbering] = {}


async def published(shop_id: int, last_seq: int | None) -> None:
    """Call after a commit that appended events: `last_seq` when they were numbered in the
    transaction (SQLite), None when they wait for their numbers (PostgreSQL)."""
    if last_seq is not None:
        committed(shop_id, last_seq)
        return
    if driver.dialect() == "sqlite":  # numbered in their transaction: None means there were none
        return
    numbering = _shops.get(shop_id)
    if numbering is None or numbering.loop is not asyncio.get_running_loop():
        numbering = _shops[shop_id] = _ShopNumbering(shop_id)
    await numbering.request()


async def number_waiting() -> int:
    """Number the events of every shop that still waits (a process stopped between a commit
    and its numbering); returns how many shops had some."""
    if driver.dialect() == "sqlite":
        return 0
    shops = await driver.run(store.unsequenced_shops, label="sequence")
    for shop_id in shops:
        await published(shop_id, None)
    return len(shops)
