"""Webhooks: signed POSTs of the event JSON, in order per endpoint, retried, resumable."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

import pytest

from delivery.webhooks import check_url, prune_deliveries
from engine.core.enums import RewardEventType, Role
from engine.core.errors import DomainError
from models import WebhookEndpoint as EndpointRow
from tests.event_support import append_event
from tests.webhook_support import delivering, receiver
from wire import ids
from wire.ids import encode_cursor

CREATE = """
mutation Create($url: String!, $types: [RewardEventType!]) {
  createWebhookEndpoint(url: $url, types: $types) {
    secret
    webhookEndpoint { id url types status cursor }
    userErrors { field code message }
  }
}
"""
ENDPOINTS = """
{ webhookEndpoints(first: 10) { nodes {
    id status cursor failedAttempts lastError disabledAt
    deliveries(first: 10) { eventCursor attempt success statusCode error }
} } }
"""
DELETE = """
mutation Delete($id: ID!) {
  deleteWebhookEndpoint(id: $id) { deletedWebhookEndpointId userErrors { field code message } }
}
"""
ENABLE = """
mutation Enable($id: ID!) {
  enableWebhookEndpoint(id: $id) { webhookEndpoint { status } userErrors { field code } }
}
"""
EVENT_DATA = "{ rewardEvents(first: 50) { nodes { id data } } }"


async def create_endpoint(shop, url: str, types: list[str] | None = None) -> dict:
    data = await shop.gql(CREATE, {"url": url, "types": types})
    payload = data["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload
    return payload


async def endpoint_when(shop, done, seconds: float = 10.0) -> dict:
    """The shop's one endpoint, once `done(endpoint)` holds (delivery runs concurrently)."""
    for _ in range(int(seconds / 0.02)):
        [endpoint] = (await shop.gql(ENDPOINTS))["webhookEndpoints"]["nodes"]
        if done(endpoint):
            return endpoint
        await asyncio.sleep(0.02)
    raise AssertionError(endpoint)


def signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in headers["milestones-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return parts["t"] == headers["milestones-timestamp"] and hmac.compare_digest(
        parts["v1"], expected.hexdigest()
    )


async def test_an_endpoint_receives_each_event_signed_in_order_as_the_api_renders_it(shops):
    shop = await shops()
    await append_event(shop.id, n=0)  # before the endpoint exists: not delivered
    async with receiver() as target:
        created = await create_endpoint(shop, target.url)
        assert created["secret"].startswith("whsec_")
        seqs = [await append_event(shop.id, n=n) for n in range(1, 4)]
        async with delivering():
            got = await target.until(3)
            await asyncio.sleep(0.2)
    assert len(target.requests) == 3
    events = (await shop.gql(EVENT_DATA))["rewardEvents"]["nodes"][1:]
    assert [r.json for r in got] == [e["data"] for e in events]
    assert [r.json["cursor"] for r in got] == [encode_cursor(s) for s in seqs]
    assert [r.headers["milestones-event-id"] for r in got] == [e["id"] for e in events]
    assert all(signed(created["secret"], r.headers, r.body) for r in got)
    assert not signed("whsec_other", got[0].headers, got[0].body)
    assert got[0].headers["content-type"] == "application/json"


async def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try_and_order_holds(shops):
    shop = await shops()
    async with receiver(fail_first=2) as target:
        await create_endpoint(shop, target.url)
        first = await append_event(shop.id, n=0)
        second = await append_event(shop.id, n=1)
        async with delivering():
            got = await target.until(4)
            endpoint = await endpoint_when(shop, lambda e: e["cursor"] == encode_cursor(second))
    assert target.answered == [500, 500, 200, 200]
    assert [r.json["cursor"] for r in got] == [
        encode_cursor(s) for s in (first, first, first, second)
    ]
    assert endpoint["status"] == "ACTIVE"
    assert endpoint["failedAttempts"] == 0 and endpoint["lastError"] is None
    assert [
        (d["eventCursor"], d["attempt"], d["success"], d["statusCode"])
        for d in endpoint["deliveries"]
    ] == [
        (encode_cursor(second), 1, True, 200),
        (encode_cursor(first), 3, True, 200),
        (encode_cursor(first), 2, False, 500),
        (encode_cursor(first), 1, False, 500),
    ]
    assert endpoint["deliveries"][-1]["error"] == "HTTP 500"


async def test_delivery_resumes_after_a_restart_from_the_stored_cursor(shops):
    shop = await shops()
    async with receiver() as target:
        await create_endpoint(shop, target.url)
        before = [await append_event(shop.id, n=n) for n in range(2)]
        async with delivering():
            await target.until(2)
            await endpoint_when(shop, lambda e: e["cursor"] == encode_cursor(before[-1]))
        after = [await append_event(shop.id, n=n) for n in range(2, 4)]
        await asyncio.sleep(0.1)
        assert len(target.requests) == 2
        async with delivering():
            got = await target.until(4)
            await asyncio.sleep(0.2)
    assert [r.json["cursor"] for r in got] == [encode_cursor(s) for s in before + after]


async def test_an_endpoint_gets_only_its_types_and_its_cursor_passes_over_the_rest(shops):
    shop = await shops()
    async with receiver() as target:
        created = await create_endpoint(shop, target.url, ["REWARD_REDEEMED"])
        assert created["webhookEndpoint"]["types"] == ["REWARD_REDEEMED"]
        await append_event(shop.id, type=RewardEventType.REWARD_ISSUED)
        wanted = await append_event(shop.id, type=RewardEventType.REWARD_REDEEMED)
        last = await append_event(shop.id, type=RewardEventType.REWARD_EXPIRED)
        async with delivering():
            got = await target.until(1)
            await endpoint_when(shop, lambda e: e["cursor"] == encode_cursor(last))
    assert [r.json["cursor"] for r in got] == [encode_cursor(wanted)]


