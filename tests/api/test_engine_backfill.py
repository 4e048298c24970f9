"""countPastActivity for every counted type, and grants when an active rule's milestones change."""

from tests.builders import (
    ACTIVATE_RULE,
    billing,
    cancellation,
    customer,
    make_rule,
    order,
    points,
    points_earned,
    progress_of,
    review,
)

UPDATE = """mutation($id: ID!, $input: MilestoneRuleUpdateInput!) {
  updateMilestoneRule(id: $id, input: $input) { rule { milestones { id threshold } } userErrors { code field } } }"""


async def activate_with_past(shop, rule):
    result = await shop.gql(ACTIVATE_RULE, {"id": rule["id"], "past": True})
    assert result["activateMilestoneRule"]["userErrors"] == []


async def test_past_reviews_points_and_contracts_count_at_activation(shops):
    shop = await shops()
    await review(shop, "pam")
    await review(shop, "pam")
    await points_earned(shop, "pam", 70)
    await billing(shop, "pam", "k1")
    await billing(shop, "pam", "k1")
    await cancellation(shop, "pam", "k1")
    await billing(shop, "pam", "k2")
    reviews = await make_rule(shop, "REVIEWS_COUNT", [(2, points(1))], activate=False)
    earned = await make_rule(shop, "POINTS_EARNED", [(50, points(2))], activate=False)
    cycles = await make_rule(shop, "SUBSCRIPTION_CYCLES", [(2, points(4)), (3, points(8))], activate=False)
    for rule in (reviews, earned, cycles):
        await activate_with_past(shop, rule)
    data = await customer(shop, "pam")
    assert progress_of(data, reviews["id"])["value"] == "2"
    # 70 from the store, 1 from the reviews rule counted at its activation, and 4 from the
    # subscription rule's reward granted after this rule became active.
    assert progress_of(data, earned["id"])["value"] == "75"
    subscription = progress_of(data, cycles["id"])
    assert subscription["value"] == "1"  # k1 was reset by its cancellation; k2 has one cycle
    assert sorted((c["contractId"], c["cycles"]) for c in subscription["contracts"]) == [("k1", 0), ("k2", 1)]
    # k1 reached 2 cycles before it was cancelled: that milestone was earned, the next was not.
    assert data["pointsBalance"] == 70 + 1 + 2 + 4
    # Billing continues from the counted state: k2's second cycle grants nothing new, its third grants 8.
    await billing(shop, "pam", "k2")
    third = await billing(shop, "pam", "k2")
    assert [r["reward"]["points"] for r in third["issuedRewards"]] == [8]


async def test_a_past_mixed_journey_is_replayed_in_order_at_activation(shops):
    shop = await shops()
    await review(shop, "mo")  # before the journey's first step: does not count
    await order(shop, "mo")
    await review(shop, "mo")
    await order(shop, "mo")
    rule = await make_rule(
        shop,
        "MIXED",
        [
            {"threshold": "1", "stepMetric": "ORDERS", "reward": points(3)},
            {"threshold": "1", "stepMetric": "REVIEWS", "reward": points(5)},
            {"threshold": "2", "stepMetric": "ORDERS", "reward": points(7)},
        ],
        activate=False,
    )
    await activate_with_past(shop, rule)
    data = await customer(shop, "mo")
    progress = progress_of(data, rule["id"])
    assert (progress["currentStep"], progress["value"]) == (2, "1")
    assert data["pointsBalance"] == 8
    done = await order(shop, "mo")
    assert [r["reward"]["points"] for r in done["issuedRewards"]] == [7]


async def test_a_milestone_added_to_an_active_rule_is_granted_to_who_already_meets_it(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(5, points(50))])
    for _ in range(3):
        await order(shop, "abe")
    kept = rule["milestones"][0]["id"]
    result = await shop.gql(
        UPDATE,
        {"id": rule["id"], "input": {"milestones": [
            {"threshold": "2", "reward": points(20)},
            {"id": kept, "threshold": "5", "reward": points(50)},
        ]}},
    )
    assert result["updateMilestoneRule"]["userErrors"] == []
    data = await customer(shop, "abe")
    assert data["pointsBalance"] == 20
    assert [m["status"] for m in progress_of(data, rule["id"])["milestones"]] == ["REACHED", "NEXT"]
    # Sending the same list again grants nothing twice.
    await shop.gql(UPDATE, {"id": rule["id"], "input": {"name": "renamed"}})
    assert (await customer(shop, "abe"))["pointsBalance"] == 20
