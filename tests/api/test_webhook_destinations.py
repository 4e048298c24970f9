"""Outside development, webhooks go only to public addresses: a URL whose host resolves to a
private, loopback or link-local address is refused at registration, and again at delivery,
where the client connects only to the address it has just checked (DNS can change)."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from engine.services import clock, destinations
from models import WebhookEndpoint as EndpointRow
from tests.event_support import append_event
from tests.support import ShopFactory
from tests.webhook_support import delivering, receiver

CREATE = """mutation($url: String!) { createWebhookEndpoint(url: $url) {
  webhookEndpoint { id } userErrors { field code message } } }"""
DELIVERIES = """{ webhookEndpoints(first: 5) { nodes { cursor failedAttempts
  deliveries(first: 5) { success error } } } }"""


@pytest.fixture(scope="module")
async def staging(database):
    app = create_app(
        Settings(database_url=database, rate_limit_per_second=0, environment="staging"),
        manage_database=False,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield ShopFactory(client)


@pytest.fixture
def dns(monkeypatch):
    """Names resolved as the test says; address literals as they are."""
    names: dict[str, list[str]] = {}
    real = destinations.resolve

    async def resolve(host: str, port: int):
        if host in names:
            return [ipaddress.ip_address(a) for a in names[host]]
        return await real(host, port)

    monkeypatch.setattr(destinations, "resolve", resolve)
    return names


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"],
)
def test_private_loopback_link_local_and_other_special_addresses_are_not_public(address):
    assert not destinations.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_global_unicast_addresses_are_public(address):
    assert destinations.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.5/hooks",
        "https://[::1]:8443/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://internal.shop.test/hooks",  # resolves to a private address
        "https://mixed.shop.test/hooks",  # one public address and one private
        "http://localhost:9000/hooks",  # plain HTTP to this machine, allowed outside production
    ],
)
async def test_outside_development_a_private_destination_is_refused_and_nothing_is_created(staging, dns, url):
    dns.update({
        "internal.shop.test": ["10.20.30.40"],
        "mixed.shop.test": ["93.184.216.34", "192.168.0.7"],
        "localhost": ["127.0.0.1", "::1"],
    })
    shop = await staging()
    payload = (await shop.gql(CREATE, {"url": url}))["createWebhookEndpoint"]
    assert payload["webhookEndpoint"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["url"], "INVALID")]
    assert "public addresses" in payload["userErrors"][0]["message"]
    assert await EndpointRow.filter(shop_id=shop.id).count() == 0


async def test_outside_development_a_name_that_does_not_resolve_is_refused(staging, dns, monkeypatch):
    async def nothing(host: str, port: int):
        raise OSError("Name or service not known")

    monkeypatch.setattr(destinations, "resolve", nothing)
    shop = await staging()
    payload = (await shop.gql(CREATE, {"url": "https://nowhere.shop.test/hooks"}))["createWebhookEndpoint"]
    assert [e["message"] for e in payload["userErrors"]] == ["nowhere.shop.test does not resolve."]


async def test_a_public_destination_is_registered(staging, dns):
    dns["hooks.partner.test"] = ["93.184.216.34", "2606:4700:4700::1111"]
    shop = await staging()
    for url in ("https://hooks.partner.test/in", "https://93.184.216.34/in"):
        payload = (await shop.gql(CREATE, {"url": url}))["createWebhookEndpoint"]
        assert payload["userErrors"] == [] and payload["webhookEndpoint"]["id"]


async def test_in_development_this_machine_is_a_destination(shops):
    shop = await shops()
    payload = (await shop.gql(CREATE, {"url": "http://127.0.0.1:9000/hooks"}))["createWebhookEndpoint"]
    assert payload["userErrors"] == []


async def test_a_name_that_turned_private_after_registration_is_refused_at_delivery(staging, dns):
    dns["hooks.partner.test"] = ["93.184.216.34"]
    shop = await staging()
    async with receiver() as target:
        url = f"https://hooks.partner.test:{target.port}/hooks"
        assert (await shop.gql(CREATE, {"url": url}))["createWebhookEndpoint"]["userErrors"] == []
        dns["hooks.partner.test"] = ["127.0.0.1"]  # where the receiver listens
        await append_event(shop.id, n=0)
        async with delivering(public_only=True):
            endpoint = await _after_first_attempt(shop)
        assert target.requests == []
    assert endpoint["failedAttempts"] >= 1
    assert not endpoint["deliveries"][0]["success"]
    assert "refused: hooks.partner.test resolves to a private" in endpoint["deliveries"][0]["error"]


async def test_delivery_connects_to_the_address_it_checked_not_to_a_fresh_lookup(shops, dns, monkeypatch):
    # hooks.partner.test resolves nowhere but here; the test treats the receiver's address as
    # public, so delivering proves the connection went to the address that was checked.
    dns["hooks.partner.test"] = ["127.0.0.1"]
    monkeypatch.setattr(destinations, "is_public", lambda address: True)
    shop = await shops()
    async with receiver() as target:
        await EndpointRow.create(
            shop_id=shop.id, url=f"http://hooks.partner.test:{target.port}/hooks",
            types=["REWARD_ISSUED"], secret="whsec_test", cursor=0, created_at=clock.now(),
        )
        await append_event(shop.id, n=0)
        async with delivering(public_only=True):
            got = await target.until(1)
    assert got[0].headers["host"] == f"hooks.partner.test:{target.port}"


async def _after_first_attempt(shop, seconds: float = 10.0) -> dict:
    for _ in range(int(seconds / 0.05)):
        [endpoint] = (await shop.gql(DELIVERIES))["webhookEndpoints"]["nodes"]
        if endpoint["deliveries"]:
            return endpoint
        await asyncio.sleep(0.05)
    raise AssertionError("no delivery was attempted")
