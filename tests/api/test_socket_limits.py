"""Websocket limits: a message above WS_MAX_MESSAGE_BYTES closes the socket with 1009, and a
key that would open more than MAX_SUBSCRIPTIONS_PER_KEY subscriptions (over all its sockets
in the process) has the socket that asked closed with 1008; on both protocols, in process and
on a real server."""

from __future__ import annotations

import contextlib
import json

import pytest
from httpx_ws import WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api import db
from api.app import create_app
from api.settings import Settings
from engine.core.enums import Role
from tests.event_support import LEGACY_WS, TRANSPORT_WS, graphql_socket
from tests.server_process import create_shop, serving

LIMIT = 2048
CAP = 2


@pytest.fixture(scope="module")
def limited_app(database):
    settings = Settings(
        database_url=database, rate_limit_per_second=0,
        ws_max_message_bytes=LIMIT, max_subscriptions_per_key=CAP,
    )
    return create_app(settings, manage_database=False)


async def closed_code(socket, seconds: float = 5) -> int | None:
    """The close code the server sends next, skipping other messages."""
    try:
        for _ in range(50):
            await socket.ws.receive_text(timeout=seconds)
    except WebSocketDisconnect as closed:
        return closed.code
    return None


def padded_subscribe(protocol: str, size: int) -> dict:
    query = "subscription { rewardEvents { id } }" + " " * size
    return {"id": "1", "type": "subscribe" if protocol == TRANSPORT_WS else "start", "payload": {"query": query}}


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_message_above_the_limit_closes_the_socket_with_1009(shops, limited_app, protocol):
    shop = await shops()
    async with graphql_socket(limited_app, protocol) as socket:
        assert (await socket.init(await shop.key()))["type"] == "connection_ack"
        await socket.ws.send_json(padded_subscribe(protocol, LIMIT))
        assert await closed_code(socket) == 1009


async def test_a_message_at_the_limit_is_read(shops, limited_app):
    shop = await shops()
    async with graphql_socket(limited_app) as socket:
        assert (await socket.init(await shop.key()))["type"] == "connection_ack"
        message = padded_subscribe(TRANSPORT_WS, 0)
        message["payload"]["query"] += " " * (LIMIT - len(json.dumps(message)))
        assert len(json.dumps(message).encode()) == LIMIT
        await socket.ws.send_text(json.dumps(message))
        assert await socket.nothing_within(0.3)  # subscribed, no event yet, still open


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_key_past_its_subscriptions_has_the_asking_socket_closed_with_1008(shops, limited_app, protocol):
    shop = await shops()
    key, other_key = await shop.key(Role.ADMIN), await shop.key(Role.PARTNER)
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(graphql_socket(limited_app, protocol))
        assert (await first.init(key))["type"] == "connection_ack"
        for _ in range(CAP - 1):
            await first.subscribe("subscription { rewardEvents { id } }")
        second = await stack.enter_async_context(graphql_socket(limited_app, protocol))
        assert (await second.init(key))["type"] == "connection_ack"
        await second.subscribe("subscription { rewardEvents { id } }")  # the key's last one
        assert await second.nothing_within(0.3)
        await second.subscribe("subscription { rewardEvents { cursor } }")
        assert await closed_code(second) == 1008
        assert await first.nothing_within(0.3)  # the key's other socket stays open
        other = await stack.enter_async_context(graphql_socket(limited_app, protocol))
        assert (await other.init(other_key))["type"] == "connection_ack"
        for _ in range(CAP):
            await other.subscribe("subscription { rewardEvents { id } }")
        assert await other.nothing_within(0.3)  # another key has its own share


async def test_a_finished_subscription_frees_its_place(shops, limited_app):
    shop = await shops()
    key = await shop.key()
    async with graphql_socket(limited_app) as socket:
        assert (await socket.init(key))["type"] == "connection_ack"
        ids = [await socket.subscribe("subscription { rewardEvents { id } }") for _ in range(CAP)]
        await socket.ws.send_json({"id": ids[0], "type": "complete"})
        await socket.subscribe("subscription { rewardEvents { id } }")
        assert await socket.nothing_within(0.3)


async def test_the_served_process_closes_a_message_above_the_limit_with_1009(database_url, tmp_path):
    url = database_url if db.is_postgres(database_url) else f"sqlite://{tmp_path}/ws.sqlite3"
    key = create_shop(url, tmp_path)
    with serving(url, tmp_path, WS_MAX_MESSAGE_BYTES=str(LIMIT), SWEEP_INTERVAL_SECONDS="0") as server:
        await server.until_ready()
        address = server.url.replace("http", "ws", 1) + "/graphql"
        async with connect(address, subprotocols=[TRANSPORT_WS]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps(padded_subscribe(TRANSPORT_WS, LIMIT)))
            with pytest.raises(ConnectionClosed):
                while True:
                    await ws.recv()
            assert ws.close_code == 1009
