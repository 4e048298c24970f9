"""previewMilestoneRule: what a rule would grant on recorded activity, through the GraphQL API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from tortoise import Tortoise

from engine.core.enums import Role
from tests.builders import (
    ACTIVATE_RULE,
    billing,
    cancellation,
    credit,
    fixed,
    gift,
    make_rule,
    order,
    points,
    points_earned,
    referral,
    refund,
    review,
)
from tests.rule_calls import CREATE, milestone, rule_input
from tests.support import GraphQLErrors

if TYPE_CHECKING:
    from tests.support import TestShop

PREVIEW = """
query($input: MilestoneRuleInput, $id: ID, $from: DateTime, $to: DateTime) {
  previewMilestoneRule(input: $input, id: $id, from: $from, to: $to) {
    preview {
      from to customersWithProgress activitiesReplayed
      milestones { position milestoneId threshold customersReached rewardsIssued
        cost { points storeCredit discountFaceValue } }
      buckets { from to customers }
      cost { points storeCredit discountFaceValue }
    }
    userErrors { field code message }
  }
}"""

STATS = """
query($id: ID!, $milestones: [ID!]!) {
  milestoneRule(id: $id) {
    stats { customersWithProgress rewardsIssued pointsIssued storeCreditIssued discountFaceValueIssued }
    milestones { id threshold }
  }
  nodes(ids: $milestones) { id }
}"""

REACHED = "query($id: ID!, $m: ID!) { milestoneRule(id: $id) { stats { customersReached(milestone: $m) } } }"

PROGRESS = """
query($after: String) {
  customers(first: 100, after: $after) {
    nodes { externalId progress { rule { id } value currentStep } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def percent(p: str) -> dict:
    return {"percentageDiscount": {"percent": p}}


def shipping() -> dict:
    return {"freeShipping": {}}


def step(metric: str, target: str, reward: dict) -> dict:
    return {"threshold": target, "stepMetric": metric, "reward": reward}


# Each type with a ladder whose rewards cover every kind of cost.
LADDERS: dict[str, list[dict]] = {
    "ORDERS_COUNT": [milestone("1", points(10)), milestone("3", credit("5.00")), milestone("6", fixed("7.50"))],
    "AMOUNT_SPENT": [milestone("20.00", points(10)), milestone("60.00", credit("5.00")),
                     milestone("100.00", percent("10"))],
    "POINTS_EARNED": [milestone("50", fixed("5.00")), milestone("100", points(10)), milestone("250", gift())],
    "REVIEWS_COUNT": [milestone("1", points(5)), milestone("2", shipping()), milestone("5", gift())],
    "SUBSCRIPTION_CYCLES": [milestone("1", points(5)), milestone("2", credit("2.00")), milestone("3", points(20))],
    "MIXED": [step("ORDERS", "1", points(5)), step("REVIEWS", "1", credit("1.00")),
              step("POINTS_EARNED", "50", points(10)), step("AMOUNT_SPENT", "40.00", fixed("3.00"))],
}


async def history(shop: TestShop) -> None:
    """Six customers with orders, refunds, reviews, points, referrals and subscriptions, and a
    live reviews rule whose points rewards count toward POINTS_EARNED rules and points steps."""
    await make_rule(shop, "REVIEWS_COUNT", [(1, points(25))])
    for total in ("10.00", "20.00", "30.00"):
        await order(shop, "ana", total)
    await order(shop, "ben", "50.00", order_id="ben-1")
    await refund(shop, "ben", "ben-1", "50.00")
    for _ in range(6):
        await order(shop, "cy", "10.00")
    await order(shop, "dee", "40.00", order_id="dee-1")
    await order(shop, "dee", "25.00")
    await refund(shop, "dee", "dee-1", "15.00")
    for who, count in (("ana", 2), ("cy", 5), ("eve", 1)):
        for _ in range(count):
            await review(shop, who)
    for who, n in (("ana", 70), ("cy", 200), ("fay", 30)):
        await points_earned(shop, who, n)
    await order(shop, "ana", "15.00")  # after ana's reviews and points: a MIXED journey's later step
    for _ in range(3):
        await billing(shop, "ana", "k1")
    await cancellation(shop, "ana", "k1")
    await billing(shop, "ben", "k2")
    await billing(shop, "ben", "k2")
    await billing(shop, "cy", "k3")
    await referral(shop, "eve")


async def preview(shop: TestShop, role: Role = Role.ADMIN, **variables: Any) -> dict:
    data = await shop.gql(PREVIEW, variables, role)
    return data["previewMilestoneRule"]


async def previewed(shop: TestShop, **variables: Any) -> dict:
    payload = await preview(shop, **variables)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["preview"]


async def all_progress(shop: TestShop, rule_id: str) -> list[dict]:
    found, after = [], None
    while True:
        page = (await shop.gql(PROGRESS, {"after": after}))["customers"]
        for node in page["nodes"]:
            found += [p for p in node["progress"] if p["rule"]["id"] == rule_id]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def expected_buckets(type: str, thresholds: list[str], progress: list[dict]) -> list[dict]:
    """The buckets a chart of these customers' progress shows, as the preview documents them."""
    if type == "MIXED":
        bounds = [Decimal(n) for n in range(len(thresholds) + 1)]
        values = [Decimal(p["currentStep"] if p["currentStep"] is not None else len(thresholds))
                  for p in progress if Decimal(p["value"]) > 0 or (p["currentStep"] or 0) != 0]
    else:
        bounds = [Decimal(0), *(Decimal(t) for t in thresholds)]
        values = [Decimal(p["value"]) for p in progress if Decimal(p["value"]) > 0]
    buckets = []
    for n, low in enumerate(bounds):
        high = bounds[n + 1] if n + 1 < len(bounds) else None
        buckets.append({"low": low, "high": high,
                        "customers": sum(1 for v in values if v >= low and (high is None or v < high))})
    return buckets


def as_numbers(buckets: list[dict]) -> list[dict]:
    return [{"low": Decimal(b["from"]), "high": None if b["to"] is None else Decimal(b["to"]),
             "customers": b["customers"]} for b in buckets]


@pytest.mark.parametrize("type", sorted(LADDERS))
async def test_preview_equals_what_activation_with_past_activity_grants(shops, type):
    shop = await shops()
    await history(shop)
    input = {"name": f"{type} ladder", "type": type, "milestones": LADDERS[type]}
    seen = await previewed(shop, input=input)

    rule = await make_rule(shop, type, LADDERS[type], activate=False)
    activated = await shop.gql(ACTIVATE_RULE, {"id": rule["id"], "past": True})
    assert activated["activateMilestoneRule"]["userErrors"] == []
    milestone_ids = [m["id"] for m in rule["milestones"]]
    stats = (await shop.gql(STATS, {"id": rule["id"], "milestones": milestone_ids}))["milestoneRule"]["stats"]
    reached = [
        (await shop.gql(REACHED, {"id": rule["id"], "m": m}))["milestoneRule"]["stats"]["customersReached"]
        for m in milestone_ids
    ]
    assert [m["customersReached"] for m in seen["milestones"]] == reached
    assert sum(m["rewardsIssued"] for m in seen["milestones"]) == stats["rewardsIssued"]
    assert any(reached), "the history reaches some milestone of every ladder"
    assert seen["customersWithProgress"] == stats["customersWithProgress"]
    assert Decimal(seen["cost"]["points"]) == Decimal(stats["pointsIssued"])
    assert Decimal(seen["cost"]["storeCredit"]) == Decimal(stats["storeCreditIssued"])
    assert Decimal(seen["cost"]["discountFaceValue"]) == Decimal(stats["discountFaceValueIssued"])
    progress = await all_progress(shop, rule["id"])
    thresholds = [m["threshold"] for m in LADDERS[type]]
    assert as_numbers(seen["buckets"]) == expected_buckets(type, thresholds, progress)
    assert sum(b["customers"] for b in seen["buckets"]) == seen["customersWithProgress"]


async def test_an_orders_ladder_preview_answers_exact_figures(shops):
    shop = await shops()
    await history(shop)
    seen = await previewed(shop, input={"name": "Orders", "type": "ORDERS_COUNT",
                                        "milestones": LADDERS["ORDERS_COUNT"]})
    # ana 4 orders, ben 0 (refunded in full), cy 6, dee 2 (one partly refunded still counts).
    assert [(m["threshold"], m["customersReached"], m["rewardsIssued"], m["cost"]) for m in seen["milestones"]] == [
        ("1", 3, 3, {"points": 30, "storeCredit": "0.00", "discountFaceValue": "0.00"}),
        ("3", 2, 2, {"points": 0, "storeCredit": "10.00", "discountFaceValue": "0.00"}),
        ("6", 1, 1, {"points": 0, "storeCredit": "0.00", "discountFaceValue": "7.50"}),
    ]
    assert seen["cost"] == {"points": 30, "storeCredit": "10.00", "discountFaceValue": "7.50"}
    assert seen["customersWithProgress"] == 3
    assert seen["buckets"] == [
        {"from": "0", "to": "1", "customers": 0},
        {"from": "1", "to": "3", "customers": 1},
        {"from": "3", "to": "6", "customers": 1},
        {"from": "6", "to": None, "customers": 1},
    ]
    assert seen["activitiesReplayed"] == 15  # 13 orders and 2 refunds
    assert seen["from"] is None
    assert [m["milestoneId"] for m in seen["milestones"]] == [None, None, None]


async def test_amount_spent_buckets_are_money(shops):
    shop = await shops()
    await order(shop, "ana", "25.50")
    seen = await previewed(shop, input={"name": "Spend", "type": "AMOUNT_SPENT",
                                        "milestones": [milestone("20.00"), milestone("100")]})
    assert seen["buckets"] == [
        {"from": "0.00", "to": "20.00", "customers": 0},
        {"from": "20.00", "to": "100.00", "customers": 1},
        {"from": "100.00", "to": None, "customers": 0},
    ]
    assert [m["threshold"] for m in seen["milestones"]] == ["20.00", "100.00"]


async def row_counts() -> dict[str, int]:
    return {model.__name__: await model.all().count() for model in Tortoise.apps["models"].values()}


async def test_a_preview_writes_nothing(shops):
    shop = await shops()
    await history(shop)
    rule = await make_rule(shop, "POINTS_EARNED", LADDERS["POINTS_EARNED"], activate=False)
    before = await row_counts()
    for type, ladder in LADDERS.items():
        await previewed(shop, input={"name": "What if", "type": type, "milestones": ladder})
    await previewed(shop, id=rule["id"])
    await previewed(shop, input={"name": "Idle", "type": "INACTIVITY", "milestones": [milestone("1")]})
    assert await row_counts() == before


async def test_the_window_limits_what_counts(shops, database):
    from engine.services import clock

    shop = await shops()
    now = clock.now()
    long_ago = (now - timedelta(days=300)).isoformat()
    last_month = (now - timedelta(days=30)).isoformat()
    await order(shop, "ana", occurredAt=long_ago)
    await order(shop, "ana", occurredAt=last_month)
    await order(shop, "ana")
    await order(shop, "ben", occurredAt=long_ago)
    ladder = {"name": "Orders", "type": "ORDERS_COUNT", "milestones": [milestone("1"), milestone("2")]}

    def reached(seen: dict) -> list[int]:
        return [m["customersReached"] for m in seen["milestones"]]

    assert reached(await previewed(shop, input=ladder)) == [2, 1]
    since = (now - timedelta(days=60)).isoformat()
    recent = await previewed(shop, input=ladder, **{"from": since})
    assert reached(recent) == [1, 1] and recent["activitiesReplayed"] == 2
    assert recent["from"] == datetime.fromisoformat(since).astimezone(UTC).isoformat()
    until = (now - timedelta(days=1)).isoformat()
    assert reached(await previewed(shop, input=ladder, to=until)) == [2, 1]
    month = await previewed(shop, input=ladder, **{"from": since, "to": until})
    assert reached(month) == [1, 0] and month["activitiesReplayed"] == 1
    # `from` inclusive, `to` exclusive.
    exactly = await previewed(shop, input=ladder, **{"from": last_month, "to": until})
    assert exactly["activitiesReplayed"] == 1
    assert (await previewed(shop, input=ladder, **{"from": since, "to": last_month}))["activitiesReplayed"] == 0


async def test_the_rule_window_applies_inside_the_preview_window(shops):
    from engine.services import clock

    shop = await shops()
    now = clock.now()
    await order(shop, "ana", occurredAt=(now - timedelta(days=10)).isoformat())
    await order(shop, "ana", occurredAt=(now - timedelta(days=3)).isoformat())
    ladder = {"name": "Recent", "type": "ORDERS_COUNT", "milestones": [milestone("1"), milestone("2")],
              "startsAt": (now - timedelta(days=5)).isoformat()}
    assert [m["customersReached"] for m in (await previewed(shop, input=ladder))["milestones"]] == [1, 0]


async def test_inactivity_is_previewed_as_of_to(shops):
    from engine.services import clock

    shop = await shops()
    now = clock.now()
    await order(shop, "ana", occurredAt=(now - timedelta(days=40)).isoformat())
    await order(shop, "ben", occurredAt=(now - timedelta(days=12)).isoformat())
    await order(shop, "cy", occurredAt=(now - timedelta(hours=2)).isoformat())
    await review(shop, "ben", occurredAt=(now - timedelta(days=8)).isoformat())  # any kind of activity counts
    idle = {"name": "Come back", "type": "INACTIVITY", "milestones": [milestone("7"), milestone("30", credit("4.00"))]}
    seen = await previewed(shop, input=idle)
    assert [m["customersReached"] for m in seen["milestones"]] == [2, 1]
    assert seen["cost"] == {"points": 20, "storeCredit": "4.00", "discountFaceValue": "0.00"}
    assert seen["customersWithProgress"] == 2  # cy has not been idle a whole day
    assert seen["buckets"] == [
        {"from": "0", "to": "7", "customers": 0},
        {"from": "7", "to": "30", "customers": 1},
        {"from": "30", "to": None, "customers": 1},
    ]
    # As of 20 days ago, only ana (idle 20 days then) had been away a week; ben's and cy's
    # activity came later and is outside the window.
    earlier = await previewed(shop, input=idle, to=(now - timedelta(days=20)).isoformat())
    assert [m["customersReached"] for m in earlier["milestones"]] == [1, 0]
    assert earlier["to"] == (now - timedelta(days=20)).isoformat()


async def test_the_id_form_previews_a_stored_rule(shops):
    shop = await shops()
    await history(shop)
    draft = await make_rule(shop, "ORDERS_COUNT", LADDERS["ORDERS_COUNT"], activate=False)
    by_input = await previewed(shop, input={"name": "x", "type": "ORDERS_COUNT", "milestones": LADDERS["ORDERS_COUNT"]})
    by_id = await previewed(shop, id=draft["id"])
    assert [m["milestoneId"] for m in by_id["milestones"]] == [m["id"] for m in draft["milestones"]]
    for m in by_id["milestones"]:
        m["milestoneId"] = None
    by_id.pop("to"), by_input.pop("to")  # now, at each call
    assert by_id == by_input
    # An active rule is previewed as if activated again with countPastActivity.
    await shop.gql(ACTIVATE_RULE, {"id": draft["id"], "past": False})
    active = await previewed(shop, id=draft["id"])
    assert [m["customersReached"] for m in active["milestones"]] == [m["customersReached"] for m in by_id["milestones"]]


async def test_an_unknown_or_foreign_rule_id_is_not_found(shops):
    shop, other = await shops(), await shops()
    theirs = await make_rule(other, "ORDERS_COUNT", [(1, points(1))], activate=False)
    for id in (theirs["id"], "gid://milestones/MilestoneRule/999999", "nonsense"):
        payload = await preview(shop, id=id)
        assert payload["preview"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["id"], "NOT_FOUND")]


async def test_one_shop_never_sees_another_shops_activity(shops):
    shop, other = await shops(), await shops()
    for _ in range(3):
        await order(other, "ana")
    await order(shop, "ana")
    seen = await previewed(shop, input={"name": "x", "type": "ORDERS_COUNT",
                                        "milestones": [milestone("1"), milestone("2")]})
    assert [m["customersReached"] for m in seen["milestones"]] == [1, 0]
    assert seen["activitiesReplayed"] == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"milestones": []},
        {"milestones": [milestone("5"), milestone("3")]},
        {"milestones": [milestone("2.5"), milestone("0", {"storeCredit": {"amount": "-1"}})]},
        {"type": "MIXED"},
        {"rewardExpiryDays": 0, "startsAt": "2026-02-01T00:00:00Z", "endsAt": "2026-01-01T00:00:00Z"},
        {"milestones": [{**milestone("1"), "id": "gid://milestones/Milestone/1"}]},
        {"startsAt": "2026-01-01T00:00:00"},
    ],
)
async def test_invalid_input_gives_the_errors_create_gives(shops, overrides):
    shop = await shops()
    created = (await shop.gql(CREATE, {"input": rule_input(**overrides)}))["createMilestoneRule"]
    assert created["userErrors"]
    payload = await preview(shop, input=rule_input(**overrides))
    assert payload["preview"] is None
    assert payload["userErrors"] == created["userErrors"]


