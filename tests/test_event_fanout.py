"""Several server processes on one PostgreSQL: a subscriber on one process receives the events
committed by another, each once, in order, within a second; and resumes after being cut off."""

from __future__ import annotations

import os
import time

import httpx
import pytest
from httpx_ws import aconnect_ws

from api import db
from engine.core.enums import Role
from resolvers.ids import encode_cursor
from tests.builders import make_rule, points
from tests.event_support import SUBSCRIBE, TRANSPORT_WS, GraphQLSocket
from tests.server_process import serving

pytestmark = pytest.mark.skipif(
    not db.is_postgres(os.environ.get("DATABASE_URL", "")),
    reason="several server processes need PostgreSQL",
)

RECORD_ORDER = """
mutation($input: RecordOrderInput!) {
  recordOrder(input: $input) { issuedRewards { id } userErrors { code } }
}"""


class Remote:
    """A shop's API on one server process."""

    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client, self.key = client, key

    async def order(self, n: int) -> float:
        """Record order `n` for one customer; returns when the request was sent."""
        sent = time.monotonic()
        response = await self.client.post(
            "/graphql",
            json={
                "query": RECORD_ORDER,
                "variables": {
                    "input": {
                        "customerExternalId": "carol",
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
