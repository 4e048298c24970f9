"""Orders and refunds: ORDERS_COUNT and AMOUNT_SPENT rules, exactly once."""

import asyncio

from tests.builders import credit, customer, gift, make_rule, order, points, progress_of, refund


async def test_thirty_orders_on_the_seed_ladder_leave_600_points_and_one_gift_code(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(5, points(100)), (20, points(500)), (30, gift("shirt"))])
    for n in range(30):
        first = await order(shop, "alice", "20.00", order_id=f"o{n}")
        again = await order(shop, "alice", "20.00", order_id=f"o{n}")
        assert again["duplicate"] is True
        assert [r["id"] for r in again["issuedRewards"]] == [r["id"] for r in first["issuedRewards"]]
    data = await customer(shop, "alice")
    assert data["pointsBalance"] == 600
    assert data["ordersCount"] == 30
    assert data["totalSpent"] == "600.00"
    kinds = sorted(r["kind"] for r in data["rewards"]["nodes"])
    assert kinds == ["FREE_GIFT", "POINTS", "POINTS"]
    gift_reward = next(r for r in data["rewards"]["nodes"] if r["kind"] == "FREE_GIFT")
    assert gift_reward["code"].startswith("MS-") and len(gift_reward["code"]) == 22
    progress = progress_of(data, rule["id"])
    assert progress["value"] == "30"
    assert [m["status"] for m in progress["milestones"]] == ["REACHED", "REACHED", "REACHED"]
    assert progress["nextThreshold"] is None and progress["fraction"] == 1.0


async def test_duplicate_order_with_other_data_is_an_idempotency_conflict(shops):
    shop = await shops()
    await order(shop, "bob", "10.00", order_id="same")
    result = await order(shop, "bob", "11.00", order_id="same")
    assert result["userErrors"] == [
        {"field": ["input", "orderId"], "code": "IDEMPOTENCY_CONFLICT", "message": result["userErrors"][0]["message"]}
    ]
    assert (await customer(shop, "bob"))["totalSpent"] == "10.00"


async def test_order_in_another_currency_is_rejected_and_changes_nothing(shops):
    shop = await shops()
    result = await order(shop, "carol", "10.00", currency="EUR")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["input", "currency"], "CURRENCY_MISMATCH")]
    assert await customer(shop, "carol") is None


async def test_one_600_order_crosses_two_spend_milestones_and_keep_never_grants_twice(shops):
    shop = await shops()
    rule = await make_rule(shop, "AMOUNT_SPENT", [("100", points(10)), ("500", credit("25.00"))])
    placed = await order(shop, "dana", "600.00", order_id="big")
    assert [r["kind"] for r in placed["issuedRewards"]] == ["POINTS", "STORE_CREDIT"]
    await refund(shop, "dana", "big", "200.00")
    data = await customer(shop, "dana")
    assert progress_of(data, rule["id"])["value"] == "400.00"
    assert data["pointsBalance"] == 10 and data["storeCreditBalance"] == "25.00"
    again = await order(shop, "dana", "150.00")
    assert again["issuedRewards"] == []
    data = await customer(shop, "dana")
    assert progress_of(data, rule["id"])["value"] == "550.00"
    assert data["rewards"]["totalCount"] == 2


async def test_revoke_unredeemed_revokes_on_refund_and_grants_again_on_recrossing(shops):
    shop = await shops()
    rule = await make_rule(
        shop, "AMOUNT_SPENT", [("100", points(10)), ("500", credit("25.00"))], refundPolicy="REVOKE_UNREDEEMED"
    )
    await order(shop, "erin", "600.00", order_id="big")
    await refund(shop, "erin", "big", "200.00")
    data = await customer(shop, "erin")
    assert data["pointsBalance"] == 10
    assert data["storeCreditBalance"] == "0.00"
    statuses = sorted((r["kind"], r["status"]) for r in data["rewards"]["nodes"])
    assert statuses == [("POINTS", "ISSUED"), ("STORE_CREDIT", "REVOKED")]
    again = await order(shop, "erin", "150.00")
    assert [r["kind"] for r in again["issuedRewards"]] == ["STORE_CREDIT"]
    data = await customer(shop, "erin")
    assert data["storeCreditBalance"] == "25.00"
    assert progress_of(data, rule["id"])["value"] == "550.00"


async def test_refund_beyond_the_order_is_rejected(shops):
    shop = await shops()
    await order(shop, "finn", "50.00", order_id="o1")
    await refund(shop, "finn", "o1", "30.00")
    result = await refund(shop, "finn", "o1", "20.01")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["input", "amount"], "REFUND_EXCEEDS_ORDER")]
    unknown = await refund(shop, "finn", "nope", "1.00")
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [(["input", "orderId"], "NOT_FOUND")]
    assert (await customer(shop, "finn"))["totalRefunded"] == "30.00"


async def test_a_full_refund_takes_an_order_out_of_the_count(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(2, points(5))])
    await order(shop, "gus", "40.00", order_id="a")
    await refund(shop, "gus", "a", "10.00")
    assert progress_of(await customer(shop, "gus"), rule["id"])["value"] == "1"
    await refund(shop, "gus", "a", "30.00")
    assert progress_of(await customer(shop, "gus"), rule["id"])["value"] == "0"


async def test_fifty_concurrent_orders_for_one_customer_all_count_and_grant_once(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(n, points(n)) for n in (10, 25, 50)])
    results = await asyncio.gather(*(order(shop, "hana", "1.00", order_id=f"c{n}") for n in range(50)))
    assert all(r["userErrors"] == [] for r in results)
    data = await customer(shop, "hana")
    assert progress_of(data, rule["id"])["value"] == "50"
    assert data["pointsBalance"] == 85
    assert data["rewards"]["totalCount"] == 3
