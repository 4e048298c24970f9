"""The README's "Recording what customers do" blocks run as written, after the tour's rule."""

from __future__ import annotations

import re
from pathlib import Path

from tests.builders import make_rule, order, points
from tests.event_support import subscriber

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
SECTION = README[README.index("## Recording what customers do") : README.index("## Storefront widget")]
BLOCKS = re.findall(r"```graphql\n(.*?)```", SECTION, flags=re.S)


async def test_the_activity_examples_run_as_written(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(5, points(100)), (20, points(500))])
    orders, read, subscription = BLOCKS
    data = await shop.gql(orders)
    assert [data[k]["duplicate"] for k in "abcde"] == [False] * 5
    assert data["e"]["issuedRewards"] == [
        {"kind": "POINTS", "status": "ISSUED", "code": None, "reward": {"__typename": "PointsReward", "points": 100}}
    ]
    assert data["e"]["customer"] == {"pointsBalance": 100, "ordersCount": 5, "totalSpent": "160.49"}
    again = await shop.gql(orders)
    assert [again[k]["duplicate"] for k in "abcde"] == [True] * 5
    customer = (await shop.gql(read))["customer"]
    assert customer["pointsBalance"] == 100
    (progress,) = customer["progress"]
    assert (progress["value"], progress["nextThreshold"], progress["remaining"]) == ("5", "20", "15")
    assert [m["status"] for m in progress["milestones"]] == ["REACHED", "NEXT"]
    assert customer["pointsLedger"]["nodes"][0]["delta"] == "100"


async def test_the_subscription_example_streams_the_next_reward(shops, app):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(10))])
    subscription = BLOCKS[2]
    async with subscriber(app, await shop.key(), query=subscription) as socket:
        await order(shop, "cust-9")
        (event,) = await socket.events(1)
    assert (event["type"], event["customerExternalId"]) == ("REWARD_ISSUED", "cust-9")
    assert event["data"]["reward"]["definition"] == {"kind": "POINTS", "points": 10}
    assert event["data"]["customer"]["externalId"] == "cust-9"
