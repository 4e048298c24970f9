"""Reviews, referrals, subscriptions, points and MIXED journeys; windows, pause, past activity."""

from datetime import UTC, datetime, timedelta

from tests.builders import (
    ACTIVATE_RULE,
    billing,
    cancellation,
    customer,
    fixed,
    make_rule,
    order,
    points,
    points_earned,
    progress_of,
    referral,
    review,
)


async def test_each_review_counts_once(shops):
    shop = await shops()
    rule = await make_rule(shop, "REVIEWS_COUNT", [(2, points(20))])
    await review(shop, "ann", review_id="r1")
    again = await review(shop, "ann", review_id="r1")
    assert again["duplicate"] is True
    assert progress_of(await customer(shop, "ann"), rule["id"])["value"] == "1"
    granted = await review(shop, "ann", review_id="r2")
    assert [r["reward"]["points"] for r in granted["issuedRewards"]] == [20]


async def test_subscription_cycles_reset_by_cancellation_and_each_milestone_is_earned_once(shops):
    shop = await shops()
    rule = await make_rule(shop, "SUBSCRIPTION_CYCLES", [(2, points(10)), (3, points(30))])
    await billing(shop, "sue", "c1")
    granted = await billing(shop, "sue", "c1")
    assert [r["reward"]["points"] for r in granted["issuedRewards"]] == [10]
    await cancellation(shop, "sue", "c1")
    data = await customer(shop, "sue")
    progress = progress_of(data, rule["id"])
    assert progress["value"] == "0"
    assert progress["contracts"] == [{"contractId": "c1", "status": "CANCELLED", "cycles": 0}]
    # A second contract reaching 2 again earns nothing twice; reaching 3 earns the next one.
    await billing(shop, "sue", "c2")
    assert (await billing(shop, "sue", "c2"))["issuedRewards"] == []
    third = await billing(shop, "sue", "c2")
    assert [r["reward"]["points"] for r in third["issuedRewards"]] == [30]
    assert (await customer(shop, "sue"))["pointsBalance"] == 40


async def test_a_billing_on_another_customers_contract_is_not_found(shops):
    shop = await shops()
    await billing(shop, "sue", "c1")
    result = await billing(shop, "tom", "c1")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["input", "contractId"], "NOT_FOUND")]


MIXED = [
    {"threshold": "2", "stepMetric": "ORDERS", "description": "Place 2 orders", "reward": points(5)},
    {"threshold": "1", "stepMetric": "REVIEWS", "description": "Write a review", "reward": points(7)},
    {"threshold": "1", "stepMetric": "REFERRALS", "description": "Refer a friend", "reward": fixed("5.00")},
]


async def test_a_mixed_journey_done_in_order_grants_each_step(shops):
    shop = await shops()
    rule = await make_rule(shop, "MIXED", MIXED)
    await order(shop, "mia")
    step1 = await order(shop, "mia")
    assert [r["reward"]["points"] for r in step1["issuedRewards"]] == [5]
    step2 = await review(shop, "mia")
    assert [r["reward"]["points"] for r in step2["issuedRewards"]] == [7]
    step3 = await referral(shop, "mia")
    assert [r["kind"] for r in step3["issuedRewards"]] == ["FIXED_DISCOUNT"]
    progress = progress_of(await customer(shop, "mia"), rule["id"])
    assert progress["currentStep"] == 3
    assert [m["status"] for m in progress["milestones"]] == ["REACHED"] * 3


async def test_a_mixed_journey_counts_only_the_current_step(shops):
    shop = await shops()
    rule = await make_rule(shop, "MIXED", MIXED)
    await review(shop, "max")  # step 2 is not current yet: does not count
    await referral(shop, "max")
    await order(shop, "max")
    await order(shop, "max")
    await order(shop, "max")  # the surplus does not carry into step 2
    progress = progress_of(await customer(shop, "max"), rule["id"])
    assert progress["currentStep"] == 1
    assert progress["value"] == "0"
    assert [m["status"] for m in progress["milestones"]] == ["REACHED", "NEXT", "LOCKED"]
    assert (await customer(shop, "max"))["pointsBalance"] == 5


async def test_points_earned_counts_other_rules_points_but_never_its_own(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(100))])
    earned = await make_rule(shop, "POINTS_EARNED", [(150, points(1000)), (1200, points(1))])
    await order(shop, "pat")  # +100 from the orders rule
    result = await points_earned(shop, "pat", 60)  # +60 from the store: 160 ≥ 150
    assert [r["reward"]["points"] for r in result["issuedRewards"]] == [1000]
    data = await customer(shop, "pat")
    assert data["pointsBalance"] == 1160
    # The 1,000 points the POINTS_EARNED rule gave do not feed it.
    assert progress_of(data, earned["id"])["value"] == "160"


async def test_activity_outside_the_window_does_not_count(shops):
    shop = await shops()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Counting past activity, so that only the window limits what counts.
    rule = await make_rule(
        shop, "ORDERS_COUNT", [(1, points(1))], past=True,
        startsAt=start.isoformat(), endsAt=(start + timedelta(days=30)).isoformat(),
    )
    await order(shop, "wes", occurredAt=(start - timedelta(seconds=1)).isoformat())
    await order(shop, "wes", occurredAt=(start + timedelta(days=30)).isoformat())
    assert progress_of(await customer(shop, "wes"), rule["id"])["value"] == "0"
    inside = await order(shop, "wes", occurredAt=start.isoformat())
    assert len(inside["issuedRewards"]) == 1


async def test_a_paused_rule_counts_nothing(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(2, points(1))])
    await order(shop, "pia")
    await shop.gql("mutation($id: ID!) { pauseMilestoneRule(id: $id) { userErrors { code } } }", {"id": rule["id"]})
    await order(shop, "pia")
    await shop.gql(ACTIVATE_RULE, {"id": rule["id"], "past": False})
    assert progress_of(await customer(shop, "pia"), rule["id"])["value"] == "1"


async def test_count_past_activity_counts_recorded_orders_and_grants_at_activation(shops):
    shop = await shops()
    for n in range(3):
        await order(shop, "old", "40.00", order_id=f"past-{n}")
    spend = await make_rule(shop, "AMOUNT_SPENT", [("100", points(10)), ("500", points(50))], activate=False)
    without = await make_rule(shop, "ORDERS_COUNT", [(1, points(1))])
    await shop.gql(ACTIVATE_RULE, {"id": spend["id"], "past": True})
    data = await customer(shop, "old")
    assert progress_of(data, spend["id"])["value"] == "120.00"
    assert progress_of(data, without["id"])["value"] == "0"
    assert data["pointsBalance"] == 10
    # Orders counted at activation come back out when refunded.
    from tests.builders import refund

    await refund(shop, "old", "past-0", "40.00")
    assert progress_of(await customer(shop, "old"), spend["id"])["value"] == "80.00"


async def test_a_mixed_money_step_event_shows_its_target_in_money(shops):
    shop = await shops()
    await make_rule(
        shop, "MIXED", [{"threshold": "50", "stepMetric": "AMOUNT_SPENT", "reward": points(5)}]
    )
    await order(shop, "meg", "60.00")
    events = await shop.gql("{ rewardEvents(first: 5) { nodes { data } } }")
    (event,) = events["rewardEvents"]["nodes"]
    assert event["data"]["milestone"]["threshold"] == "50.00"
