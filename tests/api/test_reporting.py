"""Admin reporting: a rule's stats, the shop-wide issued rewards, customers found and sorted.
Exact figures, a constant number of statements for any number of rules, and an index under
every statement on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.services import clock
from tests.builders import credit, fixed, make_rule, order, points, refund, review, signup
from tests.query_counter import capture_statements, count_queries
from tests.reporting_support import assert_every_statement_uses_an_index

REDEEM = 'mutation($code: String!) { redeemReward(code: $code) { userErrors { code } } }'


def stats_query(milestones: int) -> str:
    reached = " ".join(f"m{i}: customersReached(milestone: $m{i})" for i in range(milestones))
    declared = "".join(f", $m{i}: ID!" for i in range(milestones))
    return (
        f"query($id: ID!{declared}) {{ milestoneRule(id: $id) {{ stats {{"
        " customersWithProgress rewardsIssued rewardsRedeemed pointsIssued storeCreditIssued"
        f" discountFaceValueIssued {reached} }} }} }}"
    )


async def stats(shop, rule: dict, milestone_ids: list[str]) -> dict:
    variables = {"id": rule["id"], **{f"m{i}": m for i, m in enumerate(milestone_ids)}}
    return (await shop.gql(stats_query(len(milestone_ids)), variables))["milestoneRule"]["stats"]


async def test_a_rules_stats_count_its_customers_and_sum_its_rewards_exactly(shops):
    shop = await shops()
    ladder = await make_rule(
        shop, "ORDERS_COUNT", [(1, points(10)), (2, fixed("5.00")), (3, credit("2.50"))]
    )
    spend = await make_rule(
        shop, "AMOUNT_SPENT", [(15, fixed("3.00"))], refundPolicy="REVOKE_UNREDEEMED"
    )
    for _ in range(3):
        await order(shop, "ada", "10.00")
    await order(shop, "bob", "10.00", order_id="bob-1")
    second = await order(shop, "bob", "10.00")
    await signup(shop, "cyd")
    ladder_code = next(
        r["code"] for r in second["issuedRewards"]
        if r["reward"] == {"__typename": "FixedDiscountReward", "amount": "5.00"}
    )
    assert (await shop.gql(REDEEM, {"code": ladder_code}))["redeemReward"]["userErrors"] == []
    await refund(shop, "bob", "bob-1", "10.00")  # bob falls below 15.00: the spend code is revoked

    ladder_ms = [m["id"] for m in ladder["milestones"]]
    assert await stats(shop, ladder, ladder_ms) == {
        "customersWithProgress": 2,
        "rewardsIssued": 5,
        "rewardsRedeemed": 1,
        "pointsIssued": "20",
        "storeCreditIssued": "2.50",
        "discountFaceValueIssued": "10.00",
        "m0": 2,
        "m1": 2,
        "m2": 1,
    }
    # A milestone of another rule is not this rule's: null, not a count.
    assert await stats(shop, spend, [spend["milestones"][0]["id"], ladder_ms[0]]) == {
        "customersWithProgress": 2,
        "rewardsIssued": 2,
        "rewardsRedeemed": 0,
        "pointsIssued": "0",
        "storeCreditIssued": "0.00",
        "discountFaceValueIssued": "6.00",
        "m0": 1,
        "m1": None,
    }


async def test_stats_of_a_rule_without_activity_are_zero_and_a_bad_milestone_id_is_bad_user_input(shops):
    shop = await shops()
    rule = await make_rule(shop, "REVIEWS_COUNT", [(1, points(1))], activate=False)
    assert await stats(shop, rule, [rule["milestones"][0]["id"]]) == {
        "customersWithProgress": 0,
        "rewardsIssued": 0,
        "rewardsRedeemed": 0,
        "pointsIssued": "0",
        "storeCreditIssued": "0.00",
        "discountFaceValueIssued": "0.00",
        "m0": 0,
    }
    body = await shop.raw(stats_query(1), {"id": rule["id"], "m0": "not-a-milestone"})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


async def test_inactivity_and_mixed_rules_count_customers_with_a_day_idle_or_a_step_done(shops):
    shop = await shops()
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with clock.frozen(start) as move:
        idle = await make_rule(shop, "INACTIVITY", [(30, points(5))])
        journey = await make_rule(
            shop, "MIXED",
            [
                {"threshold": "1", "stepMetric": "ORDERS", "reward": points(1)},
                {"threshold": "2", "stepMetric": "REVIEWS", "reward": points(2)},
            ],
        )
        await order(shop, "early")  # step 1 done
        await review(shop, "early")  # one review into step 2
        move(start + timedelta(hours=30))
        await signup(shop, "recent")
        move(start + timedelta(hours=40))
        idle_stats = await stats(shop, idle, [])
        journey_stats = await stats(shop, journey, [])
    assert idle_stats["customersWithProgress"] == 1  # early: idle 40 hours; recent: 10
    assert journey_stats["customersWithProgress"] == 1
    assert journey_stats["pointsIssued"] == "1"


RULES_WITH_STATS = """{ milestoneRules(first: 50) { nodes { id stats {
  customersWithProgress rewardsIssued rewardsRedeemed pointsIssued storeCreditIssued
  discountFaceValueIssued } } } }"""


async def test_a_page_of_rules_with_stats_costs_the_same_statements_as_one_rule(shops):
    counts = {}
    for rules in (2, 9):
        shop = await shops()
        made = [await make_rule(shop, "ORDERS_COUNT", [(1, points(3))]) for _ in range(rules - 1)]
        await make_rule(shop, "INACTIVITY", [(5, points(1))])
        for n in range(3):
            await order(shop, f"c{n}")
        await shop.key()
        with count_queries() as seen:
            data = await shop.gql(RULES_WITH_STATS)
        counts[rules] = len(seen)
        nodes = data["milestoneRules"]["nodes"]
        assert [n["stats"]["rewardsIssued"] for n in nodes] == [3] * (rules - 1) + [0]
        assert [n["stats"]["customersWithProgress"] for n in nodes] == [3] * (rules - 1) + [0]
        reached = (
            "query($m: ID!) { milestoneRules(first: 50) { nodes { stats {"
            " customersReached(milestone: $m) } } } }"
        )
        with count_queries() as seen:
            data = await shop.gql(reached, {"m": made[0]["milestones"][0]["id"]})
        counts[("reached", rules)] = len(seen)
        found = [n["stats"]["customersReached"] for n in data["milestoneRules"]["nodes"]]
        assert found == [3] + [None] * (rules - 1)
    assert counts[2] == counts[9], counts
    assert counts[2] <= 6, counts
    assert counts[("reached", 2)] == counts[("reached", 9)], counts


ISSUED = """
query($first: Int, $after: String, $status: [IssuedRewardStatus!], $ruleId: ID,
      $kind: [RewardKind!], $issuedAfter: DateTime, $issuedBefore: DateTime) {
  issuedRewards(first: $first, after: $after, status: $status, ruleId: $ruleId, kind: $kind,
                issuedAfter: $issuedAfter, issuedBefore: $issuedBefore) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id kind status issuedAt customerId rule { id } }
  }
}"""


async def issued(shop, **variables) -> dict:
    return (await shop.gql(ISSUED, variables))["issuedRewards"]


async def test_issued_rewards_of_the_shop_filter_by_status_rule_kind_and_time(shops):
    shop, other = await shops(), await shops()
    base = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    with clock.frozen(base) as move:
        ladder = await make_rule(shop, "ORDERS_COUNT", [(1, points(10)), (2, fixed("5.00"))])
        reviews = await make_rule(shop, "REVIEWS_COUNT", [(1, credit("1.00"))])
        await make_rule(other, "ORDERS_COUNT", [(1, points(10))])
        await order(other, "theirs")
        await order(shop, "ada")  # points, at 09:00
        move(base + timedelta(hours=1))
        coded = await order(shop, "ada")  # code, at 10:00
        move(base + timedelta(hours=2))
        await review(shop, "ada")  # credit, at 11:00
    everything = await issued(shop, first=10)
    assert everything["totalCount"] == 3
    assert [n["kind"] for n in everything["nodes"]] == ["STORE_CREDIT", "FIXED_DISCOUNT", "POINTS"]
    code = coded["issuedRewards"][0]["code"]
    assert (await shop.gql(REDEEM, {"code": code}))["redeemReward"]["userErrors"] == []

    def kinds(page: dict) -> list[str]:
        return [n["kind"] for n in page["nodes"]]

    assert kinds(await issued(shop, status=["REDEEMED"])) == ["FIXED_DISCOUNT"]
    assert kinds(await issued(shop, status=["ISSUED"])) == ["STORE_CREDIT", "POINTS"]
    assert kinds(await issued(shop, ruleId=ladder["id"])) == ["FIXED_DISCOUNT", "POINTS"]
    assert kinds(await issued(shop, ruleId=reviews["id"], kind=["POINTS"])) == []
    assert kinds(await issued(shop, kind=["POINTS", "STORE_CREDIT"])) == ["STORE_CREDIT", "POINTS"]
    window = {"issuedAfter": "2026-02-01T10:00:00+00:00", "issuedBefore": "2026-02-01T13:00:00+02:00"}
    assert kinds(await issued(shop, **window)) == ["FIXED_DISCOUNT"]  # 10:00 in, 11:00 out
    first_page = await issued(shop, first=2)
    rest = await issued(shop, first=2, after=first_page["pageInfo"]["endCursor"])
    assert kinds(first_page) + kinds(rest) == kinds(everything)
    assert rest["pageInfo"]["hasNextPage"] is False
    # Another shop's rule names nothing here; its own rewards stay its own.
    assert (await issued(other, ruleId=ladder["id"]))["totalCount"] == 0
    assert (await issued(other))["totalCount"] == 1


@pytest.mark.parametrize(
    "variables",
    [
        {"ruleId": "not-a-rule"},
        {"issuedAfter": "2026-02-01T10:00:00"},
        {"issuedBefore": "0001-01-01T00:00:00+14:00"},
        {"first": 101},
    ],
)
async def test_bad_issued_rewards_arguments_are_bad_user_input(shops, variables):
    shop = await shops()
    body = await shop.raw(ISSUED, variables)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


CUSTOMERS = """
query($first: Int, $after: String, $query: String, $sortBy: CustomerSortKey, $reverse: Boolean) {
  customers(first: $first, after: $after, query: $query, sortBy: $sortBy, reverse: $reverse) {
    totalCount pageInfo { hasNextPage endCursor } nodes { externalId email totalSpent }
  }
}"""


async def every_page(shop, size: int, **variables) -> list[str]:
    seen, after = [], None
    while True:
        page = (await shop.gql(CUSTOMERS, {"first": size, "after": after, **variables}))["customers"]
        seen += [n["externalId"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def customers_shop(shops):
    shop = await shops()
    start = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    spent = {"ab-1": "30.00", "ab-2": "5.00", "ab10": "30.00", "zed": "12.00", "émile": "7.00"}
    emails = {"ab-1": "Ada@Example.com", "zed": "adam@example.com", "émile": "emile@example.com"}
    with clock.frozen(start) as move:
        for n, (customer, total) in enumerate(spent.items()):
            move(start + timedelta(minutes=n))
            await order(shop, customer, total, email=emails.get(customer))
        move(start + timedelta(hours=1))
        await signup(shop, "ab-2")  # ab-2 is now the most recently active
    return shop


async def test_customers_are_found_by_prefix_of_external_id_or_email(shops):
    shop = await customers_shop(shops)

    async def found(query: str) -> list[str]:
        page = (await shop.gql(CUSTOMERS, {"query": query, "first": 50}))["customers"]
        assert page["totalCount"] == len(page["nodes"])
        return [n["externalId"] for n in page["nodes"]]

    assert await found("ab") == ["ab-1", "ab-2", "ab10"]
    assert await found("ab-") == ["ab-1", "ab-2"]
    assert await found("ada") == ["ab-1", "zed"]  # emails, in any case
    assert await found("ADAM@") == ["zed"]
    assert await found("é") == ["émile"]
    assert await found("example") == []  # a prefix, not anywhere in the text
    assert await found("") == ["ab-1", "ab-2", "ab10", "zed", "émile"]
    assert await found("%") == [] and await found("_") == []


async def test_customers_sort_by_last_activity_total_spent_or_creation_across_pages(shops):
    shop = await customers_shop(shops)
    created = ["ab-1", "ab-2", "ab10", "zed", "émile"]
    assert await every_page(shop, 2) == created
    assert await every_page(shop, 2, sortBy="CREATED", reverse=True) == created[::-1]
    assert await every_page(shop, 2, sortBy="LAST_ACTIVITY") == ["ab-2", "émile", "zed", "ab10", "ab-1"]
    # Equal totals keep a stable order: the later customer first, as the sort runs by id too.
    assert await every_page(shop, 2, sortBy="TOTAL_SPENT") == ["ab10", "ab-1", "zed", "émile", "ab-2"]
    assert await every_page(shop, 1, sortBy="TOTAL_SPENT", reverse=True) == ["ab-2", "émile", "zed", "ab-1", "ab10"]
    assert await every_page(shop, 2, sortBy="TOTAL_SPENT", query="ab") == ["ab10", "ab-1", "ab-2"]


async def test_a_cursor_of_another_sort_or_a_too_long_query_is_bad_user_input(shops):
    shop = await customers_shop(shops)
    page = (await shop.gql(CUSTOMERS, {"first": 1, "sortBy": "TOTAL_SPENT"}))["customers"]
    cursor = page["pageInfo"]["endCursor"]
    for variables in (
        {"after": cursor, "sortBy": "LAST_ACTIVITY"},
        {"after": cursor},
        {"query": "x" * 321},
    ):
        body = await shop.raw(CUSTOMERS, variables)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], variables


async def test_every_reporting_statement_is_served_by_an_index(shops):
    shop = await customers_shop(shops)
    rule = await make_rule(shop, "ORDERS_COUNT", [(1, points(1))])
    await make_rule(shop, "INACTIVITY", [(3, points(1))])
    await order(shop, "ab-1")
    milestone = rule["milestones"][0]["id"]
    reports = [
        (CUSTOMERS, {"query": "ab", "sortBy": "TOTAL_SPENT"}),
        (CUSTOMERS, {"query": "ada"}),
        (CUSTOMERS, {"sortBy": "LAST_ACTIVITY", "first": 2}),
        (CUSTOMERS, {"sortBy": "CREATED", "first": 2}),
        (ISSUED, {"first": 5}),
        (ISSUED, {"status": ["ISSUED"]}),
        (ISSUED, {"ruleId": rule["id"]}),
        (ISSUED, {"kind": ["POINTS"]}),
        (ISSUED, {"issuedAfter": "2026-01-01T00:00:00+00:00"}),
        (RULES_WITH_STATS, {}),
        (stats_query(1), {"id": rule["id"], "m0": milestone}),
    ]
    await shop.key()
    for query, variables in reports:
        with capture_statements() as seen:
            await shop.gql(query, variables)
        await assert_every_statement_uses_an_index(seen, ("customers", "issued_rewards", "rule_progress"))
