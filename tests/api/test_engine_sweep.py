"""The sweep: inactivity milestones once per episode, expiry; and redeeming codes."""

from datetime import UTC, datetime, timedelta

from engine.services import clock
from tests.builders import customer, fixed, make_rule, order, points, progress_of

SWEEP = """mutation($asOf: DateTime) { runInactivitySweep(asOf: $asOf) { granted expired customersScanned } }"""
REDEEM = """mutation($code: String!) { redeemReward(code: $code) { issuedReward { status redeemedAt } userErrors { field code message } } }"""


async def sweep(shop, at: datetime) -> dict:
    return (await shop.gql(SWEEP, {"asOf": at.isoformat()}))["runInactivitySweep"]


async def test_inactivity_grants_once_per_milestone_per_episode(shops):
    shop = await shops()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    # Counting past activity: the sweeps below look back at a time before the activation.
    await make_rule(shop, "INACTIVITY", [(30, points(100)), (60, points(200))], past=True)
    with clock.frozen(start + timedelta(days=200)):
        await order(shop, "ivy", occurredAt=start.isoformat())
        assert (await sweep(shop, start + timedelta(days=29)))["granted"] == 0
        assert (await sweep(shop, start + timedelta(days=30)))["granted"] == 1
        assert (await sweep(shop, start + timedelta(days=45)))["granted"] == 0
        assert (await sweep(shop, start + timedelta(days=61)))["granted"] == 1
        assert (await sweep(shop, start + timedelta(days=90)))["granted"] == 0
        # New activity starts a new episode: both milestones can be earned again.
        await order(shop, "ivy", occurredAt=(start + timedelta(days=100)).isoformat())
        assert (await sweep(shop, start + timedelta(days=131)))["granted"] == 1
        assert (await sweep(shop, start + timedelta(days=161)))["granted"] == 1
        data = await customer(shop, "ivy")
    assert data["pointsBalance"] == 600
    assert data["rewards"]["totalCount"] == 4


async def test_two_sweeps_at_once_grant_nothing_twice(shops):
    import asyncio

    shop = await shops()
    await make_rule(shop, "INACTIVITY", [(10, points(5))], past=True)
    past = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(20):
        await order(shop, f"idle-{n}", occurredAt=past.isoformat())
    results = await asyncio.gather(*(sweep(shop, past + timedelta(days=11)) for _ in range(3)))
    assert sum(r["granted"] for r in results) == 20


async def test_inactivity_rules_are_not_fed_by_activity_and_show_days(shops):
    shop = await shops()
    rule = await make_rule(shop, "INACTIVITY", [(7, points(5))])
    moment = clock.now() - timedelta(days=3, hours=1)
    await order(shop, "lou", occurredAt=moment.isoformat())
    progress = progress_of(await customer(shop, "lou"), rule["id"])
    assert progress["value"] == "3"
    assert progress["remaining"] == "4"


async def test_a_code_is_redeemed_once_and_expires(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, fixed("5.00")), (2, fixed("9.00"))], rewardExpiryDays=10)
    first = (await order(shop, "rex"))["issuedRewards"][0]
    assert first["expiresAt"] is not None
    ok = (await shop.gql(REDEEM, {"code": first["code"]}))["redeemReward"]
    assert ok["issuedReward"]["status"] == "REDEEMED" and ok["userErrors"] == []
    twice = (await shop.gql(REDEEM, {"code": first["code"]}))["redeemReward"]
    assert [e["code"] for e in twice["userErrors"]] == ["REWARD_ALREADY_REDEEMED"]
    second = (await order(shop, "rex"))["issuedRewards"][0]
    with clock.frozen(clock.now() + timedelta(days=11)):
        expired = await sweep(shop, clock.now())
        assert expired["expired"] == 1
        late = (await shop.gql(REDEEM, {"code": second["code"]}))["redeemReward"]
    assert [e["code"] for e in late["userErrors"]] == ["REWARD_EXPIRED"]
    unknown = (await shop.gql(REDEEM, {"code": "MS-NOPE"}))["redeemReward"]
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [(["code"], "NOT_FOUND")]


async def test_another_shop_cannot_redeem_a_code(shops):
    shop, other = await shops(), await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, fixed("5.00"))])
    code = (await order(shop, "sam"))["issuedRewards"][0]["code"]
    result = (await other.gql(REDEEM, {"code": code}))["redeemReward"]
    assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]


async def test_inactivity_progress_shows_only_the_current_episodes_rewards(shops):
    shop = await shops()
    rule = await make_rule(shop, "INACTIVITY", [(5, points(1))], past=True)
    start = clock.now() - timedelta(days=20)
    await order(shop, "kim", occurredAt=start.isoformat())
    await sweep(shop, start + timedelta(days=6))
    progress = progress_of(await customer(shop, "kim"), rule["id"])
    assert [m["status"] for m in progress["milestones"]] == ["REACHED"]
    await order(shop, "kim")
    progress = progress_of(await customer(shop, "kim"), rule["id"])
    assert progress["value"] == "0"
    assert [m["status"] for m in progress["milestones"]] == ["NEXT"]
