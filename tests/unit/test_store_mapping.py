"""The platform mappings as pure functions: payload in, activities or a reason out."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind, CountOrdersOn
from engine.services.store_secrets import SecretBox, SecretUnreadable, new_key
from platforms import shopify, woocommerce
from platforms.reading import Ignored, RefundOfOrder, Unreadable, sign, verify
from tests.store_support import sample, shopify_order, shopify_refund, woo_order

CREATED = CountOrdersOn.CREATED


def test_shopify_orders_create_places_the_order_as_the_issue_maps_it():
    (placed,) = shopify.map_webhook("orders/create", sample("shopify-orders-create-1.json"), CREATED)
    assert placed == ActivityInput(
        kind=ActivityKind.ORDER_PLACED,
        customer_external_id="7301928374651",
        external_id="5829174630417",
        occurred_at=datetime(2025, 3, 14, 14, 21, 8, tzinfo=UTC),
        email="ada.lovelace@example.com",
        amount=Decimal("49.50"),
        currency="USD",
    )


def test_shopify_counts_orders_on_one_topic_and_acknowledges_the_other():
    order = shopify_order(1, 2)
    assert isinstance(shopify.map_webhook("orders/paid", order, CREATED), Ignored)
    assert isinstance(shopify.map_webhook("orders/create", order, CountOrdersOn.PAID), Ignored)
    assert len(shopify.map_webhook("orders/paid", order, CountOrdersOn.PAID)) == 1


@pytest.mark.parametrize(
    "changes, reason",
    [({"test": True}, "test order"), ({"customer": None}, "guest"), ({"customer": {}}, "guest")],
)
def test_shopify_test_and_guest_orders_count_nothing(changes, reason):
    mapped = shopify.map_webhook("orders/create", {**shopify_order(1, 2), **changes}, CREATED)
    assert isinstance(mapped, Ignored) and reason in mapped.reason


def test_shopify_refund_sums_successful_refund_transactions_only():
    refund = shopify_refund(9, 1, ("1.10", "success"), ("2.00", "failure"), ("3.25", "success"))
    refund["transactions"].append({**refund["transactions"][0], "kind": "capture", "amount": "50.00"})
    (intent,) = shopify.map_webhook("refunds/create", refund, CREATED)
    assert intent == RefundOfOrder(
        refund_id="9", order_id="1", amount=Decimal("4.35"), currency="USD",
        occurred_at=datetime(2025, 3, 25, 13, 12, 30, tzinfo=UTC),
    )


def test_shopify_cancellation_refunds_what_is_left():
    order = shopify_order(5, 6, cancelled_at="2025-03-15T09:00:00-04:00")
    (intent,) = shopify.map_webhook("orders/cancelled", order, CREATED)
    assert (intent.refund_id, intent.order_id, intent.amount) == ("cancel-5", "5", None)


def test_shopify_customers_create_is_a_signup():
    (signup,) = shopify.map_webhook("customers/create", sample("shopify-customers-create.json"), CREATED)
    assert (signup.kind, signup.customer_external_id) == (ActivityKind.SIGNUP, "7301928374651")


@pytest.mark.parametrize("missing", ["id", "total_price", "created_at", "currency"])
def test_shopify_orders_without_what_they_need_are_unreadable(missing):
    order = shopify_order(1, 2)
    del order[missing]
    with pytest.raises(Unreadable, match=missing):
        shopify.map_webhook("orders/create", order, CREATED)


def test_unknown_topics_count_nothing():
    assert isinstance(shopify.map_webhook("products/update", {}, CREATED), Ignored)
    assert isinstance(woocommerce.map_webhook("coupon.created", {}), Ignored)


@pytest.mark.parametrize("status", ["pending", "on-hold", "failed", "cancelled", "checkout-draft"])
def test_woocommerce_orders_not_yet_paid_count_nothing(status):
    assert isinstance(woocommerce.map_webhook("order.updated", woo_order(1, 2, status)), Ignored)


def test_woocommerce_order_with_refunds_places_it_then_refunds_in_order():
    mapped = woocommerce.map_webhook(
        "order.updated", woo_order(7, 3, "completed", "50.00", [(12, "5.00"), (10, "2.50"), (11, "0.00")])
    )
    assert [(m.kind, m.external_id, m.amount) for m in mapped] == [
        (ActivityKind.ORDER_PLACED, "7", Decimal("50.00")),
        (ActivityKind.ORDER_REFUNDED, "10", Decimal("2.50")),
        (ActivityKind.ORDER_REFUNDED, "12", Decimal("5.00")),
    ]
    assert all(m.customer_external_id == "3" for m in mapped)


@pytest.mark.parametrize(
    "source, site",
    [
        ("https://shop.example.com/", "shop.example.com"),
        ("http://Shop.Example.com:8080/store/", "shop.example.com:8080/store"),
        ("shop.example.com", "shop.example.com"),
        ("", None),
        ("https://", None),
    ],
)
def test_woocommerce_site_from_its_source_header(source, site):
    assert woocommerce.site(source) == site


def test_signatures_are_base64_hmac_sha256_of_the_raw_body():
    body = b'{"id":1}'
    assert sign("secret", body) == "A971iWIMgT8Zj9A9eWfikrFj7wQ16/Qwcc4OlRl2PLc="
    assert verify("secret", body, sign("secret", body))
    assert not verify("secret", body + b" ", sign("secret", body))
    assert not verify("other", body, sign("secret", body))
    assert not verify("secret", body, None) and not verify("secret", body, "")


def test_secrets_are_sealed_with_the_first_key_and_opened_with_any():
    old, new = new_key(), new_key()
    sealed = SecretBox(old).seal("shpss_abc")
    assert sealed.startswith("fernet:") and "shpss_abc" not in sealed
    assert SecretBox(f"{new},{old}").open(sealed) == "shpss_abc"
    with pytest.raises(SecretUnreadable):
        SecretBox(new).open(sealed)
    with pytest.raises(SecretUnreadable):
        SecretBox("").open(sealed)
    assert SecretBox("").seal("shpss_abc") == "plain:shpss_abc"
    assert SecretBox(new).open("plain:shpss_abc") == "shpss_abc"
    with pytest.raises(ValueError, match="STORE_SECRET_KEY"):
        SecretBox("not-a-key")
