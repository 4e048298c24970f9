"""API keys: random, shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from engine.core.enums import Role
from engine.core.errors import DomainError, not_found
from engine.services import clock
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
    """The live key with this secret, with its shop loaded, or None."""
    if not secret or len(secret) > 200:
        return None
    key = await ApiKey.get_or_none(key_hash=hash_key(secret), revoked_at=None).select_related(
        "shop"
    )
    return key


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
