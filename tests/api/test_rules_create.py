"""createMilestoneRule: what it stores, and every way an input is refused without writing."""

from __future__ import annotations

import pytest

from engine.core.enums import Plan
from tests.rule_calls import create, create_rule, errors, milestone, points, rule_count
from tests.support import GraphQLErrors

M0 = ["input", "milestones", "0"]


async def test_create_stores_a_draft_with_milestones_in_order(shops):
    shop = await shops()
    rule = await create_rule(shop, rewardExpiryDays=30, refundPolicy="REVOKE_UNREDEEMED")
    assert rule["id"].startswith("gid://milestones/MilestoneRule/")
    assert (rule["name"], rule["type"]) == ("Loyal customer", "ORDERS_COUNT")
    assert rule["status"] == "DRAFT"
    assert (rule["refundPolicy"], rule["rewardExpiryDays"]) == ("REVOKE_UNREDEEMED", 30)
    assert (rule["activatedAt"], rule["countPastActivity"]) == (None, False)
    assert [(m["position"], m["threshold"]) for m in rule["milestones"]] == [
        (0, "5"),
        (1, "20"),
        (2, "30"),
    ]
    assert [m["reward"] for m in rule["milestones"]] == [
        {"__typename": "PointsReward", "points": 100},
        {"__typename": "PointsReward", "points": 500},
        {"__typename": "PointsReward", "points": 10},
    ]


async def test_create_keeps_the_window_in_utc(shops):
    shop = await shops()
    rule = await create_rule(
        shop, startsAt="2026-01-01T02:00:00+02:00", endsAt="2026-12-31T23:59:59+00:00"
    )
    assert (rule["startsAt"], rule["endsAt"]) == (
        "2026-01-01T00:00:00+00:00",
        "2026-12-31T23:59:59+00:00",
    )


async def test_every_reward_kind_round_trips_with_exact_decimals(shops):
    shop = await shops()
    rewards = [
        points(100),
        {"storeCredit": {"amount": "10"}},
        {"fixedDiscount": {"amount": "5.5", "minimumSubtotal": "50"}},
        {"percentageDiscount": {"percent": "12.5"}},
        {"freeShipping": {"maxShippingAmount": "7.25"}},
        {"freeGift": {"productId": "shirt-classic", "variantId": "shirt-classic-m", "quantity": 2}},
    ]
    milestones = [milestone(str(i + 1), reward) for i, reward in enumerate(rewards)]
    rule = await create_rule(shop, rewardExpiryDays=14, milestones=milestones)
    assert [m["reward"] for m in rule["milestones"]] == [
        {"__typename": "PointsReward", "points": 100},
        {"__typename": "StoreCreditReward", "amount": "10.00"},
        {"__typename": "FixedDiscountReward", "amount": "5.50", "minimumSubtotal": "50.00"},
        {"__typename": "PercentageDiscountReward", "percent": "12.5", "minimumSubtotal": None},
        {"__typename": "FreeShippingReward", "maxShippingAmount": "7.25"},
        {
            "__typename": "FreeGiftReward",
            "productId": "shirt-classic",
            "variantId": "shirt-classic-m",
            "quantity": 2,
        },
    ]


async def test_optional_reward_fields_default(shops):
    shop = await shops()
    rule = await create_rule(
        shop,
        milestones=[
            milestone("1", {"freeShipping": {}}),
            milestone("2", {"freeGift": {"productId": "mug"}}),
            milestone("3", {"percentageDiscount": {"percent": "100.00"}}),
        ],
    )
    assert [m["reward"] for m in rule["milestones"]] == [
        {"__typename": "FreeShippingReward", "maxShippingAmount": None},
        {"__typename": "FreeGiftReward", "productId": "mug", "variantId": None, "quantity": 1},
        {"__typename": "PercentageDiscountReward", "percent": "100", "minimumSubtotal": None},
    ]


async def test_money_follows_the_shops_currency(shops):
    shop = await shops(currency="JPY")
    rule = await create_rule(
        shop,
        type="AMOUNT_SPENT",
        milestones=[milestone("5000", {"storeCredit": {"amount": "1000"}})],
    )
    (only,) = rule["milestones"]
    assert (only["threshold"], only["reward"]["amount"]) == ("5000", "1000")


async def test_amount_spent_thresholds_are_money(shops):
    shop = await shops()
    rule = await create_rule(
        shop, type="AMOUNT_SPENT", milestones=[milestone("99.9"), milestone("250")]
    )
    assert [m["threshold"] for m in rule["milestones"]] == ["99.90", "250.00"]


