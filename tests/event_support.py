"""Helpers for the event log's tests: events written the way the engine writes them, and a
GraphQL websocket client speaking graphql-transport-ws (or the legacy graphql-ws)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from tortoise.transactions import in_transaction

from api.fanout import streams
from engine.core.enums import RewardEventType
from engine.services import event_log as events
from engine.store import driver
from engine.store import events as store
from engine.store.events import EventRow
from models import RewardEvent

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"

SUBSCRIBE = """
subscription Follow($after: String, $types: [RewardEventType!], $customerId: ID) {
  rewardEvents(after: $after, types: $types, customerId: $customerId) {
    id cursor type customerId customerExternalId data
  }
}
"""


def payload(customer_id: int, n: int, *, currency: str = "USD") -> dict[str, Any]:
    """An event payload shaped as the engine writes it (raw ids, money in minor units)."""
    return {
        "customer": {"id": customer_id, "externalId": f"cust-{customer_id}"},
        "rule": {"id": 7, "name": "Loyal customer", "type": "AMOUNT_SPENT"},
        "milestone": {"id": 70 + n, "position": n, "threshold": 5000 * (n + 1)},
        "reward": {
            "id": 900 + n,
            "kind": "FIXED_DISCOUNT",
            "status": "ISSUED",
            "code": f"CODE-{n}",
            "expiresAt": None,
            "issuedAt": "2026-01-02T03:04:05+00:00",
            "definition": {
                "kind": "FIXED_DISCOUNT",
                "currency": currency,
                "amount": 1250,
                "minimumSubtotal": None,
            },
        },
    }


def _row(shop_id: int, type: RewardEventType, customer_id: int, n: int) -> EventRow:
    return EventRow(type, customer_id, 7, 70 + n, 900 + n, payload(customer_id, n))


WRITTEN_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


async def append_in(
    conn,
    shop_id: int,
    *,
    type: RewardEventType = RewardEventType.REWARD_ISSUED,
    customer_id: int = 1,
    n: int = 0,
) -> int | None:
    """One event inside the caller's transaction, as the engine appends it; returns its seq
    when the database numbers it in the transaction (SQLite), else None (numbered by
    `publish` after commit)."""
    return await driver.run_in(
        conn,
        store.append(shop_id, [_row(shop_id, type, customer_id, n)], WRITTEN_AT, sequenced=driver.dialect() == "sqlite"),
    )


async def publish(shop_id: int, seq: int | None) -> None:
    """What the engine does after a commit that appended events."""
    await events.published(shop_id, seq)


async def append_event(shop_id: int, *, announce: bool = True, **event) -> int:
    """One event in its own transaction, announced after commit; returns its seq."""
    async with in_transaction() as conn:
        seq = await append_in(conn, shop_id, **event)
    if seq is None:  # PostgreSQL numbers it after commit, which also tells other processes
        await store_sequence(shop_id, announce)
        row = await RewardEvent.filter(shop_id=shop_id, issued_reward_id=900 + event.get("n", 0)).order_by("-id").first()
        return row.seq
    if announce:
        events.committed(shop_id, seq)
    return seq


async def store_sequence(shop_id: int, announce: bool) -> None:
    if announce:
        await events.published(shop_id, None)
    else:
        await driver.run(lambda: store.sequence(shop_id))


async def append_many(shop_id: int, count: int) -> None:
    """`count` events in one transaction, announced after commit."""
    async with in_transaction() as conn:
        for n in range(count):
            seq = await append_in(conn, shop_id, n=n)
    await publish(shop_id, seq)


async def memory_growth(sockets: list[GraphQLSocket], warm_up: int, measured: int) -> int:
    """Bytes still allocated after each socket reads `measured` more events, beyond what was
    after it read `warm_up`. Warmed up under tracing, so that bounded caches count full at
    both ends."""
    tracemalloc.start()
    try:
        for socket in sockets:
            await socket.events(warm_up)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for socket in sockets:
            await socket.events(measured)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


class GraphQLSocket:
    def __init__(self, ws, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._ids = 0

    async def init(self, key: str) -> dict:
        await self.ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
        )
        return await self.message()

    async def message(self, timeout: float = 10) -> dict:
        return json.loads(await self.ws.receive_text(timeout=timeout))

    async def subscribe(self, query: str = SUBSCRIBE, variables: dict | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        start = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.ws.send_json(
            {"id": op_id, "type": start, "payload": {"query": query, "variables": variables or {}}}
        )
        return op_id

    async def next(self, timeout: float = 10) -> dict:
        """The next `data` of a subscription; fails on anything else but keep-alives."""
        while True:
            message = await self.message(timeout)
            if message["type"] in ("ka", "ping", "pong"):
                continue
            assert message["type"] in ("next", "data"), message
            assert not message["payload"].get("errors"), message
            return message["payload"]["data"]

    async def events(self, count: int, timeout: float = 10) -> list[dict]:
        return [(await self.next(timeout))["rewardEvents"] for _ in range(count)]

    async def nothing_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            message = await self.message(seconds)
            return message["type"] in ("ka", "ping", "pong")
        return True


@contextlib.asynccontextmanager
async def graphql_socket(app, protocol: str = TRANSPORT_WS) -> AsyncIterator[GraphQLSocket]:
    transport = ASGIWebSocketTransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        aconnect_ws("/graphql", client, subprotocols=[protocol]) as ws,
    ):
        yield GraphQLSocket(ws, protocol)


@contextlib.asynccontextmanager
async def subscriber(
    app,
    key: str,
    variables: dict | None = None,
    protocol: str = TRANSPORT_WS,
    query: str = SUBSCRIBE,
):
    """An authenticated socket subscribed to rewardEvents, its stream already following the
    log (so that events committed from here on reach it even without a cursor)."""
    async with graphql_socket(app, protocol) as socket:
        ack = await socket.init(key)
        assert ack["type"] == "connection_ack", ack
        following = streams.live_subscriber_count()
        await socket.subscribe(query, variables)
        for _ in range(500):
            if streams.live_subscriber_count() > following:
                break
            await asyncio.sleep(0.01)
        yield socket
