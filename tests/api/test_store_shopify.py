"""Shopify's own webhooks in, through POST /ingest/shopify: verified, mapped, counted once."""

from __future__ import annotations

import logging

from engine.core.enums import StorePlatform
from models import Activity as ActivityRow
from models import Customer as CustomerRow
from models import StoreDelivery as DeliveryRow
from tests.builders import customer, gift, make_rule, points, progress_of
from tests.store_support import connect, sample, shopify_order, shopify_refund, unique
from wire import ids


async def stored(shop) -> tuple[int, int]:
    """(activities, customers) of the shop."""
    return (
        await ActivityRow.filter(shop_id=shop.id).count(),
        await CustomerRow.filter(shop_id=shop.id).count(),
    )


async def test_thirty_orders_webhooks_each_delivered_twice_reach_the_seed_ladder_once(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(5, points(100)), (20, points(500)), (30, gift("shirt"))], past=True)
    store = await connect(shop)
    for n in range(30):
        order = shopify_order(6000000000 + n, 7301928374651, total="25.00")
        first = await store.deliver("orders/create", order, webhook_id=f"wh-{n}")
        again = await store.deliver("orders/create", order, webhook_id=f"wh-{n}")
        assert (first["outcome"], again["outcome"]) == ("RECORDED", "DUPLICATE")
        assert first["activities"] == again["activities"]
    data = await customer(shop, "7301928374651")
    assert (data["ordersCount"], data["pointsBalance"], data["totalSpent"]) == (30, 600, "750.00")
    assert [r["kind"] for r in data["rewards"]["nodes"]].count("FREE_GIFT") == 1
    assert data["rewards"]["totalCount"] == 3
    progress = progress_of(data, rule["id"])
    assert [m["status"] for m in progress["milestones"]] == ["REACHED"] * 3
    assert await stored(shop) == (30, 1)
    log = await store.deliveries(first=100)
    assert log["totalCount"] == 60
    assert [n["outcome"] for n in log["nodes"][:2]] == ["DUPLICATE", "RECORDED"]


async def test_the_same_order_under_a_new_webhook_id_is_counted_once_by_the_engine(shops):
    shop = await shops()
    store = await connect(shop)
    order = shopify_order(6100000001, 55, total="10.00")
    assert (await store.deliver("orders/create", order))["outcome"] == "RECORDED"
    second = await store.deliver("orders/create", order)
    assert second["outcome"] == "DUPLICATE"
    assert "recorded before" in second["message"]
    assert (await customer(shop, "55"))["ordersCount"] == 1


async def test_the_order_maps_id_customer_total_currency_and_created_at(shops):
    shop = await shops()
    store = await connect(shop)
    answer = await store.deliver("orders/create", sample("shopify-orders-create-1.json"))
    assert answer["outcome"] == "RECORDED"
    (activity,) = await ActivityRow.filter(shop_id=shop.id)
    assert (activity.kind, activity.external_id) == ("ORDER_PLACED", "5829174630417")
    assert activity.payload["total"] == 4950 and activity.payload["currency"] == "USD"
    assert activity.occurred_at.isoformat() == "2025-03-14T14:21:08+00:00"
    row = await CustomerRow.get(id=activity.customer_id)
    assert (row.external_id, row.email) == ("7301928374651", "ada.lovelace@example.com")
    assert answer["activities"] == [ids.encode("Activity", activity.id)]


async def test_a_forged_signature_stores_nothing(shops):
    shop = await shops()
    store = await connect(shop)
    order = shopify_order(6200000001, 77)
    forged = await store.send("orders/create", order, signature="c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ==")
    missing = await store.send("orders/create", order, headers={"X-Shopify-Hmac-Sha256": None})
    assert (forged.status_code, missing.status_code) == (401, 401)
    assert forged.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await stored(shop) == (0, 0)
    assert await DeliveryRow.filter(connection_id=ids.decode("StoreConnection", store.id)).count() == 0
    assert (await store.deliveries())["totalCount"] == 0