@pytest.mark.parametrize(
    "rule_type",
    ["ORDERS_COUNT", "AMOUNT_SPENT", "POINTS_EARNED", "REVIEWS_COUNT", "INACTIVITY",
     "SUBSCRIPTION_CYCLES"],
)
async def test_every_single_metric_type_is_accepted(shops, rule_type):
    shop = await shops()
    rule = await create_rule(shop, type=rule_type, milestones=[milestone("3"), milestone("7")])
    assert rule["type"] == rule_type
    assert [m["stepMetric"] for m in rule["milestones"]] == [None, None]


async def test_mixed_steps_have_metrics_descriptions_and_may_repeat_targets(shops):
    shop = await shops()
    steps = [
        milestone("1", points(50), stepMetric="ORDERS", description="Place your first order"),
        milestone("1", {"freeShipping": {}}, stepMetric="REVIEWS", description="Review a product"),
        milestone("25.5", points(5), stepMetric="AMOUNT_SPENT", description="Spend $25.50"),
        milestone("1", points(5), stepMetric="POINTS_EARNED"),
        milestone("1", points(5), stepMetric="REFERRALS"),
        milestone("1", points(5), stepMetric="SUBSCRIPTION_CYCLES"),
    ]
    rule = await create_rule(shop, type="MIXED", milestones=steps)
    assert [(m["stepMetric"], m["threshold"], m["description"]) for m in rule["milestones"]] == [
        ("ORDERS", "1", "Place your first order"),
        ("REVIEWS", "1", "Review a product"),
        ("AMOUNT_SPENT", "25.50", "Spend $25.50"),
        ("POINTS_EARNED", "1", None),
        ("REFERRALS", "1", None),
        ("SUBSCRIPTION_CYCLES", "1", None),
    ]


async def test_the_limits_themselves_are_accepted(shops):
    shop = await shops()
    longest = await create_rule(shop, name="x" * 120, rewardExpiryDays=3650)
    shortest = await create_rule(shop, name="y", rewardExpiryDays=1)
    assert (len(longest["name"]), longest["rewardExpiryDays"]) == (120, 3650)
    assert (shortest["name"], shortest["rewardExpiryDays"]) == ("y", 1)


async def test_drafts_can_be_written_on_the_free_plan(shops):
    shop = await shops(plan=Plan.FREE)
    rule = await create_rule(shop)
    assert rule["status"] == "DRAFT"


async def test_increasing_thresholds_are_required_and_each_offender_is_named_as_its_path_does(shops):
    shop = await shops()
    payload = await create(
        shop, milestones=[milestone("5"), milestone("5"), milestone("3")]
    )
    assert payload["rule"] is None
    assert payload["userErrors"] == [
        {
            "field": ["input", "milestones", "1", "threshold"],
            "code": "THRESHOLDS_NOT_INCREASING",
            "message": "The second milestone's threshold must be higher than the first milestone's.",
        },
        {
            "field": ["input", "milestones", "2", "threshold"],
            "code": "THRESHOLDS_NOT_INCREASING",
            "message": "The third milestone's threshold must be higher than the second milestone's.",
        },
    ]
    assert await rule_count(shop) == 0


