"""Webhook endpoints: registration, signatures, and the bookkeeping of in-order delivery.

An endpoint's `cursor` is the seq of the last event delivered to it (or skipped, for a type it
did not ask for); delivery always resumes right after it, in any process, after any restart.
One process at a time holds an endpoint's lease, so its events go out one by one, in order.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from tortoise.expressions import Q

from delivery.hub import last_seq
from engine.core.enums import RewardEventType
from engine.core.errors import DomainError, Problems, not_found
from engine.services import clock, destinations
from engine.store import sql
from models import Shop, WebhookDelivery, WebhookEndpoint

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "Milestones-Signature"
EVENT_ID_HEADER = "Milestones-Event-Id"
EVENT_TYPE_HEADER = "Milestones-Event-Type"
TIMESTAMP_HEADER = "Milestones-Timestamp"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_ENDPOINTS_PER_SHOP = 20
MAX_BACKOFF = timedelta(hours=1)
# The delivery log keeps each endpoint's latest attempts; older ones are pruned as it grows.
DELIVERIES_KEPT = 1000


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `"<timestamp>.<body>"` with the endpoint's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def check_url(url: str, *, production: bool) -> str:
    """The URL if deliveries may go there: HTTPS, or plain HTTP to this machine outside
    production. Raises DomainError (INVALID at `url`)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        host, parts = "", None
    if parts is None or not host or len(url) > 2000 or parts.username or parts.password:
        raise DomainError.one(
            "INVALID", "Give an absolute http(s) URL without credentials.", ("url",)
        )
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and host in LOOPBACK_HOSTS and not production:
        return url
    raise DomainError.one(
        "INVALID", "Use HTTPS (plain HTTP only to localhost, outside production).", ("url",)
    )


def _types(types: Sequence[RewardEventType] | None) -> list[str]:
    if not types:
        return [t.value for t in RewardEventType]
    return [t.value for t in RewardEventType if t in {RewardEventType(v) for v in types}]