async def test_an_endpoint_is_disabled_after_the_last_attempt_and_resumes_when_enabled(shops):
    shop = await shops()
    async with receiver(fail_first=3) as target:
        created = await create_endpoint(shop, target.url)
        endpoint_id = created["webhookEndpoint"]["id"]
        seq = await append_event(shop.id)
        async with delivering(max_attempts=3):
            await target.until(3)
            endpoint = await endpoint_when(shop, lambda e: e["status"] == "DISABLED")
            assert endpoint["lastError"] == "HTTP 500" and endpoint["failedAttempts"] == 3
            await asyncio.sleep(0.2)
            assert len(target.requests) == 3
            enabled = await shop.gql(ENABLE, {"id": endpoint_id})
            assert enabled["enableWebhookEndpoint"]["webhookEndpoint"]["status"] == "ACTIVE"
            got = await target.until(4)
    assert target.answered == [500, 500, 500, 200]
    assert got[3].json["cursor"] == encode_cursor(seq)


async def test_a_deleted_endpoint_receives_nothing_more_and_is_gone(shops):
    shop = await shops()
    async with receiver() as target:
        created = await create_endpoint(shop, target.url)
        endpoint_id = created["webhookEndpoint"]["id"]
        deleted = await shop.gql(DELETE, {"id": endpoint_id})
        assert deleted["deleteWebhookEndpoint"] == {
            "deletedWebhookEndpointId": endpoint_id,
            "userErrors": [],
        }
        await append_event(shop.id)
        async with delivering():
            await asyncio.sleep(0.3)
    assert target.requests == []
    assert (await shop.gql(ENDPOINTS))["webhookEndpoints"]["nodes"] == []
    again = await shop.gql(DELETE, {"id": endpoint_id})
    assert again["deleteWebhookEndpoint"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert await EndpointRow.filter(id=ids.decode("WebhookEndpoint", endpoint_id)).exists()


async def test_another_shops_endpoint_cannot_be_deleted(shops):
    shop, other = await shops(), await shops()
    created = await create_endpoint(other, "https://partner.example/hooks")
    data = await shop.gql(DELETE, {"id": created["webhookEndpoint"]["id"]})
    assert data["deleteWebhookEndpoint"]["userErrors"] == [
        {"field": ["id"], "code": "NOT_FOUND", "message": "Webhook endpoint not found."}
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://partner.example/hooks",
        "http://localhost:9000/h",
        "http://127.0.0.1/h",
        "http://[::1]:8080/h",
    ],
)
async def test_https_or_plain_http_to_this_machine_is_accepted(shops, url):
    shop = await shops()
    created = await create_endpoint(shop, url)
    assert created["webhookEndpoint"]["url"] == url
    assert created["webhookEndpoint"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    "url",
    [
        "http://partner.example/hooks",
        "http://127.0.0.2/hooks",
        "ftp://127.0.0.1/h",
        "not a url",
        "https://user:pw@partner.example/",
    ],
)
async def test_other_urls_are_refused(shops, url):
    shop = await shops()
    data = await shop.gql(CREATE, {"url": url})
    assert data["createWebhookEndpoint"]["webhookEndpoint"] is None
    assert data["createWebhookEndpoint"]["secret"] is None
    assert [e["field"] for e in data["createWebhookEndpoint"]["userErrors"]] == [["url"]]
    assert data["createWebhookEndpoint"]["userErrors"][0]["code"] == "INVALID"


def test_production_refuses_plain_http_even_to_localhost():
    assert check_url("https://partner.example/h", production=True) == "https://partner.example/h"
    with pytest.raises(DomainError):
        check_url("http://127.0.0.1:9000/h", production=True)


async def test_only_admins_manage_webhook_endpoints(shops):
    shop = await shops()
    body = await shop.raw(CREATE, {"url": "https://partner.example/h"}, role=Role.PARTNER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await shop.raw(ENDPOINTS, role=Role.PARTNER)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_delivery_log_keeps_only_the_latest_attempts(shops):
    shop = await shops()
    async with receiver() as target:
        created = await create_endpoint(shop, target.url)
        seqs = [await append_event(shop.id, n=n) for n in range(4)]
        async with delivering():
            await endpoint_when(shop, lambda e: e["cursor"] == encode_cursor(seqs[-1]))
    endpoint_id = ids.decode("WebhookEndpoint", created["webhookEndpoint"]["id"])
    assert await prune_deliveries(endpoint_id, keep=2) == 2
    [endpoint] = (await shop.gql(ENDPOINTS))["webhookEndpoints"]["nodes"]
    assert [d["eventCursor"] for d in endpoint["deliveries"]] == [
        encode_cursor(seqs[3]),
        encode_cursor(seqs[2]),
    ]


async def test_two_workers_deliver_each_event_once_in_order(shops):
    """As two server processes would: the endpoint's lease lets one deliver at a time."""
    shop = await shops()
    async with receiver() as target:
        await create_endpoint(shop, target.url)
        seqs = [await append_event(shop.id, n=n) for n in range(20)]
        async with delivering(), delivering():
            got = await target.until(20)
            await endpoint_when(shop, lambda e: e["cursor"] == encode_cursor(seqs[-1]))
    assert [r.json["cursor"] for r in got] == [encode_cursor(s) for s in seqs]
