"""The storefront widget's customer: proven by the store's digest, never guessed."""

from __future__ import annotations

from engine.core.errors import not_found
from engine.services import clock
from engine.services.shops import digest_matches
from models import Customer, Shop

# No customer row has this id: a customer the shop has not seen yet reads as zero everywhere.
UNSEEN_CUSTOMER_ID = 0


def prove_customer(shop: Shop, external_id: str | None, digest: str | None) -> str:
    """The storefront's customer, when `digest` is the shop's HMAC of `external_id`: what a
    storefront key must show to act for a customer. A missing or wrong proof is NOT_FOUND."""
    if not external_id or not digest or not digest_matches(shop, external_id, digest):
        raise not_found("Customer", ("customerDigest",))
    return external_id


async def widget_customer(shop: Shop, external_id: str, digest: str) -> Customer:
    """The shop's customer with `external_id`, when `digest` is the shop's HMAC of it.

    A wrong digest is NOT_FOUND, whether or not the customer exists. A customer with a right
    digest whom the shop has not seen yet is an unsaved customer with no activity (the
    widget shows the rules to reach); nothing is written.
    """
    if not digest_matches(shop, external_id, digest):
        raise not_found("Customer", ("customerDigest",))
    customer = await Customer.get_or_none(shop_id=shop.id, external_id=external_id)
    if customer is not None:
        return customer
    now = clock.now()
    return Customer(
        id=UNSEEN_CUSTOMER_ID,
        shop_id=shop.id,
        external_id=external_id,
        first_seen_at=now,
        last_activity_at=now,
    )
