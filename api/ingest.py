"""`POST /ingest/shopify` and `POST /ingest/woocommerce`: the stores' own webhooks.

Answers: 200 once what the webhook reports is committed (or it was delivered before, or it
counts nothing, or the engine refused it: the reason is in the delivery log); 401 for a
missing or wrong signature and 404 for a store no shop connected, both storing nothing; 400
for a body that does not parse; 500 (the platform retries) for anything unexpected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.http_errors import error_body
from engine.core.enums import CountOrdersOn, StorePlatform
from engine.services.ingesting import Received, ingest
from engine.services.store_connections import connection_for
from engine.services.store_secrets import SecretBox, SecretUnreadable
from models import StoreConnection
from platforms import shopify, woocommerce
from platforms.reading import Mapped, Unreadable, verify
from wire.ids import encode

log = logging.getLogger("milestones.ingest")

# Far above any real order's JSON, far below what would strain a worker.
MAX_BODY_BYTES = 4 * 1024 * 1024
# WooCommerce checks a new webhook's URL with an unsigned form post of its id.
WOOCOMMERCE_PING = re.compile(rb"webhook_id=\d+")

Mapper = Callable[[str, dict[str, Any], StoreConnection], Mapped]


def _refuse(status: int, code: str, message: str) -> JSONResponse:
    return Response(error_body(code, message), status_code=status, media_type="application/json")


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def _read_body(request: Request) -> bytes | None:
    """The raw body, or None when it is over MAX_BODY_BYTES (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> JSONResponse:
    return _refuse(413, "PAYLOAD_TOO_LARGE", f"The body is larger than {MAX_BODY_BYTES} bytes.")


async def shopify_webhook(request: Request) -> JSONResponse:
    headers = request.headers
    body = await _read_body(request)
    if body is None:
        return _too_large()
    webhook_id = headers.get(shopify.WEBHOOK_ID_HEADER, "")
    return await _receive(
        request,
        body,
        StorePlatform.SHOPIFY,
        signature=headers.get(shopify.SIGNATURE_HEADER),
        domain=woocommerce.site(headers.get(shopify.DOMAIN_HEADER)),
        topic=headers.get(shopify.TOPIC_HEADER, ""),
        webhook_id=webhook_id,
        dedup=lambda body: webhook_id or f"sha256:{_digest(body)}",
        mapper=lambda topic, payload, connection: shopify.map_webhook(
            topic, payload, CountOrdersOn(connection.count_orders_on)
        ),
    )


async def woocommerce_webhook(request: Request) -> JSONResponse:
    headers = request.headers
    body = await _read_body(request)
    if body is None:
        return _too_large()
    signature = headers.get(woocommerce.SIGNATURE_HEADER)
    if signature is None and headers.get(woocommerce.TOPIC_HEADER) is None:
        if WOOCOMMERCE_PING.fullmatch(body.strip()):
            return JSONResponse({"ping": True})
    delivery_id = headers.get(woocommerce.DELIVERY_ID_HEADER, "")
    # WooCommerce makes a delivery id from the webhook's id and the current second, so two
    # deliveries of one webhook in the same second share it: the body tells them apart.
    return await _receive(
        request,
        body,
        StorePlatform.WOOCOMMERCE,
        signature=signature,
        domain=woocommerce.site(headers.get(woocommerce.SOURCE_HEADER)),
        topic=headers.get(woocommerce.TOPIC_HEADER, ""),
        webhook_id=delivery_id,
        dedup=lambda body: f"{delivery_id}:{_digest(body)[:32]}",
        mapper=lambda topic, payload, connection: woocommerce.map_webhook(topic, payload),
    )


async def _receive(
    request: Request,
    body: bytes,
    platform: StorePlatform,
    *,
    signature: str | None,
    domain: str | None,
    topic: str,
    webhook_id: str,
    dedup: Callable[[bytes], str],
    mapper: Mapper,
) -> JSONResponse:
    if not signature:
        return _refuse(401, "UNAUTHENTICATED", "The webhook is not signed.")
    connection = await connection_for(platform, domain)
    if connection is None:
        return _refuse(404, "NOT_FOUND", "No shop connected this store.")
    box: SecretBox = request.app.state.store_secrets
    try:
        secret = box.open(connection.secret)
    except SecretUnreadable as error:
        log.error("store secret unreadable", extra={"store_connection_id": connection.id, "reason": str(error)})
        return _refuse(500, "INTERNAL", "This store's secret cannot be read; the platform will retry.")
    if not verify(secret, body, signature):
        return _refuse(401, "UNAUTHENTICATED", "The signature does not match the body.")
    try:
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise Unreadable("The body is not a JSON object.")
        mapped = mapper(topic, payload, connection)
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError and Unreadable too
        message = str(error) if isinstance(error, Unreadable) else "The body is not JSON."
        return _refuse(400, "INVALID", message)
    received = Received(connection, topic, webhook_id, dedup(body))
    result = await ingest(received, mapped)
    return JSONResponse(
        {
            "outcome": result.outcome.value,
            "message": result.message,
            "delivery": encode("StoreDelivery", result.delivery_id),
            "activities": [encode("Activity", i) for i in result.activity_ids],
        }
    )
