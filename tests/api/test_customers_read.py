"""Reading customers back: pages of customers with progress cost a fixed number of queries."""

from tests.builders import billing, customer, fixed, make_rule, order, points, review
from tests.query_counter import count_queries

ADMIN_PAGE = """
query($first: Int) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      externalId pointsBalance storeCreditBalance ordersCount totalSpent
      progress {
        rule { id name type }
        value nextThreshold remaining fraction currentStep
        milestones { status milestone { threshold description reward { __typename } } issuedReward { code status } }
        contracts { contractId cycles }
      }
    }
  }
}"""


async def test_an_admin_page_of_customers_with_progress_costs_a_fixed_number_of_queries(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(5)), (2, fixed("3.00"))])
    await make_rule(shop, "REVIEWS_COUNT", [(1, points(1))])
    await make_rule(shop, "SUBSCRIPTION_CYCLES", [(1, points(1))])
    await make_rule(shop, "MIXED", [{"threshold": "1", "stepMetric": "ORDERS", "reward": points(2)}])
    for n in range(50):
        await order(shop, f"cust-{n:02d}")
        await review(shop, f"cust-{n:02d}")
        await billing(shop, f"cust-{n:02d}", f"contract-{n}")
    await shop.key()
    counts = {}
    for size in (5, 50):
        with count_queries() as seen:
            data = await shop.gql(ADMIN_PAGE, {"first": size})
        assert len(data["customers"]["nodes"]) == size
        counts[size] = len(seen)
    assert counts[5] == counts[50], counts
    assert counts[50] <= 12, counts
    first = data["customers"]["nodes"][0]
    assert first["pointsBalance"] == 5 + 1 + 1 + 2
    assert [p["rule"]["type"] for p in first["progress"]] == ["ORDERS_COUNT", "REVIEWS_COUNT", "SUBSCRIPTION_CYCLES", "MIXED"]


async def test_customers_page_forward_with_cursors(shops):
    shop = await shops()
    for n in range(5):
        await order(shop, f"p-{n}")
    first = (await shop.gql("{ customers(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { externalId } } }"))["customers"]
    assert [n["externalId"] for n in first["nodes"]] == ["p-0", "p-1"]
    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    rest = (await shop.gql(
        "query($after: String) { customers(first: 10, after: $after) { pageInfo { hasNextPage } nodes { externalId } } }",
        {"after": first["pageInfo"]["endCursor"]},
    ))["customers"]
    assert [n["externalId"] for n in rest["nodes"]] == ["p-2", "p-3", "p-4"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_customer_is_found_by_id_or_external_id_and_never_across_shops(shops):
    shop, other = await shops(), await shops()
    await order(shop, "vic", "12.50")
    data = await customer(shop, "vic")
    by_id = (await shop.gql("query($id: ID!) { customer(id: $id) { externalId totalSpent } }", {"id": data["id"]}))
    assert by_id["customer"] == {"externalId": "vic", "totalSpent": "12.50"}
    assert (await other.gql("query($id: ID!) { customer(id: $id) { externalId } }", {"id": data["id"]}))["customer"] is None
    assert await customer(other, "vic") is None


async def test_customer_ledgers_and_activities_read_newest_first(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(5))])
    await order(shop, "led", order_id="first")
    await order(shop, "led", order_id="second")
    data = await shop.gql(
        """{ customer(externalId: "led") {
             activities(first: 5) { nodes { kind externalId } }
             pointsLedger { nodes { delta reason } }
             storeCreditLedger { totalCount } } }"""
    )
    c = data["customer"]
    assert [a["externalId"] for a in c["activities"]["nodes"]] == ["second", "first"]
    assert c["pointsLedger"]["nodes"] == [{"delta": "5", "reason": "REWARD"}]
    assert c["storeCreditLedger"]["totalCount"] == 0


PROGRESS_BY_STATUS = """
query($id: String!, $status: [MilestoneRuleStatus!]) {
  customer(externalId: $id) { progress(status: $status) { rule { name } ruleStatus milestones { status } } }
}"""
PAUSE = "mutation($id: ID!) { pauseMilestoneRule(id: $id) { userErrors { code } } }"
ARCHIVE = "mutation($id: ID!) { archiveMilestoneRule(id: $id) { userErrors { code } } }"


async def test_progress_says_each_rules_status_and_shows_active_and_paused_rules_unless_asked(shops):
    shop = await shops()
    ladder = [(1, points(10)), (3, points(30))]
    await make_rule(shop, "ORDERS_COUNT", ladder, name="Active")
    paused = await make_rule(shop, "ORDERS_COUNT", ladder, name="Paused")
    archived = await make_rule(shop, "ORDERS_COUNT", ladder, name="Archived")
    await make_rule(shop, "ORDERS_COUNT", ladder, name="Draft", activate=False)
    await order(shop, "cust-1")
    await shop.gql(PAUSE, {"id": paused["id"]})
    await shop.gql(ARCHIVE, {"id": archived["id"]})

    default = (await shop.gql(PROGRESS_BY_STATUS, {"id": "cust-1"}))["customer"]["progress"]
    assert default == [
        {"rule": {"name": "Active"}, "ruleStatus": "ACTIVE", "milestones": [{"status": "REACHED"}, {"status": "NEXT"}]},
        {"rule": {"name": "Paused"}, "ruleStatus": "PAUSED", "milestones": [{"status": "REACHED"}, {"status": "NEXT"}]},
    ]
    asked = await shop.gql(PROGRESS_BY_STATUS, {"id": "cust-1", "status": ["ARCHIVED", "DRAFT"]})
    assert [(p["rule"]["name"], p["ruleStatus"]) for p in asked["customer"]["progress"]] == [
        ("Archived", "ARCHIVED"), ("Draft", "DRAFT"),
    ]