async def create_endpoint(
    shop: Shop,
    url: str,
    types: Sequence[RewardEventType] | None,
    *,
    production: bool,
    public_only: bool = False,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint for the events committed from now on, and its signing secret (the only
    time it is returned). No `types` means every type. With `public_only` (outside
    development), the URL's host must resolve to public addresses only."""
    problems = Problems()
    try:
        url = check_url(url, production=production)
    except DomainError as error:
        problems.items.extend(error.problems)
    else:
        if public_only:
            problems.items.extend(await destinations.url_problems(url))
    live = await WebhookEndpoint.filter(shop_id=shop.id, deleted_at=None).count()
    if live >= MAX_ENDPOINTS_PER_SHOP:
        problems.add("INVALID", f"A shop has at most {MAX_ENDPOINTS_PER_SHOP} endpoints.", ("url",))
    problems.raise_if_any()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = await WebhookEndpoint.create(
        shop_id=shop.id,
        url=url,
        types=_types(types),
        secret=secret,
        cursor=await last_seq(shop.id),
        created_at=clock.now(),
    )
    return endpoint, secret


async def live_endpoint(shop: Shop, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id, shop_id=shop.id, deleted_at=None)
    if endpoint is None:
        raise not_found("Webhook endpoint", ("id",))
    return endpoint


async def delete_endpoint(shop: Shop, endpoint_id: int) -> WebhookEndpoint:
    """Stop deliveries for good; the endpoint's delivery log stays."""
    endpoint = await live_endpoint(shop, endpoint_id)
    endpoint.deleted_at = clock.now()
    await endpoint.save(update_fields=["deleted_at"])
    return endpoint


async def enable_endpoint(shop: Shop, endpoint_id: int) -> WebhookEndpoint:
    """Resume a disabled endpoint at the event that exhausted its attempts."""
    endpoint = await live_endpoint(shop, endpoint_id)
    endpoint.disabled_at = None
    endpoint.attempts = 0
    endpoint.next_attempt_at = None
    await endpoint.save(update_fields=["disabled_at", "attempts", "next_attempt_at"])
    return endpoint


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """The wait before the next try after `attempts` consecutive failures: base, 2×, 4×, …"""
    return min(timedelta(seconds=base_seconds * 2 ** (attempts - 1)), MAX_BACKOFF)


# Delivery bookkeeping, used by the delivery worker.


def _due(now: datetime) -> Q:
    return (
        Q(deleted_at=None, disabled_at=None)
        & (Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        & (Q(locked_until=None) | Q(locked_until__lt=now))
    )


async def due_endpoints(limit: int) -> list[int]:
    """Ids of endpoints with events after their cursor that may be delivered now."""
    rows = await sql.fetch(
        sql.current(),
        "SELECT e.id FROM webhook_endpoints e"
        " WHERE e.deleted_at IS NULL AND e.disabled_at IS NULL"
        " AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= $1)"
        " AND (e.locked_until IS NULL OR e.locked_until < $1)"
        " AND EXISTS (SELECT 1 FROM reward_events r WHERE r.shop_id = e.shop_id AND r.seq > e.cursor)"
        " ORDER BY e.id LIMIT $2",
        clock.now(),
        limit,
    )
    return [int(row["id"]) for row in rows]


async def claim(endpoint_id: int, owner: str, lease: timedelta) -> WebhookEndpoint | None:
    """Take the endpoint's lease if it is free and the endpoint is due; None otherwise."""
    now = clock.now()
    taken = await WebhookEndpoint.filter(_due(now), id=endpoint_id).update(
        locked_by=owner, locked_until=now + lease
    )
    if not taken:
        return None
    return await WebhookEndpoint.get_or_none(id=endpoint_id, locked_by=owner)


async def renew(endpoint: WebhookEndpoint, owner: str, lease: timedelta) -> bool:
    """Extend the lease; False when it was lost (or the endpoint deleted): stop delivering."""
    return bool(
        await WebhookEndpoint.filter(id=endpoint.id, locked_by=owner, deleted_at=None).update(
            locked_until=clock.now() + lease
        )
    )


async def advance(endpoint: WebhookEndpoint, owner: str, seq: int) -> None:
    """Events up to `seq` are done with (delivered, or not of the endpoint's types)."""
    endpoint.cursor = seq
    endpoint.attempts = 0
    await WebhookEndpoint.filter(id=endpoint.id, locked_by=owner).update(
        cursor=seq, attempts=0, next_attempt_at=None, last_error=None
    )


async def failed(
    endpoint: WebhookEndpoint, owner: str, error: str, *, max_attempts: int, base_seconds: float
) -> None:
    """One more failure of the next event: retry later, or disable after the last attempt."""
    attempts = endpoint.attempts + 1
    now = clock.now()
    changes: dict = {"attempts": attempts, "last_error": error[:2000]}
    if attempts >= max_attempts:
        changes.update(disabled_at=now, next_attempt_at=None)
    else:
        changes.update(next_attempt_at=now + backoff(attempts, base_seconds))
    await WebhookEndpoint.filter(id=endpoint.id, locked_by=owner).update(**changes)
    endpoint.attempts = attempts


async def release(endpoint: WebhookEndpoint, owner: str) -> None:
    await WebhookEndpoint.filter(id=endpoint.id, locked_by=owner).update(
        locked_by=None, locked_until=None
    )


async def log_delivery(
    endpoint: WebhookEndpoint,
    *,
    event_id: int,
    event_seq: int,
    success: bool,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
) -> WebhookDelivery:
    return await WebhookDelivery.create(
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_seq=event_seq,
        attempt=endpoint.attempts + 1,
        success=success,
        status_code=status_code,
        error=error[:2000] if error else None,
        duration_ms=duration_ms,
        created_at=clock.now(),
    )


async def prune_deliveries(endpoint_id: int, keep: int = DELIVERIES_KEPT) -> int:
    """Forget all but the endpoint's latest `keep` attempts; how many were removed."""
    return await sql.keep_latest(sql.current(), "webhook_deliveries", "endpoint_id", endpoint_id, keep)
