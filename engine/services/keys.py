"""API keys: random, shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from engine.core.enums import Role
from engine.core.errors import DomainError, not_found
from engine.services import clock
from engine.store import sql
from models import ApiKey, Shop

# Told the id of each key revoked in this process, after the change is saved, so that the API
# can close that key's open websockets at once.
_revocation_listeners: list[Callable[[int], None]] = []

KEY_PREFIX = {Role.ADMIN: "msk_admin_", Role.PARTNER: "msk_partner_", Role.STOREFRONT: "msk_store_"}


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str


async def create_key(shop: Shop, role: Role, name: str = "") -> NewKey:
    """Create a key; the returned secret is the only time it is ever shown."""
    if len(name) > 120:
        raise DomainError.one("INVALID", "Name is at most 120 characters.", ("name",))
    secret = KEY_PREFIX[Role(role)] + secrets.token_urlsafe(32)
    key = await ApiKey.create(
        shop=shop, role=Role(role).value, name=name, prefix=secret[:16], key_hash=hash_key(secret)
    )
    return NewKey(key, secret)


async def authenticate(secret: str) -> ApiKey | None:
    """The live key with this secret, with its shop loaded, or None.

    Every request asks, so this is one plain statement (the ORM's query building cost more
    than the query): a revoked key stops working with the very next request."""
    if not secret or len(secret) > 200:
        return None
    key_columns, shop_columns, query = _key_with_shop()
    rows = await sql.fetch(sql.current(), query, hash_key(secret))
    if not rows:
        return None
    row = rows[0]
    key = ApiKey._init_from_db(**{column: row[f"k_{column}"] for column in key_columns})
    key.shop = Shop._init_from_db(**{column: row[f"s_{column}"] for column in shop_columns})
    return key


@cache
def _key_with_shop() -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """The key's and its shop's columns, and the statement that reads both (built once the
    models are set up)."""
    key_columns, shop_columns = tuple(sorted(ApiKey._meta.db_fields)), tuple(sorted(Shop._meta.db_fields))
    selected = [f"k.{c} AS k_{c}" for c in key_columns] + [f"s.{c} AS s_{c}" for c in shop_columns]
    return key_columns, shop_columns, (
        f"SELECT {', '.join(selected)} FROM api_keys k JOIN shops s ON s.id = k.shop_id"
        " WHERE k.key_hash = $1 AND k.revoked_at IS NULL"
    )


def on_revoked(listener: Callable[[int], None]) -> None:
    if listener not in _revocation_listeners:
        _revocation_listeners.append(listener)


async def revoke_key(shop: Shop, key_id: int) -> ApiKey:
    """Revoke a key of the shop (again is a no-op); a key of another shop is NOT_FOUND. The
    key stops authenticating with the next request."""
    key = await ApiKey.get_or_none(id=key_id, shop_id=shop.id)
    if key is None:
        raise not_found("API key", ("id",))
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await key.save(update_fields=["revoked_at"])
        for listener in _revocation_listeners:
            listener(key.id)
    return key
