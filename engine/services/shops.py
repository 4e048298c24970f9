"""Shops: the tenants."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from zoneinfo import available_timezones

from engine.core.enums import Plan
from engine.core.errors import Problems
from engine.core.money import is_currency
from models import Shop


def new_widget_secret() -> str:
    return secrets.token_hex(32)


async def create_shop(name: str, currency: str, plan: Plan, timezone: str = "UTC") -> Shop:
    problems = Problems()
    if not 1 <= len(name.strip()) <= 200:
        problems.add("INVALID", "Name must be 1 to 200 characters.", ("name",))
    if not is_currency(currency):
        problems.add("INVALID", f"{currency!r} is not an ISO 4217 currency code.", ("currency",))
    if timezone not in available_timezones():
        problems.add("INVALID", f"{timezone!r} is not an IANA time zone.", ("timezone",))
    problems.raise_if_any()
    return await Shop.create(
        name=name.strip(),
        currency=currency,
        plan=Plan(plan).value,
        timezone=timezone,
        widget_secret=new_widget_secret(),
    )


async def rotate_widget_secret(shop: Shop) -> Shop:
    shop.widget_secret = new_widget_secret()
    await shop.save(update_fields=["widget_secret"])
    return shop


def customer_digest(shop: Shop, customer_external_id: str) -> str:
    """What the store's server computes to prove a storefront visitor is this customer."""
    return hmac.new(
        shop.widget_secret.encode(),
        customer_external_id.encode("utf-8", "surrogatepass"),
        hashlib.sha256,
    ).hexdigest()


def digest_matches(shop: Shop, customer_external_id: str, digest: str) -> bool:
    """In constant time. Compared as bytes: `compare_digest` refuses non-ASCII text."""
    expected = customer_digest(shop, customer_external_id).encode()
    return hmac.compare_digest(expected, digest.lower().encode("utf-8", "surrogatepass"))
