"""`milestones sign-webhook`: a curl command that delivers a JSON file as the store would,
signed with the connection's secret, for trying a connection without the store."""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path

from engine.enums import StorePlatform
from engine.platforms import shopify, woocommerce
from engine.platforms.reading import sign

PATHS = {StorePlatform.SHOPIFY: "/ingest/shopify", StorePlatform.WOOCOMMERCE: "/ingest/woocommerce"}


def headers_for(
    platform: StorePlatform, topic: str, domain: str, webhook_id: str, signature: str
) -> dict[str, str]:
    """The headers the platform sends with a webhook."""
    if platform == StorePlatform.SHOPIFY:
        return {
            shopify.TOPIC_HEADER: topic,
            shopify.DOMAIN_HEADER: domain,
            shopify.WEBHOOK_ID_HEADER: webhook_id,
            shopify.SIGNATURE_HEADER: signature,
        }
    resource, _, event = topic.partition(".")
    return {
        woocommerce.SOURCE_HEADER: f"https://{domain}/",
        woocommerce.TOPIC_HEADER: topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        woocommerce.DELIVERY_ID_HEADER: webhook_id,
        woocommerce.SIGNATURE_HEADER: signature,
    }


def curl_command(
    path: Path,
    *,
    platform: StorePlatform,
    topic: str,
    domain: str,
    secret: str,
    webhook_id: str | None = None,
    base_url: str = "http://127.0.0.1:8000",
) -> str:
    """A shell command posting `path` with the platform's headers. Without `webhook_id`, the
    id is made from the file and topic: running the command again is a redelivery."""
    body = path.read_bytes()
    webhook_id = webhook_id or "sample-" + hashlib.sha256(topic.encode() + body).hexdigest()[:16]
    headers = headers_for(platform, topic, domain, webhook_id, sign(secret, body))
    lines = [f"curl -sS -X POST {shlex.quote(base_url.rstrip('/') + PATHS[platform])}"]
    lines.append("-H 'Content-Type: application/json'")
    lines += [f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers.items()]
    lines.append(f"--data-binary @{shlex.quote(str(path))}")
    return " \\\n  ".join(lines)
