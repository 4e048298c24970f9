"""Sockets that send the same subscription share one stream: each event is executed once and
the very same text is written to all of them, whatever their protocol, key or join time."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from api.fanout import streams
from api.graphql_app import _WebSocketAdapter
from engine.core.enums import Role
from engine.services import keys
from tests.event_support import (
    LEGACY_WS,
    append_event,
    append_many,
    graphql_socket,
    memory_growth,
    subscriber,
)
from wire.ids import encode_cursor

START = encode_cursor(0)
SUBSCRIBERS = "milestones_subscribers_connected"


def streams_of(shop_id: int) -> list:
    return [stream for stream in streams.running() if stream.key.shop_id == shop_id]


@pytest.fixture
def written(monkeypatch) -> list[str]:
    """Every shared message text written to a socket, the objects themselves."""
    texts: list[str] = []
    send_text = _WebSocketAdapter.send_text

    async def recording(self, text: str) -> None:
        texts.append(text)
        await send_text(self, text)

    monkeypatch.setattr(_WebSocketAdapter, "send_text", recording)
    return texts


async def test_sockets_with_the_same_subscription_share_one_execution_and_one_text_per_event(
    shops, app, written
):
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    other_key = (await keys.create_key(shop.shop, Role.PARTNER)).secret
    variables = {"after": START}
    async with (
        subscriber(app, key, variables) as first,
        subscriber(app, other_key, variables) as second,
        subscriber(app, key, variables, LEGACY_WS) as legacy,
    ):
        seqs = [await append_event(shop.id, n=n) for n in range(3)]
        got = [await socket.events(3) for socket in (first, second, legacy)]
        [stream] = streams_of(shop.id)
        assert stream.sent == 3
        assert len(stream.subscribers) == 3
    expected = [encode_cursor(seq) for seq in seqs]
    assert [[e["cursor"] for e in events] for events in got] == [expected] * 3
    assert got[0] == got[1] == got[2]
    # Two framings (graphql-transport-ws and graphql-ws) of three events, each built once.
    assert len(written) == 9
    assert len({id(text) for text in written}) == 6


async def test_the_subscriber_gauge_counts_sockets_not_streams(shops, app):
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    before = REGISTRY.get_sample_value(SUBSCRIBERS)
    async with subscriber(app, key, {}), subscriber(app, key, {}), subscriber(app, key, {}):
        assert len(streams_of(shop.id)) == 1
        during = REGISTRY.get_sample_value(SUBSCRIBERS)
    for _ in range(200):
        if REGISTRY.get_sample_value(SUBSCRIBERS) == before:
            break
        await asyncio.sleep(0.01)
    assert during - before == 3
    assert REGISTRY.get_sample_value(SUBSCRIBERS) == before


async def test_a_different_role_or_variables_make_a_stream_of_their_own(shops, app):
    shop = await shops()
    partner, admin = await shop.key(Role.PARTNER), await shop.key(Role.ADMIN)
    async with (
        subscriber(app, partner, {"after": START}) as everything,
        subscriber(app, admin, {"after": START}) as as_admin,
        subscriber(app, partner, {"after": START, "types": ["REWARD_REVOKED"]}) as revoked,
    ):
        seq = await append_event(shop.id, n=0)
        [a] = await everything.events(1)
        [b] = await as_admin.events(1)
        assert await revoked.nothing_within(0.2)
        assert len(streams_of(shop.id)) == 3
    assert a["cursor"] == b["cursor"] == encode_cursor(seq)


async def test_a_socket_that_joins_a_stream_from_now_gets_only_what_commits_after_it_subscribed(
    shops, app
):
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    async with subscriber(app, key, {}) as early:
        before = await append_event(shop.id, n=0)
        assert (await early.events(1))[0]["cursor"] == encode_cursor(before)
        async with subscriber(app, key, {}) as late:
            assert len(streams_of(shop.id)) == 1
            after = [await append_event(shop.id, n=n) for n in (1, 2)]
            early_got = await early.events(2)
            late_got = await late.events(2)
            assert await late.nothing_within(0.2)
    assert [e["cursor"] for e in late_got] == [encode_cursor(seq) for seq in after]
    assert late_got == early_got


async def test_a_socket_replaying_after_a_cursor_never_joins_a_stream_that_has_sent_events(
    shops, app
):
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    seqs = [await append_event(shop.id, n=n) for n in range(3)]
    async with subscriber(app, key, {"after": START}) as first:
        await first.events(3)
        async with subscriber(app, key, {"after": START}) as second:
            replayed = await second.events(3)
            assert len(streams_of(shop.id)) == 2
    assert [e["cursor"] for e in replayed] == [encode_cursor(seq) for seq in seqs]


async def test_the_last_socket_to_leave_ends_its_stream(shops, app):
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    async with subscriber(app, key, {}), subscriber(app, key, {}):
        assert len(streams_of(shop.id)) == 1
    for _ in range(200):
        if not streams_of(shop.id):
            break
        await asyncio.sleep(0.01)
    assert streams_of(shop.id) == []


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", LEGACY_WS])
async def test_an_invalid_subscription_gets_the_validation_error_on_every_socket(
    shops, app, protocol
):
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    query = "subscription { rewardEvents { noSuchField } }"
    answers = []
    for _ in range(2):
        async with graphql_socket(app, protocol) as socket:
            assert (await socket.init(key))["type"] == "connection_ack"
            await socket.subscribe(query)
            answer = await socket.message()
            while answer["type"] == "ka":  # graphql-ws keep-alives
                answer = await socket.message()
            answers.append(answer)
    for answer in answers:
        assert answer["type"] == "error" and answer["id"] == "1"
        errors = answer["payload"] if protocol == LEGACY_WS else answer["payload"][0]
        assert "noSuchField" in errors["message"]


async def test_a_query_sent_over_a_socket_is_answered_on_its_own(shops, app):
    shop = await shops()
    async with graphql_socket(app) as socket:
        assert (await socket.init(await shop.key(Role.PARTNER)))["type"] == "connection_ack"
        await socket.subscribe("query { shop { currency } }")
        answer = await socket.message()
        done = await socket.message()
    assert answer == {"id": "1", "type": "next", "payload": {"data": {"shop": {"currency": "USD"}}}}
    assert done == {"id": "1", "type": "complete"}


async def test_a_long_shared_stream_keeps_memory_flat(shops, app):
    shop = await shops()
    await append_many(shop.id, 3000)
    key = await shop.key(Role.PARTNER)
    variables = {"after": START}
    async with (
        subscriber(app, key, variables) as first,
        subscriber(app, key, variables) as second,
        subscriber(app, key, variables, LEGACY_WS) as legacy,
    ):
        grown = await memory_growth([first, second, legacy], 1000, 2000)
    assert grown < 400_000, grown
