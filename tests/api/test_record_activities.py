"""`recordActivities`: many activities in one call, each answering on its own, by position, as
its record* mutation would."""

import httpx

from api.app import create_app
from api.settings import Settings
from engine.core.enums import Role
from engine.store import sql
from tests.builders import customer, make_rule, points

BATCH = """
mutation($inputs: [ActivityInput!]!) {
  recordActivities(inputs: $inputs) {
    results { index duplicate activity { kind externalId } customer { externalId }
              issuedRewards { id kind } userErrors { field code message } }
    userErrors { field code message }
  }
}"""

SINGLE = {
    "order": ("recordOrder", "RecordOrderInput"),
    "refund": ("recordRefund", "RecordRefundInput"),
    "review": ("recordReview", "RecordReviewInput"),
    "referral": ("recordReferral", "RecordReferralInput"),
    "subscriptionBilling": ("recordSubscriptionBilling", "RecordSubscriptionBillingInput"),
    "subscriptionCancellation": ("recordSubscriptionCancellation", "RecordSubscriptionCancellationInput"),
    "pointsEarned": ("recordPointsEarned", "RecordPointsEarnedInput"),
    "signup": ("recordSignup", "RecordSignupInput"),
}


def order(who: str, order_id: str, total: str, **extra) -> dict:
    return {"order": {"customerExternalId": who, "orderId": order_id, "total": total, "currency": "USD", **extra}}


MIXED = [
    order("ann", "o1", "30.00"),
    {"signup": {"customerExternalId": "eve", "email": "eve@example.com"}},
    order("ann", "o2", "40.00"),
    order("bob", "o3", "12.00", currency="EUR"),  # CURRENCY_MISMATCH
    {"refund": {"customerExternalId": "ann", "refundId": "r1", "orderId": "o1", "amount": "5.00"}},
    {"refund": {"customerExternalId": "ann", "refundId": "r2", "orderId": "o-none", "amount": "5.00"}},  # NOT_FOUND
    {"review": {"customerExternalId": "ann", "reviewId": "rev1"}},
    {"referral": {"customerExternalId": "ann", "referralId": "ref1"}},
    {"subscriptionBilling": {"customerExternalId": "cat", "billingId": "b1", "contractId": "k1"}},
    {"subscriptionCancellation": {"customerExternalId": "cat", "contractId": "k1"}},
    {"pointsEarned": {"customerExternalId": "cat", "entryId": "p1", "points": 70, "source": "quiz"}},
    order("ann", "o1", "31.00"),  # same id, other data: IDEMPOTENCY_CONFLICT
    order("dan", "o4", "1.00", occurredAt="2026-03-01T10:00:00"),  # no offset: INVALID
]


async def batch(shop, inputs, role=Role.ADMIN) -> dict:
    return (await shop.gql(BATCH, {"inputs": inputs}, role))["recordActivities"]


async def counts(shop) -> dict:
    conn = sql.current()
    found = {}
    for table in ("customers", "activities", "rule_progress", "issued_rewards", "ledger_entries", "reward_events"):
        found[table] = (await sql.fetch_one(conn, f"SELECT count(*) AS n FROM {table} WHERE shop_id = $1", shop.id))["n"]
    return found


def figures(data: dict) -> tuple:
    """A customer's balances, rewards and progress, without the ids that differ between shops."""
    rewards = sorted((r["kind"], r["status"], r["milestone"]["threshold"]) for r in data["rewards"]["nodes"])
    progress = sorted((p["rule"]["type"], p["value"], [m["status"] for m in p["milestones"]]) for p in data["progress"])
    return (data["pointsBalance"], data["storeCreditBalance"], data["ordersCount"], data["totalSpent"],
            data["totalRefunded"], rewards, progress)


async def ladder(shop) -> None:
    await make_rule(shop, "ORDERS_COUNT", [(1, points(10)), (2, points(20))])
    await make_rule(shop, "AMOUNT_SPENT", [("50", points(5))])


async def test_each_item_answers_by_position_and_a_bad_item_changes_nothing_of_the_others(shops):
    shop = await shops()
    await ladder(shop)
    answer = await batch(shop, MIXED, Role.PARTNER)
    assert answer["userErrors"] == []
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(MIXED)))
    codes = {r["index"]: [(e["field"], e["code"]) for e in r["userErrors"]] for r in results if r["userErrors"]}
    assert codes == {
        3: [(["inputs", "3", "order", "currency"], "CURRENCY_MISMATCH")],
        5: [(["inputs", "5", "refund", "orderId"], "NOT_FOUND")],
        11: [(["inputs", "11", "order", "orderId"], "IDEMPOTENCY_CONFLICT")],
        12: [(["inputs", "12", "order", "occurredAt"], "INVALID")],
    }
    refused = [results[i] for i in codes]
    assert all(r["activity"] is None and r["customer"] is None and r["issuedRewards"] == [] for r in refused)
    assert [r["activity"]["externalId"] for r in results if not r["userErrors"]] == [
        "o1", "eve", "o2", "r1", "rev1", "ref1", "b1", "k1", "p1"]
    assert [r["kind"] for r in results[0]["issuedRewards"]] == ["POINTS"]
    assert [r["kind"] for r in results[2]["issuedRewards"]] == ["POINTS", "POINTS"]  # 2nd order, $70 spent
    assert results[0]["customer"] == {"externalId": "ann"}
    assert not any(r["duplicate"] for r in results)
    assert (await customer(shop, "ann"))["pointsBalance"] == 35
    assert await customer(shop, "bob") is None and await customer(shop, "dan") is None


