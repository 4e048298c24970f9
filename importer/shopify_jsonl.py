"""Orders and their refunds from the JSONL file of a Shopify bulk operation, such as

    { orders { edges { node { id createdAt email test
        customer { id email }
        totalPriceSet { shopMoney { amount currencyCode } }
        refunds { id createdAt totalRefundedSet { shopMoney { amount } } } } } } }

Each line is one object. An order's `refunds` (a list) come inside its line; the objects of a
nested connection come on lines of their own after their parent's, with `__parentId`: a
Refund's is its order, other objects (line items, transactions) count nothing here. Ids are
recorded as the numbers at the end of Shopify's global ids (`gid://shopify/Order/450789469`
is order `450789469`), the ids its webhooks carry, so that an order imported from history
and the same order's webhook are one activity. Test orders and orders without a customer
(guest checkouts) count nothing, as in the webhooks (platforms/shopify.py); so do refunds of
nothing (a restock only).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.core.activities import ActivityInput
from engine.core.enums import ActivityKind
from importer.activity_json import parse_line
from importer.lines import Entry, FileRefused, Read, Rejected, Skipped, text_lines
from platforms.reading import Unreadable, amount, email, timestamp

GID = "gid://shopify/"


def _gid(value: Any, kind: str) -> str:
    """The number of a Shopify global id of `kind`."""
    if not isinstance(value, str) or not value.startswith(f"{GID}{kind}/"):
        raise Unreadable(f"`id` is not a {kind} id")
    number = value.removeprefix(f"{GID}{kind}/").split("?", 1)[0]
    if not number:
        raise Unreadable(f"`id` is not a {kind} id")
    return number


def _kind_of(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(GID):
        return value.removeprefix(GID).split("/", 1)[0]
    return None


def _money(payload: dict[str, Any], name: str) -> tuple[Decimal, str | None]:
    money = (payload.get(name) or {}).get("shopMoney") if isinstance(payload.get(name), dict) else None
    if not isinstance(money, dict):
        raise Unreadable(f"`{name}.shopMoney` is missing")
    currency = money.get("currencyCode")
    return amount(money, "amount"), currency if isinstance(currency, str) else None


def entries(path: Path, shape_only: bool = False) -> Iterator[Entry]:
    """The file's entries (`shape_only` is for NDJSON: here the whole file is read)."""
    customers: dict[str, str | None] = {}  # order id -> its customer's id (None: counted nothing)
    seen_any = False
    for line, text in text_lines(path):
        if not text.strip():
            continue
        try:
            value = parse_line(text)
        except FileRefused as error:
            raise FileRefused(f"line {line} {error}") from None
        seen_any = True
        kind, parent = _kind_of(value.get("id")), value.get("__parentId")
        if parent is None and kind != "Order":
            raise FileRefused(
                f"line {line} is {'a ' + kind if kind else 'not a Shopify object'}, not an order:"
                " give the JSONL of a bulk operation over orders"
            )
        try:
            if parent is None:
                yield from _order(line, value, customers)
            elif kind == "Refund":
                order_id = _gid(parent, "Order")
                if order_id not in customers:
                    yield Rejected(line, f"refund of order {order_id}, which no line before it holds")
                elif (customer_id := customers[order_id]) is not None:
                    yield from _refunds(line, order_id, customer_id, [value])
        except Unreadable as error:
            yield Rejected(line, str(error).rstrip("."))
    if not seen_any:
        raise FileRefused(f"{path.name} is empty")


def _order(line: int, value: dict[str, Any], customers: dict[str, str | None]) -> Iterator[Entry]:
    order_id = _gid(value.get("id"), "Order")
    customers[order_id] = None
    customer = value.get("customer")
    if value.get("test") is True:
        yield Skipped(line, "a test order")
        return
    if not isinstance(customer, dict) or not customer.get("id"):
        yield Skipped(line, "an order without a customer (a guest checkout)")
        return
    customer_id = _gid(customer.get("id"), "Customer")
    total, currency = _money(value, "totalPriceSet")
    customers[order_id] = customer_id
    yield Read(line, ActivityInput(
        ActivityKind.ORDER_PLACED, customer_id, order_id, timestamp(value, "createdAt"),
        email(customer.get("email")) or email(value.get("email")), amount=total, currency=currency,
    ))
    refunds = value.get("refunds") or []
    if not isinstance(refunds, list):
        raise Unreadable("`refunds` is not a list")
    yield from _refunds(line, order_id, customer_id, refunds)


def _refunds(line: int, order_id: str, customer_id: str, refunds: list[Any]) -> Iterator[Entry]:
    for refund in refunds:
        if not isinstance(refund, dict):
            raise Unreadable("a refund is not an object")
        refunded, _ = _money(refund, "totalRefundedSet")
        if refunded == 0:
            continue
        yield Read(line, ActivityInput(
            ActivityKind.ORDER_REFUNDED, customer_id, _gid(refund.get("id"), "Refund"),
            timestamp(refund, "createdAt"), amount=refunded, order_id=order_id,
        ))