async def test_a_window_that_ends_in_the_future_or_before_it_starts_is_refused(shops):
    from engine.services import clock

    shop = await shops()
    now = clock.now()
    ahead = await preview(shop, input=rule_input(), to=(now + timedelta(hours=1)).isoformat())
    assert [(e["field"], e["code"]) for e in ahead["userErrors"]] == [(["to"], "INVALID")]
    backwards = await preview(shop, input=rule_input(), **{"from": now.isoformat(),
                                                           "to": (now - timedelta(days=1)).isoformat()})
    assert [(e["field"], e["code"]) for e in backwards["userErrors"]] == [(["to"], "INVALID")]
    both = await preview(shop, input=rule_input(name=""), to=(now + timedelta(hours=1)).isoformat())
    assert [(e["field"], e["code"]) for e in both["userErrors"]] == [(["to"], "INVALID"), (["input", "name"], "INVALID")]
    no_offset = await preview(shop, input=rule_input(), to="2026-01-01T00:00:00")
    assert [(e["field"], e["code"]) for e in no_offset["userErrors"]] == [(["to"], "INVALID")]


async def test_exactly_one_of_input_and_id_is_required(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(1, points(1))], activate=False)
    for variables in ({}, {"input": rule_input(), "id": rule["id"]}):
        with pytest.raises(GraphQLErrors) as refused:
            await preview(shop, **variables)
        assert [e["extensions"]["code"] for e in refused.value.errors] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("role", [Role.PARTNER, Role.STOREFRONT])
