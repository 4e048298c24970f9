"""The reward event log read live: the rewardEvents subscription over websockets."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from engine.core.enums import RewardEventType, Role
from tests.event_support import (
    LEGACY_WS,
    append_event,
    append_in,
    append_many,
    graphql_socket,
    memory_growth,
    subscriber,
)
from wire.ids import encode_cursor

START = encode_cursor(0)


async def test_subscription_replays_after_the_cursor_then_streams_live_events_once_in_order(
    shops, app
):
    shop = await shops()
    first = [await append_event(shop.id, n=n) for n in range(3)]
    key = await shop.key(Role.PARTNER)
    async with subscriber(app, key, {"after": encode_cursor(first[0])}) as socket:
        replayed = await socket.events(2)
        live_seqs = [await append_event(shop.id, n=n) for n in range(3, 6)]
        live = await socket.events(3)
        assert await socket.nothing_within(0.2)
    cursors = [e["cursor"] for e in replayed + live]
    assert cursors == [encode_cursor(seq) for seq in first[1:] + live_seqs]
    assert [e["data"]["milestone"]["position"] for e in replayed + live] == [1, 2, 3, 4, 5]


async def test_subscription_without_a_cursor_starts_at_the_end_of_the_log(shops, app):
    shop = await shops()
    await append_event(shop.id, n=0)
    async with subscriber(app, await shop.key(Role.ADMIN), {}) as socket:
        seq = await append_event(shop.id, n=1)
        [event] = await socket.events(1)
    assert event["cursor"] == encode_cursor(seq)


async def test_subscription_sees_only_the_callers_shop_and_the_asked_types_and_customer(shops, app):
    shop, other = await shops(), await shops()
    variables = {
        "after": START,
        "types": ["REWARD_REDEEMED"],
        "customerId": "gid://milestones/Customer/5",
    }
    async with subscriber(app, await shop.key(Role.PARTNER), variables) as socket:
        await append_event(other.id, type=RewardEventType.REWARD_REDEEMED, customer_id=5)
        await append_event(shop.id, type=RewardEventType.REWARD_ISSUED, customer_id=5)
        await append_event(shop.id, type=RewardEventType.REWARD_REDEEMED, customer_id=6)
        wanted = await append_event(shop.id, type=RewardEventType.REWARD_REDEEMED, customer_id=5)
        [event] = await socket.events(1)
        assert await socket.nothing_within(0.2)
    assert event["cursor"] == encode_cursor(wanted)
    assert event["type"] == "REWARD_REDEEMED"
    assert event["customerId"] == "gid://milestones/Customer/5"
    assert event["customerExternalId"] == "cust-5"


async def test_a_rolled_back_change_leaves_no_event_and_its_seq_is_reused(shops, app):
    shop = await shops()
    before = await append_event(shop.id, n=0)
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await append_in(conn, shop.id, n=1)
            raise RuntimeError("the change fails after its event was written")
    after = await append_event(shop.id, n=2)
    async with subscriber(app, await shop.key(Role.PARTNER), {"after": START}) as socket:
        got = await socket.events(2)
        assert await socket.nothing_within(0.2)
    assert [e["cursor"] for e in got] == [encode_cursor(before), encode_cursor(after)]
    assert after == before + 1


async def test_legacy_graphql_ws_protocol_streams_the_same_events(shops, app):
    shop = await shops()
    seq = await append_event(shop.id, n=0)
    async with subscriber(app, await shop.key(Role.PARTNER), {"after": START}, LEGACY_WS) as socket:
        [event] = await socket.events(1)
    assert event["cursor"] == encode_cursor(seq)


async def test_websocket_with_an_unknown_key_is_closed_with_4401(app):
    async with graphql_socket(app) as socket:
        await socket.ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": "Bearer msk_admin_nope"}}
        )
        with pytest.raises(Exception) as closed:
            await socket.message(5)
    assert getattr(closed.value, "code", None) == 4401


async def test_storefront_key_may_not_subscribe(shops, app):
    shop = await shops()
    async with graphql_socket(app) as socket:
        await socket.ws.send_json(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {await shop.key(Role.STOREFRONT)}"},
            }
        )
        with pytest.raises(Exception) as closed:
            await socket.message(5)
    assert getattr(closed.value, "code", None) == 4403


async def test_a_subscriber_that_stops_reading_does_not_hold_back_the_others(shops, app):
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    async with subscriber(app, key, {"after": START}) as stalled:
        async with subscriber(app, key, {"after": START}) as reader:
            seqs = [await append_event(shop.id, n=n) for n in range(40)]
            got = await reader.events(40)
            assert [e["cursor"] for e in got] == [encode_cursor(s) for s in seqs]
        first = await stalled.events(1)
    assert first[0]["cursor"] == encode_cursor(seqs[0])


async def test_a_long_subscription_keeps_memory_flat(shops, app):
    shop = await shops()
    await append_many(shop.id, 3000)
    async with subscriber(app, await shop.key(Role.PARTNER), {"after": START}) as socket:
        grown = await memory_growth([socket], 1000, 2000)
    # Without per-event memos graphql-core keeps about 1 KB per event: 2 MB here.
    assert grown < 400_000, grown


async def test_a_subscription_with_a_malformed_cursor_gets_a_bad_user_input_error(shops, app):
    shop = await shops()
    async with graphql_socket(app) as socket:
        assert (await socket.init(await shop.key(Role.PARTNER)))["type"] == "connection_ack"
        await socket.subscribe(variables={"after": "not-a-cursor"})
        message = await socket.message()
        closing = await socket.message()
    assert message["type"] == "next" and message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert closing == {"id": "1", "type": "complete"}