async def test_a_body_changed_by_one_byte_fails_the_signature(shops):
    shop = await shops()
    store = await connect(shop)
    body = b'{"id": 6300000001, "total_price": "10.00", "currency": "USD", "created_at":' \
        b' "2025-03-14T10:21:08-04:00", "customer": {"id": 88}}'
    from platforms.reading import sign

    signature = sign(store.secret, body)
    tampered = body.replace(b"10.00", b"90.00")
    assert len(tampered) == len(body)
    refused = await store.send("orders/create", tampered, signature=signature)
    assert refused.status_code == 401
    assert await stored(shop) == (0, 0)
    accepted = await store.send("orders/create", body, signature=signature)
    assert (accepted.status_code, accepted.json()["outcome"]) == (200, "RECORDED")


async def test_an_unknown_domain_is_404_and_stores_nothing(shops):
    shop = await shops()
    store = await connect(shop)
    response = await store.send("orders/create", shopify_order(6400000001, 9), domain="nobody.myshopify.com")
    assert response.status_code == 404
    no_domain = await store.send("orders/create", shopify_order(6400000001, 9), headers={"X-Shopify-Shop-Domain": None})
    assert no_domain.status_code == 404
    assert await stored(shop) == (0, 0)


async def test_a_signed_body_that_does_not_parse_is_400_and_stores_nothing(shops):
    shop = await shops()
    store = await connect(shop)
    assert (await store.send("orders/create", b"{not json")).status_code == 400
    assert (await store.send("orders/create", b"[1, 2]")).status_code == 400
    missing_total = shopify_order(6500000001, 9)
    del missing_total["total_price"]
    response = await store.send("orders/create", missing_total)
    assert response.status_code == 400
    assert "total_price" in response.json()["errors"][0]["message"]
    assert await stored(shop) == (0, 0)
    assert (await store.deliveries())["totalCount"] == 0


async def test_guest_and_test_orders_are_acknowledged_and_not_counted(shops):
    shop = await shops()
    await make_rule(shop, "ORDERS_COUNT", [(1, points(10))], past=True)
    store = await connect(shop)
    guest = await store.deliver("orders/create", shopify_order(6600000001, None))
    test = await store.deliver("orders/create", shopify_order(6600000002, 42, test=True))
    assert (guest["outcome"], test["outcome"]) == ("IGNORED", "IGNORED")
    assert "guest" in guest["message"] and "test order" in test["message"]
    assert await stored(shop) == (0, 0)
    log = await store.deliveries()
    assert [n["outcome"] for n in log["nodes"]] == ["IGNORED", "IGNORED"]
    assert log["nodes"][0]["activity"] is None


async def test_orders_count_on_paid_when_the_connection_says_so(shops):
    shop = await shops()
    store = await connect(shop, count_orders_on="PAID")
    order = shopify_order(6700000001, 31)
    created = await store.deliver("orders/create", order)
    assert created["outcome"] == "IGNORED"
    assert "orders/paid" in created["message"]
    paid = await store.deliver("orders/paid", order)
    assert paid["outcome"] == "RECORDED"
    assert (await customer(shop, "31"))["ordersCount"] == 1


async def test_a_refund_counts_the_sum_of_its_successful_refund_transactions(shops):
    shop = await shops()
    rule = await make_rule(shop, "AMOUNT_SPENT", [(100, points(10))], past=True)
    store = await connect(shop)
    await store.deliver("orders/create", shopify_order(6800000001, 12, total="80.00"))
    refund = shopify_refund(
        990001, 6800000001, ("20.00", "success"), ("5.00", "failure"), ("2.50", "success"), ("1.00", "pending")
    )
    answer = await store.deliver("refunds/create", refund)
    assert answer["outcome"] == "RECORDED"
    data = await customer(shop, "12")
    assert data["totalRefunded"] == "22.50"
    assert progress_of(data, rule["id"])["value"] == "57.50"
    (row,) = await ActivityRow.filter(shop_id=shop.id, kind="ORDER_REFUNDED")
    assert (row.external_id, row.payload["orderId"], row.payload["amount"]) == ("990001", "6800000001", 2250)


