"""Resuming the stream: orders recorded through the API issue rewards, and a subscriber that
was cut off mid-stream gets exactly what it missed when it reconnects with its last cursor."""

from __future__ import annotations

from datetime import timedelta

from engine.core.enums import Role
from engine.services import clock
from tests.builders import fixed, make_rule, order, points
from tests.event_support import subscriber

REDEEM = "mutation($code: String!) { redeemReward(code: $code) { userErrors { code } } }"
SWEEP = "mutation($asOf: DateTime) { runInactivitySweep(asOf: $asOf) { expired } }"


async def points_per_order(shop, orders: int) -> None:
    """An ORDERS_COUNT rule whose every order (1st, 2nd, …) issues a points reward."""
    await make_rule(shop, "ORDERS_COUNT", [(n, points(n)) for n in range(1, orders + 1)])


async def test_a_subscriber_cut_off_mid_stream_resumes_with_exactly_the_missed_events(shops, app):
    shop = await shops()
    await points_per_order(shop, 20)
    key = await shop.key(Role.PARTNER)
    async with subscriber(app, key, {}) as socket:
        await order(shop, "alice")
        seen = await socket.events(1)
        for _ in range(4):
            await order(shop, "alice")
        seen += await socket.events(2)
        # Cut off with two events of these orders still unread.
    last = seen[-1]["cursor"]
    for _ in range(10):
        await order(shop, "alice")
    async with subscriber(app, key, {"after": last}) as socket:
        missed = await socket.events(12)
        assert await socket.nothing_within(0.3)
    thresholds = [e["data"]["milestone"]["threshold"] for e in seen + missed]
    assert thresholds == [str(n) for n in range(1, 16)]
    assert len({e["id"] for e in seen + missed}) == 15


async def test_events_of_recorded_orders_carry_the_reward_snapshot(shops, app):
    shop = await shops()
    await points_per_order(shop, 1)
    async with subscriber(app, await shop.key(Role.PARTNER), {}) as socket:
        recorded = await order(shop, "bob")
        [event] = await socket.events(1)
    [reward] = recorded["issuedRewards"]
    assert event["type"] == "REWARD_ISSUED"
    assert event["customerExternalId"] == "bob"
    assert event["customerId"] == recorded["customer"]["id"]
    assert event["data"]["reward"]["id"] == reward["id"]
    assert event["data"]["reward"]["kind"] == "POINTS"
    assert event["data"]["reward"]["definition"] == {"kind": "POINTS", "points": 1}
    assert event["data"]["rule"]["type"] == "ORDERS_COUNT"


async def test_objects_named_by_an_event_are_read_fresh_for_each_event(shops, app):
    """Loaders live for one event, not for the socket: the second event shows the balance
    after the second reward."""
    shop = await shops()
    await points_per_order(shop, 2)
    query = """subscription($after: String) { rewardEvents(after: $after) {
      customer { externalId pointsBalance } issuedReward { status } rule { type } } }"""
    async with subscriber(app, await shop.key(Role.PARTNER), {}, query=query) as socket:
        await order(shop, "erin")
        first = await socket.events(1)
        await order(shop, "erin")
        second = await socket.events(1)
    assert first[0]["customer"] == {"externalId": "erin", "pointsBalance": 1}
    assert second[0]["customer"] == {"externalId": "erin", "pointsBalance": 3}
    assert second[0]["issuedReward"] == {"status": "ISSUED"}
    assert second[0]["rule"] == {"type": "ORDERS_COUNT"}


async def test_redeemed_and_expired_rewards_reach_subscribers_as_the_log_shows_them(shops, app):
    shop = await shops()
    await make_rule(
        shop,
        "ORDERS_COUNT",
        [(1, fixed("5.00")), (2, fixed("7.50"))],
        rewardExpiryDays=1,
    )
    async with subscriber(app, await shop.key(Role.PARTNER), {}) as socket:
        first = (await order(shop, "fay"))["issuedRewards"][0]
        second = (await order(shop, "fay"))["issuedRewards"][0]
        redeemed = await shop.gql(REDEEM, {"code": first["code"]})
        assert redeemed["redeemReward"]["userErrors"] == []
        with clock.frozen(clock.now() + timedelta(days=2)):
            swept = await shop.gql(SWEEP, {})
        assert swept["runInactivitySweep"]["expired"] == 1
        got = await socket.events(4)
    assert [(e["type"], e["data"]["reward"]["id"]) for e in got] == [
        ("REWARD_ISSUED", first["id"]),
        ("REWARD_ISSUED", second["id"]),
        ("REWARD_REDEEMED", first["id"]),
        ("REWARD_EXPIRED", second["id"]),
    ]
    assert got[0]["data"]["reward"]["definition"]["amount"] == "5.00"
    polled = await shop.gql("{ rewardEvents(first: 10) { nodes { data } } }")
    assert [n["data"] for n in polled["rewardEvents"]["nodes"]] == [e["data"] for e in got]