async def test_the_batch_answers_what_the_record_mutations_answer_one_by_one(shops):
    one_by_one, batched = await shops(), await shops()
    await ladder(one_by_one)
    await ladder(batched)
    singles = []
    for item in MIXED:
        [(member, value)] = item.items()
        mutation, input_type = SINGLE[member]
        query = (f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ duplicate"
                 " issuedRewards { kind } userErrors { field code message } } }")
        singles.append((await one_by_one.raw(query, {"input": value}))["data"][mutation])
    results = (await batch(batched, MIXED))["results"]
    for single, item in zip(singles, results, strict=True):
        prefix = ["inputs", str(item["index"]), next(iter(MIXED[item["index"]]))]
        assert [{**e, "field": [*prefix, *e["field"][1:]]} for e in single["userErrors"]] == item["userErrors"]
        assert [r["kind"] for r in single["issuedRewards"]] == [r["kind"] for r in item["issuedRewards"]]
        assert single["duplicate"] == item["duplicate"]
    for who in ("ann", "cat", "eve"):
        assert figures(await customer(one_by_one, who)) == figures(await customer(batched, who))


async def test_the_same_batch_twice_changes_nothing_the_second_time(shops):
    shop = await shops()
    await ladder(shop)
    valid = [item for n, item in enumerate(MIXED) if n not in (3, 5, 11, 12)]
    first = await batch(shop, valid)
    before = await counts(shop)
    again = await batch(shop, valid)
    assert await counts(shop) == before
    assert [r["duplicate"] for r in again["results"]] == [True] * len(valid)
    assert [r["issuedRewards"] for r in again["results"]] == [r["issuedRewards"] for r in first["results"]]
    assert all(r["userErrors"] == [] for r in again["results"])
    single = (await shop.gql(
        "mutation($input: RecordOrderInput!) { recordOrder(input: $input) { duplicate issuedRewards { id } } }",
        {"input": valid[0]["order"]}))["recordOrder"]
    assert single == {"duplicate": True, "issuedRewards": [{"id": r["id"]} for r in first["results"][0]["issuedRewards"]]}


async def test_the_same_activity_twice_in_one_batch_is_recorded_once(shops):
    shop = await shops()
    await ladder(shop)
    results = (await batch(shop, [order("ann", "o1", "30.00"), order("ann", "o1", "30.00")]))["results"]
    assert [r["duplicate"] for r in results] == [False, True]
    assert results[0]["issuedRewards"] == results[1]["issuedRewards"] != []
    assert (await customer(shop, "ann"))["ordersCount"] == 1


async def test_more_than_a_thousand_activities_are_refused_and_nothing_is_written(shops):
    shop = await shops()
    inputs = [{"review": {"customerExternalId": f"c{n}", "reviewId": f"r{n}"}} for n in range(1001)]
    answer = await batch(shop, inputs)
    assert answer["results"] == []
    assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [(["inputs"], "INVALID")]
    assert (await counts(shop))["activities"] == 0
    assert len((await batch(shop, inputs[:1000]))["results"]) == 1000
    assert (await counts(shop))["activities"] == 1000


async def test_an_item_with_two_kinds_is_refused_by_graphql(shops):
    shop = await shops()
    body = await shop.raw(BATCH, {"inputs": [{**order("ann", "o1", "1.00"), "review": {
        "customerExternalId": "ann", "reviewId": "r"}}]})
    assert body["errors"] and body.get("data") is None
    assert (await counts(shop))["activities"] == 0


async def test_storefront_keys_may_not_record_activities(shops):
    shop = await shops()
    body = await shop.raw(BATCH, {"inputs": [order("ann", "o1", "1.00")]}, Role.STOREFRONT)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_call_counts_once_against_the_rate_limit(shops, database):
    app = create_app(
        Settings(database_url=database, rate_limit_per_second=0.01, rate_limit_burst=2), manage_database=False
    )
    shop = await shops()
    key = await shop.key(Role.PARTNER)
    inputs = [{"review": {"customerExternalId": f"c{n}", "reviewId": f"r{n}"}} for n in range(500)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:

        async def call() -> httpx.Response:
            return await client.post("/graphql", json={"query": BATCH, "variables": {"inputs": inputs}},
                                     headers={"Authorization": f"Bearer {key}"})

        first, second, third = await call(), await call(), await call()
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert len(first.json()["data"]["recordActivities"]["results"]) == 500
    assert all(r["duplicate"] for r in second.json()["data"]["recordActivities"]["results"])