async def test_the_documented_refund_sample_refunds_its_one_successful_transaction(shops):
    shop = await shops()
    store = await connect(shop)
    await store.deliver("orders/create", sample("shopify-orders-create-2.json"))
    answer = await store.deliver("refunds/create", sample("shopify-refunds-create.json"))
    assert answer["outcome"] == "RECORDED"
    assert (await customer(shop, "7301928374651"))["totalRefunded"] == "12.72"


async def test_a_refund_without_a_successful_transaction_counts_nothing(shops):
    shop = await shops()
    store = await connect(shop)
    await store.deliver("orders/create", shopify_order(6900000001, 13, total="80.00"))
    answer = await store.deliver("refunds/create", shopify_refund(990002, 6900000001, ("9.00", "failure")))
    assert answer["outcome"] == "IGNORED"
    assert (await customer(shop, "13"))["totalRefunded"] == "0.00"


async def test_a_refund_of_an_unknown_order_is_acknowledged_rejected_and_logged(shops, caplog):
    shop = await shops()
    store = await connect(shop)
    with caplog.at_level(logging.WARNING, logger="milestones.ingest"):
        answer = await store.deliver("refunds/create", shopify_refund(990003, 123456, ("5.00", "success")))
    assert answer["outcome"] == "REJECTED"
    assert "NOT_FOUND" in answer["message"] and "123456" in answer["message"]
    (record,) = [r for r in caplog.records if r.getMessage() == "store webhook rejected"]
    assert record.reason == answer["message"]
    (entry,) = (await store.deliveries())["nodes"]
    assert (entry["outcome"], entry["message"], entry["topic"]) == ("REJECTED", answer["message"], "refunds/create")
    assert await stored(shop) == (0, 0)


async def test_a_refund_beyond_the_order_is_rejected_with_the_engines_reason(shops):
    shop = await shops()
    store = await connect(shop)
    await store.deliver("orders/create", shopify_order(7000000001, 14, total="10.00"))
    answer = await store.deliver("refunds/create", shopify_refund(990004, 7000000001, ("15.00", "success")))
    assert answer["outcome"] == "REJECTED"
    assert "REFUND_EXCEEDS_ORDER" in answer["message"]
    assert (await customer(shop, "14"))["totalRefunded"] == "0.00"


async def test_a_cancellation_refunds_what_is_left_of_the_order(shops):
    shop = await shops()
    rule = await make_rule(shop, "ORDERS_COUNT", [(5, points(10))], past=True)
    store = await connect(shop)
    order = shopify_order(7100000001, 15, total="60.00")
    await store.deliver("orders/create", order)
    await store.deliver("orders/create", shopify_order(7100000002, 15, total="5.00"))
    await store.deliver("refunds/create", shopify_refund(990005, 7100000001, ("20.00", "success")))
    cancelled = {**order, "cancelled_at": "2025-03-15T09:00:00-04:00", "cancel_reason": "customer"}
    answer = await store.deliver("orders/cancelled", cancelled)
    assert answer["outcome"] == "RECORDED"
    data = await customer(shop, "15")
    assert data["totalRefunded"] == "60.00"
    assert progress_of(data, rule["id"])["value"] == "1"  # refunded in full: no longer counts
    again = await store.deliver("orders/cancelled", cancelled)
    assert again["outcome"] == "IGNORED"
    assert "Nothing is left" in again["message"]
    (row,) = await ActivityRow.filter(shop_id=shop.id, kind="ORDER_REFUNDED", external_id="cancel-7100000001")
    assert row.payload["amount"] == 4000


async def test_a_cancellation_of_an_order_never_counted_is_ignored(shops):
    shop = await shops()
    store = await connect(shop)
    answer = await store.deliver("orders/cancelled", shopify_order(7200000001, 16, cancelled_at="2025-03-15T09:00:00Z"))
    assert answer["outcome"] == "IGNORED"
    assert await stored(shop) == (0, 0)


async def test_a_new_customer_is_a_signup(shops):
    shop = await shops()
    store = await connect(shop)
    answer = await store.deliver("customers/create", sample("shopify-customers-create.json"))
    assert answer["outcome"] == "RECORDED"
    (activity,) = await ActivityRow.filter(shop_id=shop.id)
    assert (activity.kind, activity.external_id) == ("SIGNUP", "7301928374651")
    assert (await CustomerRow.get(id=activity.customer_id)).email == "ada.lovelace@example.com"