async def test_partner_and_storefront_keys_are_refused(shops, role):
    shop = await shops()
    with pytest.raises(GraphQLErrors) as refused:
        await preview(shop, role, input=rule_input())
    assert [e["extensions"]["code"] for e in refused.value.errors] == ["FORBIDDEN"]


async def test_a_draft_on_the_free_plan_can_be_previewed(shops):
    from engine.core.enums import Plan

    shop = await shops(plan=Plan.FREE)
    await order(shop, "ana")
    seen = await previewed(shop, input=rule_input(milestones=[milestone("1")]))
    assert seen["milestones"][0]["customersReached"] == 1



SWEEP = """
mutation($asOf: DateTime) {
  runInactivitySweep(asOf: $asOf, dryRun: true) { granted byRule { rule { id } customers granted } userErrors { code } }
}"""


async def test_an_inactivity_preview_grants_what_the_sweep_would_as_of_the_same_time(shops):
    from engine.services import clock

    shop = await shops()
    now = clock.now()
    for who, days in (("ana", 3), ("ben", 9), ("cy", 31), ("dee", 64), ("eve", 0.5)):
        await order(shop, who, occurredAt=(now - timedelta(days=days)).isoformat())
    await review(shop, "dee", occurredAt=(now - timedelta(days=20)).isoformat())
    rule = await make_rule(shop, "INACTIVITY", [(7, points(5)), (30, credit("4.00")), (60, points(50))])
    as_of = clock.now().isoformat()
    seen = await previewed(shop, id=rule["id"], to=as_of)
    swept = (await shop.gql(SWEEP, {"asOf": as_of}))["runInactivitySweep"]
    (part,) = [p for p in swept["byRule"] if p["rule"]["id"] == rule["id"]]
    assert sum(m["rewardsIssued"] for m in seen["milestones"]) == part["granted"] == 4
    assert seen["milestones"][0]["customersReached"] == part["customers"] == 3
    assert [m["customersReached"] for m in seen["milestones"]] == [3, 1, 0]


