"""Several server processes on one PostgreSQL: a subscriber on one process receives the events
committed by another, each once, in order, within a second; and resumes after being cut off.
Every subscriber on either process, sharing a stream or alone on one, gets the whole log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time

import httpx
import pytest
import websockets
from httpx_ws import aconnect_ws

from api import db
from engine.core.enums import Role
from tests.builders import make_rule, points
from tests.event_support import LEGACY_WS, SUBSCRIBE, TRANSPORT_WS, GraphQLSocket
from tests.server_process import serving
from wire.ids import encode_cursor

pytestmark = pytest.mark.skipif(
    not db.is_postgres(os.environ.get("DATABASE_URL", "")),
    reason="several server processes need PostgreSQL",
)

LIVE_CURSORS = "subscription($after: String) { rewardEvents(after: $after) { cursor } }"
LOG = "{ rewardEvents(first: 100) { nodes { cursor } } }"
RECORD_ORDER = """
mutation($input: RecordOrderInput!) {
  recordOrder(input: $input) { issuedRewards { id } userErrors { code } }
}"""


class Remote:
    """A shop's API on one server process."""

    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client, self.key = client, key

    async def order(self, n: int, customer: str = "carol") -> float:
        """Record order `n` for `customer`; returns when the request was sent."""
        sent = time.monotonic()
        response = await self.client.post(
            "/graphql",
            json={
                "query": RECORD_ORDER,
                "variables": {
                    "input": {
                        "customerExternalId": customer,
                        "orderId": f"order-{n}",
                        "total": "20.00",
                        "currency": "USD",
                    }
                },
            },
            headers={"Authorization": f"Bearer {self.key}"},
        )
        payload = response.json()["data"]["recordOrder"]
        assert payload["userErrors"] == [] and len(payload["issuedRewards"]) == 1, payload
        return sent


async def subscribed(client: httpx.AsyncClient, key: str, after: str):
    socket_cm = aconnect_ws("/graphql", client, subprotocols=[TRANSPORT_WS])
    ws = await socket_cm.__aenter__()
    socket = GraphQLSocket(ws, TRANSPORT_WS)
    assert (await socket.init(key))["type"] == "connection_ack"
    await socket.subscribe(SUBSCRIBE, {"after": after})
    return socket_cm, socket


async def test_a_subscriber_on_one_process_gets_every_event_committed_by_another(
    shops, database, tmp_path
):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(n, points(n)) for n in range(1, 41)])
    key = await shop.key(Role.PARTNER)
    with (
        serving(database, tmp_path, "listening", SWEEP_INTERVAL_SECONDS="0") as listening,
        serving(database, tmp_path, "writing", SWEEP_INTERVAL_SECONDS="0") as writing,
    ):
        await listening.until_ready()
        await writing.until_ready()
        async with (
            httpx.AsyncClient(base_url=listening.url, timeout=10) as on_a,
            httpx.AsyncClient(base_url=writing.url, timeout=10) as on_b,
        ):
            writer = Remote(on_b, key)
            cm, socket = await subscribed(on_a, key, encode_cursor(0))
            latencies = []
            seen = []
            for n in range(1, 11):
                sent = await writer.order(n)
                [event] = await socket.events(1, timeout=5)
                latencies.append(time.monotonic() - sent)
                seen.append(event)
            # Cut off mid-stream: five more orders, two of their events read.
            for n in range(11, 16):
                await writer.order(n)
            seen += await socket.events(2, timeout=5)
            await cm.__aexit__(None, None, None)
            for n in range(16, 26):
                await writer.order(n)
            cm, socket = await subscribed(on_a, key, seen[-1]["cursor"])
            missed = await socket.events(13, timeout=5)
            assert await socket.nothing_within(0.5)
            await cm.__aexit__(None, None, None)
    assert max(latencies) < 1.0, latencies
    thresholds = [int(e["data"]["milestone"]["threshold"]) for e in seen + missed]
    assert thresholds == list(range(1, 26))
    assert len({e["id"] for e in seen + missed}) == 25


class Follower:
    """One socket on a real server, collecting the cursors of the events it receives."""

    def __init__(self, server, key: str, protocol: str, after: str | None) -> None:
        self.server, self.key, self.protocol, self.after = server, key, protocol, after
        self.cursors: list[str] = []
        self.subscribed = asyncio.Event()

    async def run(self, until: int) -> None:
        url = self.server.url.replace("http", "ws", 1) + "/graphql"
        legacy = self.protocol == LEGACY_WS
        async with websockets.connect(url, subprotocols=[self.protocol]) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.key}"}}
            await ws.send(json.dumps(init))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            payload = {"query": LIVE_CURSORS, "variables": {"after": self.after}}
            start = "start" if legacy else "subscribe"
            await ws.send(json.dumps({"id": "1", "type": start, "payload": payload}))
            self.subscribed.set()
            while len(self.cursors) < until:
                message = json.loads(await ws.recv())
                if message["type"] in ("ka", "ping"):
                    continue
                assert message["type"] == ("data" if legacy else "next"), message
                self.cursors.append(message["payload"]["data"]["rewardEvents"]["cursor"])
            with contextlib.suppress(TimeoutError):  # nothing more: no event twice
                extra = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                assert extra["type"] in ("ka", "ping"), extra


async def test_every_subscriber_on_either_process_gets_every_event_once_in_log_order(
    shops, database, tmp_path
):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(n, points(n)) for n in range(1, 11)])
    key = await shop.key(Role.PARTNER)
    events = 1 + 10 + 30  # a first order, ten for one customer, one each for thirty more
    with (
        serving(database, tmp_path, "a", SWEEP_INTERVAL_SECONDS="0") as a,
        serving(database, tmp_path, "b", SWEEP_INTERVAL_SECONDS="0") as b,
    ):
        await asyncio.gather(a.until_ready(), b.until_ready())
        # On each process: three sockets sharing a stream from now, one of the other
        # protocol, and one replaying from the start of the log.
        followers = [
            Follower(server, key, protocol, after)
            for server in (a, b)
            for protocol, after in [(TRANSPORT_WS, None)] * 3
            + [(LEGACY_WS, None), (TRANSPORT_WS, encode_cursor(0))]
        ]
        tasks = [asyncio.create_task(f.run(events)) for f in followers]
        await asyncio.gather(*(f.subscribed.wait() for f in followers))
        await asyncio.sleep(0.5)  # the streams follow the log
        async with (
            httpx.AsyncClient(base_url=a.url, timeout=10) as on_a,
            httpx.AsyncClient(base_url=b.url, timeout=10) as on_b,
        ):
            writers = [Remote(on_a, key), Remote(on_b, key)]
            await writers[0].order(0, customer="first")
            await asyncio.gather(
                *(writers[n % 2].order(n, customer="carol") for n in range(1, 11)),
                *(writers[n % 2].order(n, customer=f"many-{n}") for n in range(11, 41)),
            )
            await asyncio.wait_for(asyncio.gather(*tasks), 30)
            log = (await on_a.post("/graphql", json={"query": LOG},
                                   headers={"Authorization": f"Bearer {key}"})).json()
    cursors = [node["cursor"] for node in log["data"]["rewardEvents"]["nodes"]]
    assert len(cursors) == events
    assert [f.cursors for f in followers] == [cursors] * len(followers)
