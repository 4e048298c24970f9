"""Stopping a real server with SIGTERM: in-flight requests finish, subscribers get a close frame,
and nothing recorded is lost (a client that retries what failed ends with every order once)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal

import httpx
from websockets.exceptions import ConnectionClosed

from tests.server_process import (
    ServerProcess,
    create_shop,
    fresh_connections,
    graphql,
    serving,
    subscription,
)

ORDERS = 40
RULE = """mutation { createMilestoneRule(input: { name: "First order", type: ORDERS_COUNT,
  milestones: [{ threshold: "1", reward: { points: { points: 10 } } }] }) { rule { id } } }"""
ACTIVATE = "mutation($id: ID!) { activateMilestoneRule(id: $id) { userErrors { code } } }"
ORDER = """mutation($c: String!, $o: String!) { recordOrder(input: { customerExternalId: $c,
  orderId: $o, total: "10.00", currency: "USD" }) { duplicate userErrors { code } } }"""
LIVE = "subscription { rewardEvents { cursor customerExternalId } }"
COUNT = "{ rewardEvents(first: 100) { totalCount nodes { cursor } } }"


async def follow(server: ServerProcess, key: str, received: list[str], ready: asyncio.Event) -> int:
    """Follow live events; the close code the server sent."""
    async with subscription(server, key, LIVE) as ws:
        ready.set()
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "next":
                    received.append(message["payload"]["data"]["rewardEvents"]["cursor"])
        return ws.close_code


async def order(client: httpx.AsyncClient, server: ServerProcess, key: str, n: int) -> str:
    """One order: "ok", or "unsent" when the server was gone."""
    try:
        data = await graphql(client, server, key, ORDER, {"c": f"c{n}", "o": f"o{n}"})
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
        return "unsent"
    assert data["recordOrder"]["userErrors"] == []
    return "ok"


async def test_sigterm_finishes_requests_closes_subscribers_and_loses_nothing(
    server_database, tmp_path
):
    key = create_shop(server_database, tmp_path)
    with serving(server_database, tmp_path, SWEEP_INTERVAL_SECONDS="0.2") as server:
        await server.until_ready()
        async with fresh_connections() as client:
            rule = (await graphql(client, server, key, RULE))["createMilestoneRule"]["rule"]
            await graphql(client, server, key, ACTIVATE, {"id": rule["id"]})
        received: list[str] = []
        subscribed = asyncio.Event()
        follower = asyncio.create_task(follow(server, key, received, subscribed))
        await subscribed.wait()
        async with fresh_connections() as client:
            orders = [asyncio.create_task(order(client, server, key, n)) for n in range(ORDERS)]
            await asyncio.wait(orders, return_when=asyncio.FIRST_COMPLETED)
            exit_code = await asyncio.to_thread(server.terminate)
            outcomes = await asyncio.gather(*orders)
        close_code = await asyncio.wait_for(follower, 30)

    # uvicorn exits by re-raising the signal it handled, as process managers expect.
    assert exit_code in (0, -signal.SIGTERM), server.log_path.read_text()
    assert close_code == 1012  # "service restart": clients reconnect and resume
    served = [line for line in server.messages("request") if line.get("path") == "/graphql"]
    assert all(line["status"] == 200 for line in served), served
    assert not [line for line in server.log() if line.get("level") == "error"]
    assert outcomes.count("ok") >= 1

    # A partner retries what did not get an answer; every order ends recorded once.
    with serving(server_database, tmp_path, name="restarted", SWEEP_INTERVAL_SECONDS="0") as again:
        await again.until_ready()
        async with fresh_connections() as client:
            unsent = [n for n, outcome in enumerate(outcomes) if outcome == "unsent"]
            retried = await asyncio.gather(*(order(client, again, key, n) for n in unsent))
            assert set(retried) <= {"ok"}
            log = (await graphql(client, again, key, COUNT))["rewardEvents"]
    assert log["totalCount"] == ORDERS
    assert received == [node["cursor"] for node in log["nodes"]][: len(received)]