async def test_a_streak_preview_counts_each_streak_once_as_activation_grants(shops):
    """Two streaks of three months for one customer reach the 3-month milestone twice; a
    customer whose months are not consecutive reaches nothing; nobody's streak is alive now."""
    shop = await shops()
    for month in ("01", "02", "03", "05", "06", "07"):
        await order(shop, "sam", "20.00", occurredAt=f"2026-{month}-10T12:00:00+00:00")
    for month in ("01", "03"):
        await order(shop, "tom", "20.00", occurredAt=f"2026-{month}-10T12:00:00+00:00")
    ladder = [milestone("3", points(50)), milestone("6", credit("5.00"))]
    input = {"name": "Monthly streak", "type": "STREAK", "period": "MONTH", "streakMetric": "ORDERS",
             "milestones": ladder}
    seen = await previewed(shop, input=input)
    assert [(m["customersReached"], m["rewardsIssued"]) for m in seen["milestones"]] == [(1, 2), (0, 0)]
    assert Decimal(seen["cost"]["points"]) == 100

    rule = await make_rule(shop, "STREAK", ladder, activate=False, period="MONTH", streakMetric="ORDERS")
    activated = await shop.gql(ACTIVATE_RULE, {"id": rule["id"], "past": True})
    assert activated["activateMilestoneRule"]["userErrors"] == []
    milestone_ids = [m["id"] for m in rule["milestones"]]
    stats = (await shop.gql(STATS, {"id": rule["id"], "milestones": milestone_ids}))["milestoneRule"]["stats"]
    assert (stats["rewardsIssued"], Decimal(stats["pointsIssued"])) == (2, 100)
    assert seen["customersWithProgress"] == stats["customersWithProgress"]
    assert as_numbers(seen["buckets"]) == expected_buckets("STREAK", ["3", "6"], await all_progress(shop, rule["id"]))
