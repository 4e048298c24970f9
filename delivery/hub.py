"""Following a shop's reward event log live, in this process.

The log (`reward_events`) is the source of truth; a wake-up only says "shop S has events up to
seq N now". Every follower reads the log after its own cursor, so a missed or duplicated
wake-up costs a read, never an event, and a slow follower holds nothing but its cursor.

Followers of one shop share a feed: one task reads each new batch from the database into a
bounded tail that the others copy from. A follower that falls behind the tail pages through
the database on its own until it catches up.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from itertools import islice

from engine.services import event_log as events
from models import RewardEvent

TAIL_SIZE = 512
PAGE_SIZE = 200
# A follower re-reads the log this often even without a wake-up, so that a lost wake-up
# (a dropped LISTEN connection, a writer that forgot to announce) delays events, never loses them.
IDLE_RECHECK_SECONDS = 5.0


async def read_after(shop_id: int, seq: int, limit: int) -> list[RewardEvent]:
    """Committed events of the shop with a seq above `seq`, oldest first."""
    return await RewardEvent.filter(shop_id=shop_id, seq__gt=seq).order_by("seq").limit(limit)


async def last_seq(shop_id: int) -> int:
    """The seq of the shop's last committed event (0 when it has none)."""
    row = await RewardEvent.filter(shop_id=shop_id, seq__isnull=False).order_by("-seq").first().only("seq")
    return row.seq if row else 0


class ShopFeed:
    """The shared view of one shop's log for the followers in this process."""

    def __init__(self, shop_id: int) -> None:
        self.shop_id = shop_id
        self.followers = 0
        # The tail holds every committed event from tail[0].seq up to `loaded`.
        self.tail: deque[RewardEvent] = deque(maxlen=TAIL_SIZE)
        self.loaded: int | None = None
        # Bumped by every wake-up; the tail is fresh when it was read at the current generation.
        self.generation = 0
        self._fresh_generation = -1
        self._refreshed_at = 0.0
        self._lock = asyncio.Lock()
        self._waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        self.generation += 1
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        self._waiter = None

    async def wait(self, generation: int, timeout: float) -> None:
        """Return after a wake-up newer than `generation`, or after `timeout` seconds."""
        if self.generation != generation:
            return
        if self._waiter is None:
            self._waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._waiter), timeout)
        except TimeoutError:
            if time.monotonic() - self._refreshed_at >= timeout:
                self.wake()

    async def read(self, cursor: int, limit: int) -> list[RewardEvent]:
        """Committed events after `cursor`, from the shared tail when it covers them."""
        if self._fresh_generation != self.generation:
            await self._refresh()
        rows = self._from_tail(cursor, limit)
        if rows is None:
            rows = await read_after(self.shop_id, cursor, limit)
        return rows

    def _from_tail(self, cursor: int, limit: int) -> list[RewardEvent] | None:
        if self.loaded is None:
            return None
        if cursor >= self.loaded:
            return []
        if not self.tail or self.tail[0].seq > cursor + 1:
            return None
        start = cursor + 1 - self.tail[0].seq
        if start >= len(self.tail) or self.tail[start].seq != cursor + 1:
            start = next(i for i, row in enumerate(self.tail) if row.seq > cursor)
        return list(islice(self.tail, start, start + limit))

    async def _refresh(self) -> None:
        async with self._lock:
            generation = self.generation
            if self._fresh_generation == generation:
                return
            if self.loaded is None:
                self.loaded = await last_seq(self.shop_id)
            while True:
                rows = await read_after(self.shop_id, self.loaded, PAGE_SIZE)
                self.tail.extend(rows)
                if rows:
                    self.loaded = rows[-1].seq
                if len(rows) < PAGE_SIZE:
                    break
            self._fresh_generation = generation
            self._refreshed_at = time.monotonic()


class EventHub:
    """This process's feeds, one per shop that has followers."""

    def __init__(self) -> None:
        self._feeds: dict[int, ShopFeed] = {}
        self.idle_recheck_seconds = IDLE_RECHECK_SECONDS
        self._watchers: list[asyncio.Event] = []

    def committed(self, shop_id: int, seq: int) -> None:
        """Events of `shop_id` up to `seq` are committed (called after commit, or on NOTIFY)."""
        feed = self._feeds.get(shop_id)
        if feed is not None:
            feed.wake()
        for watcher in self._watchers:
            watcher.set()

    def wake_all(self) -> None:
        """Make every follower re-read the log (after wake-ups may have been lost)."""
        for feed in list(self._feeds.values()):
            feed.wake()
        for watcher in self._watchers:
            watcher.set()

    def watch(self) -> asyncio.Event:
        """An event set on every commit of any shop (for background workers)."""
        watcher = asyncio.Event()
        self._watchers.append(watcher)
        return watcher

    def unwatch(self, watcher: asyncio.Event) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    def follower_count(self) -> int:
        return sum(feed.followers for feed in self._feeds.values())

    def known_end(self, shop_id: int) -> int | None:
        """The last seq of the shop this process has read from the log (None when nothing here
        follows the shop): what "from now" means for a follower joining now."""
        feed = self._feeds.get(shop_id)
        return feed.loaded if feed is not None else None

    async def follow(
        self, shop_id: int, after: int | None, joined: Callable[[], None] | None = None
    ) -> AsyncIterator[RewardEvent]:
        """Every event of the shop after seq `after` (after the current end when None), in
        seq order, each once, then each new one as it commits; runs until closed. `joined` is
        called once the follower is registered: every commit from then on reaches it."""
        cursor = await last_seq(shop_id) if after is None else after
        # Joined before reading the log, so a commit from here on wakes this follower; the
        # first read below catches whatever committed before.
        feed = self._join(shop_id)
        if joined is not None:
            joined()
        try:
            while True:
                generation = feed.generation
                rows = await feed.read(cursor, PAGE_SIZE)
                for row in rows:
                    cursor = row.seq
                    yield row
                if not rows:
                    await feed.wait(generation, self.idle_recheck_seconds)
        finally:
            self._leave(feed)

    def _join(self, shop_id: int) -> ShopFeed:
        feed = self._feeds.get(shop_id)
        if feed is None:
            feed = self._feeds[shop_id] = ShopFeed(shop_id)
        feed.followers += 1
        return feed

    def _leave(self, feed: ShopFeed) -> None:
        feed.followers -= 1
        if feed.followers == 0 and self._feeds.get(feed.shop_id) is feed:
            del self._feeds[feed.shop_id]


hub = EventHub()
events.on_committed(hub.committed)