async def test_an_unknown_topic_is_200_and_ignored(shops):
    shop = await shops()
    store = await connect(shop)
    answer = await store.deliver("products/update", {"id": 1, "title": "Mug"})
    assert answer["outcome"] == "IGNORED"
    assert "products/update" in answer["message"]
    assert await stored(shop) == (0, 0)


async def test_an_order_in_another_currency_is_rejected(shops):
    shop = await shops()
    store = await connect(shop)
    answer = await store.deliver("orders/create", shopify_order(7300000001, 17, currency="EUR"))
    assert answer["outcome"] == "REJECTED"
    assert "CURRENCY_MISMATCH" in answer["message"]


async def test_the_answer_is_200_only_after_the_commit(shops, monkeypatch, app):
    import httpx

    import engine.services.ingesting

    shop = await shops()
    store = await connect(shop)
    order = shopify_order(7400000001, 18)
    real = engine.services.ingesting.record_activity

    async def crash(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(engine.services.ingesting, "record_activity", crash)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        failed = await store.send("orders/create", order, webhook_id="retried", http=client)
    assert failed.status_code == 500
    assert (await store.deliveries())["totalCount"] == 0
    monkeypatch.setattr(engine.services.ingesting, "record_activity", real)
    retried = await store.deliver("orders/create", order, webhook_id="retried")
    assert retried["outcome"] == "RECORDED"
    assert (await customer(shop, "18"))["ordersCount"] == 1


async def test_two_shops_domains_never_cross(shops):
    first, second = await shops(), await shops()
    a = await connect(first)
    b = await connect(second)
    # Signed with A's secret but naming B's store: B's secret does not verify it.
    crossed = await a.send("orders/create", shopify_order(7500000001, 19), domain=b.domain)
    assert crossed.status_code == 401
    assert (await a.deliver("orders/create", shopify_order(7500000002, 19)))["outcome"] == "RECORDED"
    assert await stored(first) == (1, 1) and await stored(second) == (0, 0)
    assert (await b.deliveries())["totalCount"] == 0

    taken = (await second.gql(
        "mutation($i: ConnectStoreInput!) { connectStore(input: $i) { storeConnection { id } userErrors { field code message } } }",
        {"i": {"platform": "SHOPIFY", "domain": a.domain, "secret": "another-secret"}},
    ))["connectStore"]
    assert taken["storeConnection"] is None
    assert [(e["field"], e["code"]) for e in taken["userErrors"]] == [(["input", "domain"], "INVALID")]
    listed = (await second.gql("{ shop { storeConnections { id domain } } }"))["shop"]["storeConnections"]
    assert listed == [{"id": b.id, "domain": b.domain}]
    assert (await second.gql("query($id: ID!) { storeConnection(id: $id) { id } }", {"id": a.id}))["storeConnection"] is None
    gone = (await second.gql(
        "mutation($id: ID!) { disconnectStore(id: $id) { disconnectedStoreConnectionId userErrors { field code } } }",
        {"id": a.id},
    ))["disconnectStore"]
    assert gone == {"disconnectedStoreConnectionId": None, "userErrors": [{"field": ["id"], "code": "NOT_FOUND"}]}
    assert (await a.deliver("orders/create", shopify_order(7500000003, 19)))["outcome"] == "RECORDED"


async def test_the_delivery_log_pages_newest_first(shops):
    shop = await shops()
    store = await connect(shop)
    for n in range(5):
        await store.deliver("orders/create", shopify_order(7600000000 + n, 20), webhook_id=f"page-{n}")
    first = await store.deliveries(first=2)
    assert [n["webhookId"] for n in first["nodes"]] == ["page-4", "page-3"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await store.deliveries(first=10, after=first["pageInfo"]["endCursor"])
    assert [n["webhookId"] for n in rest["nodes"]] == ["page-2", "page-1", "page-0"]
    node = rest["nodes"][-1]
    assert node["activity"]["kind"] == "ORDER_PLACED" and node["activity"]["externalId"] == "7600000000"
    assert node["topic"] == "orders/create" and node["receivedAt"].endswith("+00:00")


async def test_the_delivery_log_keeps_the_latest_deliveries_per_connection(shops, monkeypatch):
    import engine.services.ingesting

    monkeypatch.setattr(engine.services.ingesting, "DELIVERIES_KEPT", 3)
    shop = await shops()
    store, other = await connect(shop), await connect(shop)
    await other.deliver("products/update", {"id": 1})
    for n in range(5):
        await store.deliver("products/update", {"id": n}, webhook_id=f"kept-{n}")
    log = await store.deliveries()
    assert [n["webhookId"] for n in log["nodes"]] == ["kept-4", "kept-3", "kept-2"]
    assert (await other.deliveries())["totalCount"] == 1


async def test_a_disconnected_store_gets_404(shops):
    shop = await shops()
    store = await connect(shop)
    await store.deliver("orders/create", shopify_order(7700000001, 21))
    gone = (await shop.gql(
        "mutation($id: ID!) { disconnectStore(id: $id) { disconnectedStoreConnectionId userErrors { code } } }",
        {"id": store.id},
    ))["disconnectStore"]
    assert gone == {"disconnectedStoreConnectionId": store.id, "userErrors": []}
    assert (await store.send("orders/create", shopify_order(7700000002, 21))).status_code == 404
    assert (await shop.gql("{ shop { storeConnections { id } } }"))["shop"]["storeConnections"] == []


async def test_connecting_the_same_domain_again_replaces_its_secret(shops):
    shop = await shops()
    store = await connect(shop, domain="rotating.myshopify.com", secret="first-secret")
    again = await connect(shop, domain="Rotating.myshopify.com", secret="second-secret", count_orders_on="PAID")
    assert again.id == store.id
    assert (await store.send("orders/paid", shopify_order(7800000001, 22))).status_code == 401
    assert (await again.deliver("orders/paid", shopify_order(7800000001, 22)))["outcome"] == "RECORDED"


async def test_connect_store_refuses_a_bad_domain_and_a_short_secret(shops):
    shop = await shops()
    payload = (await shop.gql(
        "mutation($i: ConnectStoreInput!) { connectStore(input: $i) { storeConnection { id } userErrors { field code message } } }",
        {"i": {"platform": "SHOPIFY", "domain": "www.example.com", "secret": "short"}},
    ))["connectStore"]
    assert payload["storeConnection"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "domain"], "INVALID"), (["input", "secret"], "INVALID"),
    ]
    assert "myshopify.com" in payload["userErrors"][0]["message"]
    assert (await shop.gql("{ shop { storeConnections { id } } }"))["shop"]["storeConnections"] == []


