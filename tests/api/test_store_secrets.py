"""A store's secret is write-only: sealed with STORE_SECRET_KEY when set, never read back."""

from __future__ import annotations

import httpx
import pytest_asyncio

from api.app import create_app
from api.settings import Settings
from engine.services.store_secrets import new_key
from models import StoreConnection as ConnectionRow
from tests.store_support import connect, shopify_order
from tests.support import ShopFactory
from wire import ids

KEY = new_key()


@pytest_asyncio.fixture(scope="module")
async def sealing_shops(database):
    settings = Settings(database_url=database, rate_limit_per_second=0, store_secret_key=KEY)
    app = create_app(settings, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield ShopFactory(client)


async def test_with_a_key_the_secret_is_stored_encrypted_and_verifies_deliveries(sealing_shops):
    shop = await sealing_shops()
    store = await connect(shop, secret="shpss_0123456789abcdef")
    row = await ConnectionRow.get(id=ids.decode("StoreConnection", store.id))
    assert row.secret.startswith("fernet:") and "shpss_0123456789abcdef" not in row.secret
    assert (await store.deliver("orders/create", shopify_order(8100000001, 1)))["outcome"] == "RECORDED"


async def test_without_the_key_a_sealed_secret_cannot_verify_and_the_platform_retries(sealing_shops, http):
    shop = await sealing_shops()
    store = await connect(shop)
    store.shop.http = http  # the suite's app has no STORE_SECRET_KEY
    response = await store.send("orders/create", shopify_order(8100000002, 1))
    assert response.status_code == 500
    assert (await store.deliveries())["totalCount"] == 0


async def test_without_a_key_the_secret_is_stored_plainly(shops):
    shop = await shops()
    store = await connect(shop, secret="plain-secret-value")
    row = await ConnectionRow.get(id=ids.decode("StoreConnection", store.id))
    assert row.secret == "plain:plain-secret-value"


async def test_the_secret_is_never_readable_through_the_api(shops):
    shop = await shops()
    await connect(shop)
    data = await shop.gql('{ __type(name: "StoreConnection") { fields { name } } }')
    names = {f["name"] for f in data["__type"]["fields"]}
    assert names == {"id", "platform", "domain", "countOrdersOn", "createdAt", "lastDeliveryAt", "deliveries"}
