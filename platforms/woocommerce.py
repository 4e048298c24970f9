"""WooCommerce's webhooks: the headers it sends and what its order topics report.

`order.created` and `order.updated` carry the whole order. It is placed the first time its
status is `processing` or `completed` (later deliveries of the same order are duplicates to
the engine); each of its `refunds` is a refund. Orders of guests (`customer_id` 0) count
nothing; other topics are acknowledged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind
from platforms.reading import Ignored, Intent, Mapped, Unreadable, amount, email, identifier, timestamp

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
SOURCE_HEADER = "X-WC-Webhook-Source"
TOPIC_HEADER = "X-WC-Webhook-Topic"
DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"

ORDER_TOPICS = ("order.created", "order.updated")
COUNTED_STATUSES = ("processing", "completed")


def site(source: str | None) -> str | None:
    """The store's address in X-WC-Webhook-Source (`https://shop.example/` → `shop.example`;
    a site in a folder keeps its path), lower-cased; None when it is not a URL."""
    if not source:
        return None
    raw = source.strip()
    try:
        parts = urlsplit(raw if "://" in raw else f"//{raw}")
        host = (parts.hostname or "").lower()
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return None
    if not host:
        return None
    return f"{host}{port}{parts.path.rstrip('/')}"


def map_webhook(topic: str, payload: dict[str, Any]) -> Mapped:
    """The activities one WooCommerce webhook reports, or why it counts nothing. Raises
    Unreadable when the body lacks what its topic needs."""
    if topic not in ORDER_TOPICS:
        return Ignored(f"The topic {topic or '(none)'!r} counts nothing here.")
    order_id = identifier(payload, "id")
    customer = payload.get("customer_id")
    if customer in (None, "", 0, "0"):
        return Ignored(f"Order {order_id} has no customer (guest checkout).")
    customer = str(customer)
    status = payload.get("status")
    intents: list[Intent] = []
    if status in COUNTED_STATUSES:
        given = payload.get("billing")
        billing: dict[str, Any] = given if isinstance(given, dict) else {}
        intents.append(
            ActivityInput(
                kind=ActivityKind.ORDER_PLACED,
                customer_external_id=customer,
                external_id=order_id,
                occurred_at=timestamp(payload, "date_created_gmt"),
                email=email(billing.get("email")),
                amount=amount(payload, "total"),
                currency=str(payload.get("currency") or ""),
            )
        )
    intents.extend(_refunds(payload, customer, order_id))
    if not intents:
        return Ignored(
            f"Order {order_id} is {status!r}: orders count when they reach processing or completed."
        )
    return intents


def _refunds(payload: dict[str, Any], customer: str, order_id: str) -> list[Intent]:
    refunds = payload.get("refunds") or []
    if not isinstance(refunds, list) or not all(isinstance(r, dict) for r in refunds):
        raise Unreadable("`refunds` is not a list of refunds.")
    found = []
    for refund in refunds:
        # WooCommerce lists a refund's total as a negative amount.
        refunded = abs(amount(refund, "total"))
        if refunded:
            found.append((identifier(refund, "id"), refunded))
    # The refunds carry no time of their own: they count when they arrive. No time in the
    # input keeps a refund that comes again with every later update the same activity.
    return [
        ActivityInput(
            kind=ActivityKind.ORDER_REFUNDED,
            customer_external_id=customer,
            external_id=refund_id,
            order_id=order_id,
            amount=refunded,
        )
        for refund_id, refunded in sorted(found, key=lambda pair: (len(pair[0]), pair[0]))
    ]