async def test_only_admins_connect_stores_and_read_them(shops):
    from engine.core.enums import Role

    shop = await shops()
    await connect(shop)
    body = await shop.raw("{ shop { storeConnections { id } } }", role=Role.PARTNER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await shop.raw(
        'mutation { connectStore(input: {platform: SHOPIFY, domain: "x.myshopify.com", secret: "12345678"}) { userErrors { code } } }',
        role=Role.PARTNER,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_connection_shows_when_it_last_received_a_delivery(shops):
    shop = await shops()
    store = await connect(shop)
    listed = (await shop.gql("{ shop { storeConnections { platform countOrdersOn lastDeliveryAt } } }"))
    assert listed["shop"]["storeConnections"] == [{"platform": "SHOPIFY", "countOrdersOn": "CREATED", "lastDeliveryAt": None}]
    await store.deliver("products/update", {"id": 1})
    data = await shop.gql("query($id: ID!) { storeConnection(id: $id) { lastDeliveryAt } }", {"id": store.id})
    assert data["storeConnection"]["lastDeliveryAt"] is not None
    assert store.platform == StorePlatform.SHOPIFY and unique()


async def test_a_body_over_the_limit_is_413_and_stores_nothing(shops, monkeypatch):
    import api.ingest

    monkeypatch.setattr(api.ingest, "MAX_BODY_BYTES", 1000)
    shop = await shops()
    store = await connect(shop)
    response = await store.send("orders/create", shopify_order(7900000001, 23))
    assert response.status_code == 413
    assert await stored(shop) == (0, 0)
