"""`milestones sign-webhook`: a curl command that delivers a JSON file as the store would,
signed with the connection's secret, for trying a connection without the store."""

from __future__ import annotations

import hashlib
import json
import shlex
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from engine.core.enums import StorePlatform
from engine.services import clock
from platforms import shopify, woocommerce
from platforms.reading import sign

PATHS = {StorePlatform.SHOPIFY: "/ingest/shopify", StorePlatform.WOOCOMMERCE: "/ingest/woocommerce"}
# The times of a sample that `--now` moves: rules count what happens once they are active.
TIME_KEYS = frozenset({
    "created_at", "processed_at", "updated_at", "cancelled_at",
    "date_created", "date_created_gmt", "date_modified", "date_modified_gmt",
    "date_paid", "date_paid_gmt",
})


def happening_now(path: Path) -> Path:
    """A copy of the JSON file whose times are now (in the temporary directory)."""
    payload = json.loads(path.read_text())
    # Whole seconds, as the platforms send them, rounded up: never before a rule activated a
    # moment ago.
    now = (clock.now() + timedelta(seconds=1)).replace(microsecond=0)
    for key in TIME_KEYS & payload.keys():
        if isinstance(payload[key], str) and payload[key]:
            aware = datetime.fromisoformat(payload[key].replace("Z", "+00:00")).tzinfo is not None
            payload[key] = (now if aware else now.replace(tzinfo=None)).isoformat()
    copy = Path(tempfile.gettempdir()) / "milestones-webhooks" / path.name
    copy.parent.mkdir(exist_ok=True)
    copy.write_text(json.dumps(payload, indent=2) + "\n")
    return copy


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
    now: bool = False,
) -> str:
    """A shell command posting `path` with the platform's headers. Without `webhook_id`, the
    id is made from the file and topic: running the command again is a redelivery. With
    `now`, it posts a copy whose times are now."""
    original = path.read_bytes()
    webhook_id = webhook_id or "sample-" + hashlib.sha256(topic.encode() + original).hexdigest()[:16]
    if now:
        path = happening_now(path)
    body = path.read_bytes()
    headers = headers_for(platform, topic, domain, webhook_id, sign(secret, body))
    lines = [f"curl -sS -X POST {shlex.quote(base_url.rstrip('/') + PATHS[platform])}"]
    lines.append("-H 'Content-Type: application/json'")
    lines += [f"-H {shlex.quote(f'{name}: {value}')}" for name, value in headers.items()]
    lines.append(f"--data-binary @{shlex.quote(str(path))}")
    return " \\\n  ".join(lines)