INVALID_INPUTS = {
    "empty name": ({"name": ""}, ["input", "name"]),
    "blank name": ({"name": "   "}, ["input", "name"]),
    "name of 121 characters": ({"name": "x" * 121}, ["input", "name"]),
    "window ending at its start": (
        {"startsAt": "2026-05-01T00:00:00Z", "endsAt": "2026-05-01T00:00:00Z"},
        ["input", "endsAt"],
    ),
    "window ending before its start": (
        {"startsAt": "2026-05-01T00:00:00Z", "endsAt": "2026-04-01T00:00:00Z"},
        ["input", "endsAt"],
    ),
    "reward expiry of 0 days": ({"rewardExpiryDays": 0}, ["input", "rewardExpiryDays"]),
    "reward expiry of 3651 days": ({"rewardExpiryDays": 3651}, ["input", "rewardExpiryDays"]),
    "no milestones": ({"milestones": []}, ["input", "milestones"]),
    "fractional order threshold": ({"milestones": [milestone("2.5")]}, [*M0, "threshold"]),
    "zero threshold": ({"milestones": [milestone("0")]}, [*M0, "threshold"]),
    "negative threshold": ({"milestones": [milestone("-1")]}, [*M0, "threshold"]),
    "money threshold with a third decimal": (
        {"type": "AMOUNT_SPENT", "milestones": [milestone("10.005")]},
        [*M0, "threshold"],
    ),
    "zero points": (
        {"milestones": [milestone("1", points(0))]}, [*M0, "reward", "points", "points"]
    ),
    "zero store credit": (
        {"milestones": [milestone("1", {"storeCredit": {"amount": "0"}})]},
        [*M0, "reward", "storeCredit", "amount"],
    ),
    "negative fixed discount": (
        {"milestones": [milestone("1", {"fixedDiscount": {"amount": "-5"}})]},
        [*M0, "reward", "fixedDiscount", "amount"],
    ),
    "negative minimum subtotal": (
        {"milestones": [milestone("1", {"fixedDiscount": {"amount": "5", "minimumSubtotal": "-1"}})]},
        [*M0, "reward", "fixedDiscount", "minimumSubtotal"],
    ),
    "zero percent": (
        {"milestones": [milestone("1", {"percentageDiscount": {"percent": "0"}})]},
        [*M0, "reward", "percentageDiscount", "percent"],
    ),
    "percent above 100": (
        {"milestones": [milestone("1", {"percentageDiscount": {"percent": "100.01"}})]},
        [*M0, "reward", "percentageDiscount", "percent"],
    ),
    "percent with three decimals": (
        {"milestones": [milestone("1", {"percentageDiscount": {"percent": "12.345"}})]},
        [*M0, "reward", "percentageDiscount", "percent"],
    ),
    "negative free shipping cap": (
        {"milestones": [milestone("1", {"freeShipping": {"maxShippingAmount": "-1"}})]},
        [*M0, "reward", "freeShipping", "maxShippingAmount"],
    ),
    "zero gift quantity": (
        {"milestones": [milestone("1", {"freeGift": {"productId": "mug", "quantity": 0}})]},
        [*M0, "reward", "freeGift", "quantity"],
    ),
    "empty gift product": (
        {"milestones": [milestone("1", {"freeGift": {"productId": ""}})]},
        [*M0, "reward", "freeGift", "productId"],
    ),
    "MIXED step without a metric": (
        {"type": "MIXED", "milestones": [milestone("1")]},
        [*M0, "stepMetric"],
    ),
    "step metric on a non-MIXED rule": (
        {"milestones": [milestone("1", stepMetric="ORDERS")]},
        [*M0, "stepMetric"],
    ),
    "description over 500 characters": (
        {"milestones": [milestone("1", description="d" * 501)]},
        [*M0, "description"],
    ),
}


@pytest.mark.parametrize("overrides, field", INVALID_INPUTS.values(), ids=INVALID_INPUTS.keys())
async def test_invalid_input_is_refused_at_its_field_and_writes_nothing(shops, overrides, field):
    shop = await shops()
    payload = await create(shop, **overrides)
    assert payload["rule"] is None
    assert errors(payload) == [(field, "INVALID")]
    assert payload["userErrors"][0]["message"]
    assert await rule_count(shop) == 0


async def test_money_with_more_decimals_than_the_currency_is_refused(shops):
    shop = await shops(currency="JPY")
    payload = await create(shop, milestones=[milestone("1", {"storeCredit": {"amount": "10.5"}})])
    assert errors(payload) == [([*M0, "reward", "storeCredit", "amount"], "INVALID")]
    assert "JPY" in payload["userErrors"][0]["message"]
    assert await rule_count(shop) == 0


async def test_every_problem_is_reported_at_once(shops):
    shop = await shops()
    payload = await create(
        shop,
        name="",
        rewardExpiryDays=0,
        milestones=[milestone("1", points(0)), milestone("2.5")],
    )
    assert errors(payload) == [
        (["input", "name"], "INVALID"),
        (["input", "rewardExpiryDays"], "INVALID"),
        ([*M0, "reward", "points", "points"], "INVALID"),
        (["input", "milestones", "1", "threshold"], "INVALID"),
    ]


async def test_a_reward_input_with_two_kinds_is_a_graphql_error(shops):
    shop = await shops()
    both = {"points": {"points": 5}, "storeCredit": {"amount": "5"}}
    with pytest.raises(GraphQLErrors) as raised:
        await create(shop, milestones=[milestone("1", both)])
    assert "exactly one" in raised.value.errors[0]["message"].lower()
    assert await rule_count(shop) == 0


async def test_a_reward_input_with_no_kind_is_a_graphql_error(shops):
    shop = await shops()
    with pytest.raises(GraphQLErrors):
        await create(shop, milestones=[milestone("1", {})])
    assert await rule_count(shop) == 0


async def test_new_rules_cannot_name_milestone_ids(shops):
    shop = await shops()
    rule = await create_rule(shop)
    reused = {**milestone("1"), "id": rule["milestones"][0]["id"]}
    payload = await create(shop, milestones=[reused])
    assert errors(payload) == [(["input", "milestones"], "INVALID")]
    assert await rule_count(shop) == 1



async def test_a_rule_holds_hundreds_of_milestones_in_order(shops):
    shop = await shops()
    many = [milestone(str(n), points(n)) for n in range(1, 301)]
    rule = await create_rule(shop, milestones=many)
    assert [m["threshold"] for m in rule["milestones"]] == [str(n) for n in range(1, 301)]
    assert [m["position"] for m in rule["milestones"]] == list(range(300))
    assert len({m["id"] for m in rule["milestones"]}) == 300
