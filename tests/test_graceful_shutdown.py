"""Stopping a real server with SIGTERM: in-flight requests finish, subscribers get a close frame,
and nothing recorded is lost (a client that retries what failed ends with every order once)."""

from __future__ import annotations

import asyncio
import json
import signal

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api import db
from tests.server_process import create_shop, serving

ORDERS = 40
RULE = """mutation { createMilestoneRule(input: { name: "First order", type: ORDERS_COUNT,
  milestones: [{ threshold: "1", reward: { points: { points: 10 } } }] }) { rule { id } } }"""
ACTIVATE = "mutation($id: ID!) { activateMilestoneRule(id: $id) { userErrors { code } } }"
ORDER = """mutation($c: String!, $o: String!) { recordOrder(input: { customerExternalId: $c,
  orderId: $o, total: "10.00", currency: "USD" }) { duplicate userErrors { code } } }"""
LIVE = "subscription { rewardEvents { cursor customerExternalId } }"
COUNT = "{ rewardEvents(first: 100) { totalCount nodes { cursor } } }"


@pytest.fixture
def server_database(database_url, tmp_path) -> str:
    """PostgreSQL: the suite's database; SQLite: a file of the server's own (one process)."""
    return database_url if db.is_postgres(database_url) else f"sqlite://{tmp_path}/served.sqlite3"


async def gql(client: httpx.AsyncClient, key: str, query: str, variables: dict | None = None):
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def follow(url: str, key: str, received: list[str], subscribed: asyncio.Event) -> int:
    """Subscribe to live events; returns the close code the server sent."""
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LIVE}}))
        subscribed.set()
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "next":
                    received.append(message["payload"]["data"]["rewardEvents"]["cursor"])
        except ConnectionClosed:
            pass
        return ws.close_code


def fresh_connections(url: str) -> httpx.AsyncClient:
    """A client that opens a connection per request, as many independent callers would."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=url, timeout=30, limits=limits)


async def order(client: httpx.AsyncClient, key: str, n: int) -> str:
    """One order: "ok", or "unsent" when the server was gone."""
    try:
        data = await gql(client, key, ORDER, {"c": f"c{n}", "o": f"o{n}"})
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
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            rule = (await gql(client, key, RULE))["createMilestoneRule"]["rule"]
            await gql(client, key, ACTIVATE, {"id": rule["id"]})
        received: list[str] = []
        subscribed = asyncio.Event()
        ws_url = server.url.replace("http", "ws") + "/graphql"
        follower = asyncio.create_task(follow(ws_url, key, received, subscribed))
        await subscribed.wait()
        async with fresh_connections(server.url) as client:
            orders = [asyncio.create_task(order(client, key, n)) for n in range(ORDERS)]
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
        async with fresh_connections(again.url) as client:
            retried = [order(client, key, n) for n, o in enumerate(outcomes) if o == "unsent"]
            assert set(await asyncio.gather(*retried)) <= {"ok"}
            log = (await gql(client, key, COUNT))["rewardEvents"]
    assert log["totalCount"] == ORDERS
    assert received == [node["cursor"] for node in log["nodes"]][: len(received)]
