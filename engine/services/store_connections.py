"""Connecting a Shopify or WooCommerce store to a shop, so that its webhooks count.

A store is known by its domain, which belongs to one shop. WooCommerce numbers orders and
customers per site, so a shop connects at most one WooCommerce store (two sites' order 100
would be one order here); Shopify's ids are unique across Shopify, so any number of those.
"""

from __future__ import annotations

import logging

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from engine.core.enums import CountOrdersOn, StorePlatform
from engine.core.errors import DomainError, Problems, not_found
from engine.services import clock
from engine.services.store_secrets import SecretBox
from models import Shop, StoreConnection, StoreDelivery
from platforms import woocommerce

log = logging.getLogger("milestones.stores")

SHOPIFY_SUFFIX = ".myshopify.com"
MAX_DOMAIN_LENGTH = 255
SECRET_LENGTH = (8, 512)
MAX_CONNECTIONS_PER_SHOP = 20


def normalize_domain(platform: StorePlatform, raw: str) -> str:
    """The domain as the platform's webhooks name it; DomainError (INVALID at `domain`)
    when it cannot be one."""
    domain = woocommerce.site(raw or "")
    if domain is None or len(domain) > MAX_DOMAIN_LENGTH:
        raise DomainError.one("INVALID", "Give the store's domain, e.g. shop.example.com.", ("domain",))
    if platform == StorePlatform.SHOPIFY and (
        not domain.endswith(SHOPIFY_SUFFIX) or "/" in domain or ":" in domain
    ):
        raise DomainError.one(
            "INVALID",
            "Give the store's myshopify.com domain (e.g. my-store.myshopify.com): Shopify names"
            " the store by it in every webhook, whatever domain customers see.",
            ("domain",),
        )
    return domain


def _check_secret(problems: Problems, secret: str) -> None:
    low, high = SECRET_LENGTH
    if not low <= len(secret or "") <= high or not secret.isprintable() or secret != secret.strip():
        problems.add(
            "INVALID",
            f"The secret must be {low} to {high} printable characters, as the platform shows it.",
            ("secret",),
        )


async def connect_store(
    shop: Shop,
    platform: StorePlatform,
    domain: str,
    secret: str,
    count_orders_on: CountOrdersOn,
    box: SecretBox,
) -> StoreConnection:
    """Connect a store, or, for a domain this shop already connected, replace its secret and
    `count_orders_on` (the delivery log stays). Raises DomainError and changes nothing when
    the input is refused or the domain belongs to another shop."""
    problems = Problems()
    try:
        domain = normalize_domain(platform, domain)
    except DomainError as error:
        problems.items.extend(error.problems)
    _check_secret(problems, secret)
    problems.raise_if_any()
    sealed = box.seal(secret)
    if not box.encrypts:
        log.warning("store secret stored without encryption: STORE_SECRET_KEY is not set")
    taken = DomainError.one("INVALID", "This store is connected to another shop.", ("domain",))
    try:
        async with in_transaction():
            existing = await StoreConnection.filter(platform=platform.value, domain=domain).first()
            if existing is not None and existing.shop_id != shop.id:
                raise taken
            if existing is not None:
                existing.secret = sealed
                existing.count_orders_on = count_orders_on.value
                await existing.save(update_fields=["secret", "count_orders_on"])
                return existing
            await _check_room(shop, platform)
            return await StoreConnection.create(
                shop_id=shop.id,
                platform=platform.value,
                domain=domain,
                secret=sealed,
                count_orders_on=count_orders_on.value,
                created_at=clock.now(),
            )
    except IntegrityError:
        # Another shop connected the same domain at the same moment.
        raise taken from None


async def _check_room(shop: Shop, platform: StorePlatform) -> None:
    connected = await StoreConnection.filter(shop_id=shop.id).values_list("platform", flat=True)
    if len(connected) >= MAX_CONNECTIONS_PER_SHOP:
        raise DomainError.one(
            "INVALID", f"A shop connects at most {MAX_CONNECTIONS_PER_SHOP} stores.", ("domain",)
        )
    if platform == StorePlatform.WOOCOMMERCE and StorePlatform.WOOCOMMERCE.value in connected:
        raise DomainError.one(
            "INVALID",
            "This shop already has a WooCommerce store: WooCommerce numbers orders and customers"
            " per site, so a second site's would mix with the first's.",
            ("domain",),
        )


async def disconnect_store(shop: Shop, connection_id: int) -> None:
    """Forget a connection and its delivery log: its webhooks get 404 from now on."""
    async with in_transaction():
        connection = await StoreConnection.get_or_none(id=connection_id, shop_id=shop.id)
        if connection is None:
            raise not_found("Store connection", ("id",))
        await StoreDelivery.filter(connection_id=connection.id).delete()
        await connection.delete()


async def connection_for(platform: StorePlatform, domain: str | None) -> StoreConnection | None:
    """The connection of a domain as `normalize_domain` (or `woocommerce.site`) gives it."""
    if not domain:
        return None
    return await StoreConnection.get_or_none(platform=platform.value, domain=domain)
