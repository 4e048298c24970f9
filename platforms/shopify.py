"""Shopify's webhooks: the headers it sends and what each subscribed topic reports.

Topics: `orders/create` or `orders/paid` (whichever the connection counts orders on) place an
order; `refunds/create` refunds the sum of its successful refund transactions;
`orders/cancelled` refunds what is left of the order; `customers/create` is a signup.
Test orders and orders without a customer count nothing; other topics are acknowledged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind, CountOrdersOn
from platforms.reading import (
    Ignored,
    Mapped,
    RefundOfOrder,
    Unreadable,
    amount,
    email,
    identifier,
    timestamp,
)

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
DOMAIN_HEADER = "X-Shopify-Shop-Domain"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"

ORDER_TOPICS = {"orders/create": CountOrdersOn.CREATED, "orders/paid": CountOrdersOn.PAID}
TOPICS = (*ORDER_TOPICS, "refunds/create", "orders/cancelled", "customers/create")
# The id a cancellation's refund is recorded under: Shopify's own refund ids are numbers.
CANCELLATION_PREFIX = "cancel-"


def map_webhook(topic: str, payload: dict[str, Any], count_orders_on: CountOrdersOn) -> Mapped:
    """The activities one Shopify webhook reports, or why it counts nothing. Raises
    Unreadable when the body lacks what its topic needs."""
    if topic in ORDER_TOPICS:
        return _order(topic, payload, count_orders_on)
    if topic == "refunds/create":
        return _refund(payload)
    if topic == "orders/cancelled":
        return _cancellation(payload)
    if topic == "customers/create":
        return _signup(payload)
    return Ignored(f"The topic {topic or '(none)'!r} counts nothing here.")


def _customer(payload: dict[str, Any]) -> dict[str, Any] | None:
    customer = payload.get("customer")
    if isinstance(customer, dict) and customer.get("id") not in (None, ""):
        return customer
    return None


def _not_counted(payload: dict[str, Any], order_id: str) -> Ignored | None:
    if payload.get("test") is True:
        return Ignored(f"Order {order_id} is a test order.")
    if _customer(payload) is None:
        return Ignored(f"Order {order_id} has no customer (guest checkout).")
    return None


def _order(topic: str, payload: dict[str, Any], count_orders_on: CountOrdersOn) -> Mapped:
    order_id = identifier(payload, "id")
    if ORDER_TOPICS[topic] != count_orders_on:
        counting = next(t for t, on in ORDER_TOPICS.items() if on == count_orders_on)
        return Ignored(f"This store counts orders on {counting}; {topic} is only acknowledged.")
    skipped = _not_counted(payload, order_id)
    if skipped:
        return skipped
    customer = _customer(payload)
    assert customer is not None  # _not_counted ignored guest orders
    currency = payload.get("currency")
    if not isinstance(currency, str) or not currency:
        raise Unreadable("`currency` is missing.")
    return [
        ActivityInput(
            kind=ActivityKind.ORDER_PLACED,
            customer_external_id=identifier(customer, "id"),
            external_id=order_id,
            occurred_at=timestamp(payload, "created_at"),
            email=email(customer.get("email")) or email(payload.get("email")),
            amount=amount(payload, "total_price"),
            currency=currency,
        )
    ]


def _refund(payload: dict[str, Any]) -> Mapped:
    refund_id = identifier(payload, "id")
    order_id = identifier(payload, "order_id")
    transactions = payload.get("transactions") or []
    if not isinstance(transactions, list):
        raise Unreadable("`transactions` is not a list.")
    paid_back = [
        t
        for t in transactions
        if isinstance(t, dict) and t.get("kind") == "refund" and t.get("status") == "success"
    ]
    if not paid_back:
        return Ignored(f"Refund {refund_id} has no successful refund transaction.")
    if any(t.get("test") is True for t in paid_back):
        return Ignored(f"Refund {refund_id} is a test refund.")
    currencies = {t.get("currency") for t in paid_back}
    return [
        RefundOfOrder(
            refund_id=refund_id,
            order_id=order_id,
            amount=sum((amount(t, "amount") for t in paid_back), Decimal(0)),
            currency=currencies.pop() if len(currencies) == 1 else None,
            occurred_at=timestamp(payload, "created_at", required=False),
        )
    ]


def _cancellation(payload: dict[str, Any]) -> Mapped:
    order_id = identifier(payload, "id")
    skipped = _not_counted(payload, order_id)
    if skipped:
        return skipped
    return [
        RefundOfOrder(
            refund_id=CANCELLATION_PREFIX + order_id,
            order_id=order_id,
            amount=None,
            currency=None,
            occurred_at=timestamp(payload, "cancelled_at", required=False),
        )
    ]


def _signup(payload: dict[str, Any]) -> Mapped:
    customer_id = identifier(payload, "id")
    return [
        ActivityInput(
            kind=ActivityKind.SIGNUP,
            customer_external_id=customer_id,
            external_id=customer_id,
            occurred_at=timestamp(payload, "created_at", required=False),
            email=email(payload.get("email")),
        )
    ]
