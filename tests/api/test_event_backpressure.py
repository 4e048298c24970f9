"""Slow sockets on a real server: one that stops reading is closed with 4008 once it is
SUBSCRIBER_QUEUE_SIZE events behind, and never holds back the socket sharing its stream; one
alone on its stream is sent a long backlog at the pace it reads, and stays open."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket as socket_module
import time

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.server_process import ServerProcess, create_shop, graphql, serving
from wire.ids import encode_cursor

QUEUE_SIZE = 20
# Each message carries the event many times over, so that a socket's buffers fill in a few
# dozen events rather than thousands.
COPIES = " ".join(f"d{n}: data" for n in range(28))
BIG = f"subscription($after: String) {{ rewardEvents(after: $after) {{ cursor {COPIES} }} }}"
RULE = """mutation($input: MilestoneRuleInput!) { createMilestoneRule(input: $input) {
  rule { id } userErrors { code message } } }"""
ACTIVATE = "mutation($id: ID!) { activateMilestoneRule(id: $id) { userErrors { code } } }"
ORDER = """mutation($c: String!, $o: String!, $total: Decimal!) { recordOrder(input: {
  customerExternalId: $c, orderId: $o, total: $total, currency: "USD" }) { userErrors { code } } }"""


async def rule(client: httpx.AsyncClient, server: ServerProcess, key: str, type: str, thresholds) -> None:
    milestones = [{"threshold": t, "reward": {"points": {"points": 1}}} for t in thresholds]
    created = await graphql(client, server, key, RULE, {"input": {
        "name": "Every step", "type": type, "milestones": milestones}})
    payload = created["createMilestoneRule"]
    assert payload["userErrors"] == [], payload
    await graphql(client, server, key, ACTIVATE, {"id": payload["rule"]["id"]})


async def order(client, server, key: str, n: int, total: str = "10.00") -> None:
    data = await graphql(client, server, key, ORDER, {"c": f"c{n}", "o": f"o{n}", "total": total})
    assert data["recordOrder"]["userErrors"] == []


@contextlib.asynccontextmanager
async def socket(server: ServerProcess, key: str, after: str | None = None):
    """A subscribed graphql-transport-ws socket whose client buffers one message at most and
    does not compress (the copies would shrink to nothing), so that not reading it soon
    stops the server's writes."""
    url = server.url.replace("http", "ws", 1) + "/graphql"
    sock = socket_module.socket()
    # A small receive buffer, fixed before connecting, so that the kernel does not grow it.
    sock.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    async with connect(
        url, sock=sock, subprotocols=["graphql-transport-ws"], max_queue=1, compression=None
    ) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        subscribe = {"query": BIG, "variables": {"after": after}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        yield ws


def cursor_of(raw: str) -> str:
    message = json.loads(raw)
    assert message["type"] == "next", message
    return message["payload"]["data"]["rewardEvents"]["cursor"]


async def read_all(ws: ClientConnection) -> list[str]:
    cursors = []
    with contextlib.suppress(ConnectionClosed):
        async for raw in ws:
            cursors.append(cursor_of(raw))
    return cursors


async def too_slow_count(client: httpx.AsyncClient, server: ServerProcess) -> float:
    text = (await client.get(f"{server.url}/metrics")).text
    [line] = [x for x in text.splitlines() if x.startswith("milestones_subscribers_too_slow_total")]
    return float(line.split()[-1])


async def test_a_socket_that_stops_reading_is_closed_with_4008_and_never_slows_the_other(
    server_database, tmp_path
):
    key = create_shop(server_database, tmp_path)
    env = {"SWEEP_INTERVAL_SECONDS": "0", "RATE_LIMIT_PER_SECOND": "0", "SUBSCRIBER_QUEUE_SIZE": str(QUEUE_SIZE)}
    with serving(server_database, tmp_path, **env) as server:
        await server.until_ready()
        async with httpx.AsyncClient(timeout=30) as client:
            await rule(client, server, key, "ORDERS_COUNT", ["1"])
            async with socket(server, key) as stalled, socket(server, key) as reader:
                await asyncio.sleep(0.5)  # both subscriptions follow the log
                received: list[str] = []
                slowest = 0.0
                for n in range(400):
                    sent = time.monotonic()
                    await order(client, server, key, n)
                    received.append(cursor_of(await asyncio.wait_for(reader.recv(), 10)))
                    slowest = max(slowest, time.monotonic() - sent)
                    if await too_slow_count(client, server) and n % 5 == 4:
                        break
                stalled_got = await asyncio.wait_for(read_all(stalled), 30)
                close_code = stalled.close_code
    assert in_log_order(received) == n + 1
    assert 0 < len(stalled_got) < len(received)
    assert stalled_got == received[: len(stalled_got)]
    assert close_code == 4008
    assert slowest < 5.0, slowest


def in_log_order(cursors: list[str]) -> int:
    """How many events, once they are checked to be the log's first ones, in order."""
    assert cursors == [encode_cursor(seq) for seq in range(1, len(cursors) + 1)]
    return len(cursors)


async def test_a_socket_alone_on_its_stream_gets_a_long_backlog_at_its_own_pace(
    server_database, tmp_path
):
    key = create_shop(server_database, tmp_path)
    env = {"SWEEP_INTERVAL_SECONDS": "0", "RATE_LIMIT_PER_SECOND": "0", "SUBSCRIBER_QUEUE_SIZE": str(QUEUE_SIZE)}
    backlog = 10 * QUEUE_SIZE
    with serving(server_database, tmp_path, **env) as server:
        await server.until_ready()
        async with httpx.AsyncClient(timeout=30) as client:
            # One order crosses every milestone: the whole backlog commits at once.
            await rule(client, server, key, "AMOUNT_SPENT", [str(n) for n in range(1, backlog + 1)])
            await order(client, server, key, 0, total=f"{backlog}.00")
            async with socket(server, key, after=encode_cursor(0)) as ws:
                first = [cursor_of(await ws.recv()) for _ in range(5)]
                await asyncio.sleep(2)  # reading nothing while the server has all the rest
                rest = [cursor_of(await asyncio.wait_for(ws.recv(), 10)) for _ in range(backlog - 5)]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ws.recv(), 0.5)
                still_open = ws.close_code is None
            assert await too_slow_count(client, server) == 0
    assert in_log_order(first + rest) == backlog
    assert still_open
