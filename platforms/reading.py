"""What the platform mappings return, the signature both platforms use, and the readers of
the payload values they share."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.core.activities import ActivityInput
from engine.services.clock import as_utc


class Unreadable(ValueError):
    """The body parsed, but lacks what its topic needs (answered 400)."""


@dataclass(frozen=True)
class Ignored:
    """A webhook acknowledged and not counted, with the reason shown in the delivery log."""

    reason: str


@dataclass(frozen=True)
class RefundOfOrder:
    """A refund that names only its order: the customer comes from the recorded order, and
    so does the amount when it is None (what is left of the order, for a cancellation)."""

    refund_id: str
    order_id: str
    amount: Decimal | None
    currency: str | None
    occurred_at: datetime | None


Intent = ActivityInput | RefundOfOrder
Mapped = list[Intent] | Ignored


def sign(secret: str, body: bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body: how Shopify and WooCommerce both sign."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` signs `body` with `secret`, compared in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode())


def identifier(payload: dict[str, Any], name: str) -> str:
    """A required id (numbers and strings alike) as text."""
    value = payload.get(name)
    if isinstance(value, bool) or value in (None, ""):
        raise Unreadable(f"`{name}` is missing.")
    if not isinstance(value, (int, str)):
        raise Unreadable(f"`{name}` is not an id.")
    return str(value)


def amount(payload: dict[str, Any], name: str) -> Decimal:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Unreadable(f"`{name}` is not an amount.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Unreadable(f"`{name}` is not an amount.") from None
    if not number.is_finite():
        raise Unreadable(f"`{name}` is not an amount.")
    return number


def timestamp(payload: dict[str, Any], name: str, *, required: bool = True) -> datetime | None:
    """An ISO 8601 time; one without an offset is UTC."""
    value = payload.get(name)
    if value in (None, ""):
        if required:
            raise Unreadable(f"`{name}` is missing.")
        return None
    if not isinstance(value, str):
        raise Unreadable(f"`{name}` is not a time.")
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise Unreadable(f"`{name}` is not an ISO 8601 time.") from None


def email(value: Any) -> str | None:
    """An address worth keeping on the customer; anything else is left out rather than
    refusing the order over it."""
    if isinstance(value, str) and "@" in value and len(value) <= 320:
        return value
    return None
