"""WooCommerce's own webhooks in, through POST /ingest/woocommerce."""

from __future__ import annotations

from engine.core.enums import StorePlatform
from models import Activity as ActivityRow
from tests.builders import customer, make_rule, points, progress_of
from tests.store_support import connect, sample, woo_order

WOO = StorePlatform.WOOCOMMERCE


async def test_an_order_counts_once_when_it_reaches_processing_and_again_never(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(1, points(25))], past=True)
    store = await connect(shop, WOO)
    created = await store.deliver("order.created", woo_order(801, 12, "pending"))
    assert created["outcome"] == "IGNORED"
    assert "'pending'" in created["message"]
    processing = await store.deliver("order.updated", woo_order(801, 12, "processing"))
    assert processing["outcome"] == "RECORDED"
    completed = await store.deliver("order.updated", woo_order(801, 12, "completed"))
    assert completed["outcome"] == "DUPLICATE"
    data = await customer(shop, "12")
    assert (data["ordersCount"], data["pointsBalance"], data["totalSpent"]) == (1, 25, "43.16")
    assert progress_of(data, rule["id"])["value"] == "1"


async def test_the_documented_sample_order_is_placed_with_its_gmt_creation_time(shops):
    shop = await shops()
    store = await connect(shop, WOO, domain="shop.example.com")
    answer = await store.deliver("order.created", sample("woocommerce-order-processing.json"))
    assert answer["outcome"] == "RECORDED"
    (activity,) = await ActivityRow.filter(shop_id=shop.id)
    assert (activity.kind, activity.external_id, activity.payload["total"]) == ("ORDER_PLACED", "727", 4316)
    assert activity.occurred_at.isoformat() == "2025-03-14T14:21:08+00:00"


async def test_refunds_come_from_the_orders_refunds_each_once(shops):
    shop = await shops()
    rule = await make_rule(shop, "AMOUNT_SPENT", [(100, points(10))], past=True)
    store = await connect(shop, WOO)
    await store.deliver("order.updated", woo_order(802, 13, "processing", total="80.00"))
    partial = await store.deliver("order.updated", woo_order(802, 13, "completed", "80.00", [(901, "10.00")]))
    assert partial["outcome"] == "RECORDED"
    assert len(partial["activities"]) == 2  # the order (already counted) and the new refund
    refunded = woo_order(802, 13, "refunded", "80.00", [(903, "70.00"), (901, "10.00")])
    assert (await store.deliver("order.updated", refunded))["outcome"] == "RECORDED"
    assert (await store.deliver("order.updated", refunded))["outcome"] == "DUPLICATE"
    data = await customer(shop, "13")
    assert (data["totalRefunded"], progress_of(data, rule["id"])["value"]) == ("80.00", "0.00")
    refunds = await ActivityRow.filter(shop_id=shop.id, kind="ORDER_REFUNDED").order_by("id")
    assert [(r.external_id, r.payload["amount"]) for r in refunds] == [("901", 1000), ("903", 7000)]


async def test_a_guest_order_is_acknowledged_and_not_counted(shops):
    shop = await shops()
    store = await connect(shop, WOO)
    answer = await store.deliver("order.created", woo_order(803, 0, "processing"))
    assert answer["outcome"] == "IGNORED"
    assert "guest" in answer["message"]
    assert await ActivityRow.filter(shop_id=shop.id).count() == 0


async def test_two_deliveries_in_the_same_second_share_an_id_and_both_count(shops):
    shop = await shops()
    store = await connect(shop, WOO)
    first = await store.deliver("order.updated", woo_order(804, 14, "processing"), webhook_id="same-second")
    second = await store.deliver("order.updated", woo_order(805, 14, "processing"), webhook_id="same-second")
    repeated = await store.deliver("order.updated", woo_order(805, 14, "processing"), webhook_id="same-second")
    assert [a["outcome"] for a in (first, second, repeated)] == ["RECORDED", "RECORDED", "DUPLICATE"]
    assert (await customer(shop, "14"))["ordersCount"] == 2


async def test_the_signature_is_checked_and_the_site_routes(shops):
    shop = await shops()
    store = await connect(shop, WOO, domain="https://Woo.Example.com/")
    assert store.domain == "woo.example.com"
    order = woo_order(806, 15, "processing")
    source = {"X-WC-Webhook-Source": "https://WOO.example.com/"}
    assert (await store.send("order.created", order, headers=source)).status_code == 200
    assert (await store.send("order.created", order, signature="bm9wZQ==")).status_code == 401
    assert (await store.send("order.created", order, domain="other.example.com")).status_code == 404
    assert (await store.send("order.created", b"<xml/>")).status_code == 400


async def test_the_ping_on_saving_a_webhook_is_answered_and_stores_nothing(shops):
    shop = await shops()
    store = await connect(shop, WOO)
    response = await shop.http.post(
        "/ingest/woocommerce", content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()) == (200, {"ping": True})
    assert (await store.deliveries())["totalCount"] == 0
    unsigned = await shop.http.post("/ingest/woocommerce", content=b"webhook_id=17&x=1")
    assert unsigned.status_code == 401


async def test_other_topics_are_acknowledged(shops):
    shop = await shops()
    store = await connect(shop, WOO)
    answer = await store.deliver("product.updated", {"id": 93, "name": "Classic mug"})
    assert answer["outcome"] == "IGNORED"


async def test_a_shop_connects_one_woocommerce_site(shops):
    shop = await shops()
    await connect(shop, WOO)
    payload = (await shop.gql(
        "mutation($i: ConnectStoreInput!) { connectStore(input: $i) { storeConnection { id } userErrors { field code message } } }",
        {"i": {"platform": "WOOCOMMERCE", "domain": "second.example.com", "secret": "another-secret"}},
    ))["connectStore"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["input", "domain"], "INVALID")]
    assert "already has a WooCommerce store" in payload["userErrors"][0]["message"]
    await connect(shop)  # a Shopify store beside it is fine
    listed = (await shop.gql("{ shop { storeConnections { platform } } }"))["shop"]["storeConnections"]
    assert [c["platform"] for c in listed] == ["WOOCOMMERCE", "SHOPIFY"]
